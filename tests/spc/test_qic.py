"""The qic() front door: argument checks, bad input, aggregation and the qicharts2 quirks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from safehands.spc import SpcInputError, qic


def test_missing_x_rows_are_dropped() -> None:
    frame = pd.DataFrame({"x": [1, None, 3], "y": [1.0, 2.0, 3.0]})
    assert list(qic(frame, x="x", y="y").data["y"]) == [1.0, 3.0]


def test_several_rows_per_subgroup_are_aggregated() -> None:
    frame = pd.DataFrame({"x": [1, 1, 2, 2, 2], "y": [1.0, 3.0, 2.0, 4.0, 9.0]})
    for agg, expected in (("mean", [2.0, 5.0]), ("median", [2.0, 4.0]), ("sum", [4.0, 15.0])):
        assert list(qic(frame, x="x", y="y", agg=agg).data["y"]) == expected
    data = qic(frame, x="x", y="y", agg="sd").data
    assert data["y"].iloc[1] == pytest.approx(np.std([2, 4, 9], ddof=1))
    assert list(data["y_count"]) == [2, 3]


def test_text_x_is_categorical_in_code_point_order() -> None:
    frame = pd.DataFrame({"x": ["b", "B", "a"], "y": [1.0, 2.0, 3.0]})
    data = qic(frame, x="x", y="y", chart="i").data
    assert list(data["x"]) == ["B", "a", "b"]
    assert not data["runs_signal"].any()


def test_part_column_starts_a_phase_at_each_new_label() -> None:
    frame = pd.DataFrame(
        {"x": range(1, 10), "y": range(9), "phase": list("AAABBBAAA")}  # A comes back
    )
    assert list(qic(frame, x="x", y="y", part="phase").data["part"]) == [1] * 3 + [2] * 6


def test_freeze_is_ignored_with_parts() -> None:
    frame = pd.DataFrame({"x": range(1, 13), "y": range(12)})
    assert qic(frame, x="x", y="y", part=[6], freeze=3).data["baseline"].all()


def test_t_chart_with_zero_time_is_an_error() -> None:
    with pytest.raises(SpcInputError, match="row 2 of column 'y'"):
        qic(y=[3.0, 0.0, 2.0], chart="t")


def test_unknown_column() -> None:
    with pytest.raises(SpcInputError, match="unknown column 'z'"):
        qic(pd.DataFrame({"y": [1]}), y="z")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"agg": "max"}, "agg must be one of"),
        ({"direction": "up"}, "direction must be one of"),
        ({"freeze": -1}, "freeze must be"),
        ({"multiply": float("inf")}, "multiply must be a finite number"),
        ({"part": [1.5]}, "part must be whole"),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(SpcInputError, match=message):
        qic(y=[1.0, 2.0, 3.0], **kwargs)


def test_constant_series_has_no_limits_and_no_useful_points() -> None:
    data = qic(y=[0.1] * 12, chart="i").data
    assert data["lcl"].isna().all() and data["ucl"].isna().all()
    assert (data["n_useful"] == 0).all()


def test_y_neg_false_floors_lower_limits_per_series() -> None:
    frame = pd.DataFrame(
        {"s": np.repeat(["a", "b"], 6), "y": [0, 9, 0, 8, 1, 9, -5, 9, 0, 8, 1, 9]}
    )
    data = qic(frame, y="y", by="s", chart="i", y_neg=False).data
    assert (data[data["s"] == "a"]["lcl"] == 0).all()
    assert (data[data["s"] == "b"]["lcl"] < 0).all()


def test_many_key_combinations_are_numbered_in_key_order() -> None:
    keys = np.arange(1500)
    frame = pd.DataFrame(
        {
            "a": np.repeat(keys % 50, 2),
            "b": np.repeat(keys[::-1], 2),  # 50 x 1500 combinations: the sorting path
            "x": np.tile([1, 2], keys.size),
            "y": np.arange(2 * keys.size, dtype=float),
        }
    )
    data = qic(frame, x="x", y="y", by=["a", "b"], chart="i").data
    pairs = list(zip(data["a"], data["b"], strict=True))
    assert pairs == sorted(pairs)
    assert len(set(pairs)) == keys.size
    first = data[(data["a"] == 3) & (data["b"] == 1496)]
    assert list(first["y"]) == [6.0, 7.0]  # the rows of key (3, 1496): input rows 6 and 7
