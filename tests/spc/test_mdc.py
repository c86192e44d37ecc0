"""Making Data Count summary: one row per series and part, variation and assurance icons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from safehands.spc import qic
from safehands.spc.mdc import SUMMARY_COLUMNS

STABLE = [10, 12, 11, 9, 10, 11, 12, 10, 9, 11, 10, 12, 11, 10, 9, 11]


def _summary(values: list[float], **kwargs) -> pd.Series:
    frame = pd.DataFrame({"x": np.arange(1, len(values) + 1), "y": values})
    return qic(frame, x="x", y="y", chart="i", **kwargs).summary().iloc[0]


def test_summary_has_one_row_per_series_and_part() -> None:
    frame = pd.DataFrame(
        {"unit": np.repeat(["a", "b"], 16), "x": np.tile(np.arange(16), 2), "y": STABLE * 2}
    )
    summary = qic(frame, x="x", y="y", by="unit", part=[8], chart="i").summary()
    assert list(summary.columns) == ["unit", *SUMMARY_COLUMNS]
    assert list(zip(summary["unit"], summary["part"], strict=True)) == [
        ("a", 1),
        ("a", 2),
        ("b", 1),
        ("b", 2),
    ]
    assert list(summary["n_points"]) == [8, 8, 8, 8]


def test_stable_process_is_common_cause() -> None:
    assert _summary(STABLE, direction="higher")["variation"] == "common_cause"


@pytest.mark.parametrize(
    ("direction", "expected"),
    [
        ("higher", "special_cause_improvement"),
        ("lower", "special_cause_concern"),
        (None, "special_cause_neither"),
    ],
)
def test_point_above_the_limits(direction: str | None, expected: str) -> None:
    row = _summary([*STABLE, 40], direction=direction)
    assert row["signal_side"] == "high"
    assert row["variation"] == expected


def test_long_run_below_the_centre_line_is_a_shift_down() -> None:
    shifted = STABLE[:8] + [v - 1.5 for v in STABLE[8:]] + [8.5, 8.6, 8.4]
    row = _summary(shifted, freeze=8, direction="higher")
    assert row["runs_signal"]
    assert row["signal_side"] == "low"
    assert row["variation"] == "special_cause_concern"


@pytest.mark.parametrize(
    ("target", "direction", "expected"),
    [
        (2, "higher", "consistently_meets"),
        (30, "higher", "consistently_fails"),
        (10.5, "higher", "hit_and_miss"),
        (30, "lower", "consistently_meets"),
        (2, "lower", "consistently_fails"),
        (10.5, "lower", "hit_and_miss"),
        (10.5, None, None),
    ],
)
def test_assurance_against_a_target(target: float, direction: str | None, expected) -> None:
    assert _summary(STABLE, target=target, direction=direction)["assurance"] == expected


def test_no_limits_no_assurance() -> None:
    frame = pd.DataFrame({"x": np.arange(16), "y": STABLE})
    summary = qic(frame, x="x", y="y", chart="run", target=5, direction="higher").summary()
    assert summary["assurance"].iloc[0] is None


# A ward's fall-risk assessments: 20 months mostly below the centre line, then 16 above after a
# change. The earlier run is the longest, but the icon must describe where the process is now.
FALL_RISK_NUM = [10, 6, 8, 9, 11, 12, 10, 3, 6, 15, 9, 6, 6, 8, 9, 11, 12, 12, 7, 9,
                 10, 16, 15, 15, 12, 15, 16, 15, 12, 10, 15, 14, 17, 15, 16, 17]
FALL_RISK_DEN = [14, 10, 18, 14, 17, 21, 15, 8, 10, 21, 14, 14, 13, 12, 16, 16, 19, 18, 11, 14,
                 13, 18, 19, 19, 15, 16, 18, 16, 15, 12, 15, 19, 19, 17, 17, 20]


def test_a_shift_that_is_still_going_on_sets_the_icon_even_if_an_earlier_run_was_longer():
    frame = pd.DataFrame({"x": range(36), "y": FALL_RISK_NUM, "n": FALL_RISK_DEN})
    row = qic(frame, x="x", y="y", n="n", chart="p", multiply=100,
              direction="higher").summary().iloc[0]
    assert row["longest_run"] == 20 and row["runs_signal"]
    assert row["signal_side"] == "high"
    assert row["variation"] == "special_cause_improvement"


def test_a_shift_that_has_ended_leaves_the_latest_point_common_cause():
    values = [8.0] * 10 + STABLE
    row = _summary(values, direction="higher")
    assert row["runs_signal"]  # the early run is still reported
    assert row["variation"] == "common_cause"
    assert row["signal_side"] is None


def test_an_earlier_point_outside_the_limits_does_not_colour_the_latest_point():
    # A fixed centre line keeps the outlier from pushing every other point below the mean.
    row = _summary([*STABLE[:8], 40, *STABLE[8:]], cl=10.5, direction="higher")
    assert row["sigma_signals"] == 1
    assert row["variation"] == "common_cause"
