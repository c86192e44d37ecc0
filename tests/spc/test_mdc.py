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
