"""Invariants of the engine, checked on generated data with hypothesis.

Symmetric limits, phases behave as separate charts, freeze and exclude only change where the
centre line comes from, input row order does not matter, and a batch equals its series one by one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safehands.spc import CHARTS, qic

RESULT_COLUMNS = [
    "part",
    "y",
    "cl",
    "lcl",
    "ucl",
    "lcl_95",
    "ucl_95",
    "n_obs",
    "n_useful",
    "longest_run",
    "n_crossings",
    "runs_signal",
    "sigma_signal",
]
PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def panels(
    draw: st.DrawFn, max_series: int = 4, min_points: int = 1, messy: bool = False
) -> pd.DataFrame:
    """A long table of count series with denominators: unit, month, events, cases.

    messy: some events missing and some months with several rows (aggregated by qic()).
    """
    frames = []
    for unit in range(draw(st.integers(1, max_series))):
        length = draw(st.integers(min_points, 30))
        cases = draw(st.lists(st.integers(1, 120), min_size=length, max_size=length))
        events: list[float | None] = [draw(st.integers(0, c)) for c in cases]
        months = np.arange(1, length + 1)
        if messy:
            events = [None if draw(st.integers(0, 9)) == 0 else e for e in events]
            months = np.array([draw(st.integers(1, max(1, length // 2))) for _ in months])
        frames.append(
            pd.DataFrame({"unit": f"u{unit}", "month": months, "events": events, "cases": cases})
        )
    return pd.concat(frames, ignore_index=True)


def _same_frames(left: pd.DataFrame, right: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        left[RESULT_COLUMNS].reset_index(drop=True),
        right[RESULT_COLUMNS].reset_index(drop=True),
        check_exact=False,
        rtol=1e-12,
        atol=1e-12,
        check_dtype=False,
    )


@PROPERTY_SETTINGS
@given(panels(messy=True), st.sampled_from(CHARTS), st.randoms(use_true_random=False))
def test_row_order_does_not_matter(panel: pd.DataFrame, chart: str, rnd) -> None:
    if chart == "t":
        panel = panel.assign(events=panel["events"] + 1)
    order = list(range(len(panel)))
    rnd.shuffle(order)
    args = {"y": "events", "n": "cases", "x": "month", "by": "unit", "chart": chart}
    _same_frames(qic(panel, **args).data, qic(panel.iloc[order], **args).data)


@PROPERTY_SETTINGS
@given(panels(messy=True), st.sampled_from(CHARTS))
def test_batch_equals_each_series_alone(panel: pd.DataFrame, chart: str) -> None:
    if chart == "t":
        panel = panel.assign(events=panel["events"] + 1)
    args = {"y": "events", "n": "cases", "x": "month", "chart": chart}
    batch = qic(panel, by="unit", **args).data
    alone = pd.concat(
        [qic(rows, **args).data for _, rows in panel.groupby("unit", sort=True)],
        ignore_index=True,
    )
    _same_frames(batch, alone)


@PROPERTY_SETTINGS
@given(panels(max_series=1, min_points=2), st.sampled_from(["i", "c", "u", "up", "ip", "g"]))
def test_limits_are_symmetric_unless_floored(panel: pd.DataFrame, chart: str) -> None:
    data = qic(panel, y="events", n="cases", x="month", chart=chart).data
    lower = data["cl"] - data["lcl"]
    upper = data["ucl"] - data["cl"]
    if chart == "g":  # limits from the mean, centre line shown at the median
        return
    unfloored = data["lcl"] > 0 if chart != "i" else data["lcl"].notna()
    np.testing.assert_allclose(lower[unfloored], upper[unfloored], rtol=1e-9, atol=1e-12)
    assert (data["lcl"].dropna() <= data["cl"][data["lcl"].notna()] + 1e-12).all()


@PROPERTY_SETTINGS
@given(panels(max_series=1, min_points=4), st.data())
def test_each_part_is_a_separate_chart(panel: pd.DataFrame, data: st.DataObject) -> None:
    chart = data.draw(st.sampled_from(["run", "i", "p", "u", "pp", "c", "mr"]))
    cut = data.draw(st.integers(1, len(panel) - 1))
    args = {"y": "events", "n": "cases", "x": "month", "chart": chart}
    whole = qic(panel, part=[cut], **args).data
    first = qic(panel.iloc[:cut], **args).data
    second = qic(panel.iloc[cut:], **args).data.assign(part=2)
    _same_frames(whole, pd.concat([first, second], ignore_index=True))


@PROPERTY_SETTINGS
@given(panels(max_series=1, min_points=3), st.data())
def test_freeze_takes_centre_and_limits_from_the_baseline(
    panel: pd.DataFrame, data: st.DataObject
) -> None:
    chart = data.draw(st.sampled_from(["run", "i", "p", "u", "c"]))
    k = data.draw(st.integers(1, len(panel)))
    args = {"y": "events", "n": "cases", "x": "month", "chart": chart}
    frozen = qic(panel, freeze=k, **args).data
    baseline = qic(panel.iloc[:k], **args).data
    assert frozen["baseline"].sum() == k
    np.testing.assert_allclose(frozen["cl"], baseline["cl"].iloc[0], rtol=1e-12)
    limits = ["lcl", "ucl"]
    _same_frames(
        frozen.iloc[:k].assign(
            n_obs=0, n_useful=0, longest_run=0, n_crossings=0, runs_signal=False
        )[RESULT_COLUMNS],
        baseline.assign(n_obs=0, n_useful=0, longest_run=0, n_crossings=0, runs_signal=False)[
            RESULT_COLUMNS
        ],
    )
    if chart in ("c", "run", "i"):  # limits do not depend on the point's own denominator
        for column in limits:
            assert frozen[column].nunique(dropna=False) <= 1


@PROPERTY_SETTINGS
@given(panels(max_series=1, min_points=3), st.data())
def test_excluded_point_does_not_move_the_lines(panel: pd.DataFrame, data: st.DataObject) -> None:
    chart = data.draw(st.sampled_from(["i", "p", "u", "c", "run"]))
    position = data.draw(st.integers(1, len(panel)))
    changed = panel.copy()
    changed.loc[position - 1, "events"] = 0
    args = {"y": "events", "n": "cases", "x": "month", "chart": chart, "exclude": [position]}
    before, after = qic(panel, **args).data, qic(changed, **args).data
    np.testing.assert_allclose(before["cl"], after["cl"], rtol=1e-12)
    if chart != "i":  # i-chart moving ranges bridge the excluded point: unchanged as well
        np.testing.assert_allclose(before["ucl"], after["ucl"], rtol=1e-12)
    assert not before["include"].iloc[position - 1]


@PROPERTY_SETTINGS
@given(panels(max_series=2), st.sampled_from(["i", "p", "u", "c", "xbar"]))
def test_multiply_scales_values_and_lines(panel: pd.DataFrame, chart: str) -> None:
    args = {"y": "events", "n": "cases", "x": "month", "by": "unit", "chart": chart}
    plain, scaled = qic(panel, **args).data, qic(panel, multiply=100, **args).data
    for column in ("y", "cl", "lcl", "ucl"):
        np.testing.assert_allclose(scaled[column], plain[column] * 100, rtol=1e-12)


def test_single_series_from_plain_arrays() -> None:
    result = qic(y=[3, 5, 4, 6, 5, 4], chart="i")
    assert list(result.data["x"]) == [1, 2, 3, 4, 5, 6]
    assert result.data["cl"].iloc[0] == pytest.approx(27 / 6)


def test_polars_frames_are_accepted() -> None:
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame({"x": [1, 2, 3, 4], "y": [1.0, 2.0, 4.0, 3.0]})
    result = qic(frame, x="x", y="y", chart="i")
    assert result.data["cl"].iloc[0] == pytest.approx(2.5)


def test_unknown_chart_is_refused() -> None:
    with pytest.raises(ValueError, match="chart must be one of"):
        qic(y=[1, 2, 3], chart="np")  # type: ignore[arg-type]
