"""Vega-Lite spec for one series, shared by the web UI and the exports."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from safehands.spc import qic
from safehands.spc.plot import render, vegalite_spec
from tests.spc._golden import GOLDEN


@pytest.fixture
def cdi() -> pd.DataFrame:
    return pd.read_csv(GOLDEN / "inputs" / "cdi_rate.csv")


def test_spec_has_one_point_per_subgroup_and_json_values(cdi: pd.DataFrame) -> None:
    result = qic(cdi, x="month", y="n", n="days", chart="u", multiply=10000)
    spec = vegalite_spec(result, title="CDI", annotations=[("2014-01-01", "new cleaning")])
    json.dumps(spec)  # JSON-ready
    values = spec["data"]["values"]
    assert len(values) == len(cdi)
    assert values[0]["x"] == "2012-11-01"
    assert spec["title"] == "CDI"
    steps = [layer for layer in spec["layer"] if layer["mark"].get("interpolate") == "step"]
    assert {layer["encoding"]["y"]["field"] for layer in steps} >= {"lcl", "ucl", "cl"}
    notes = [layer for layer in spec["layer"] if layer["mark"]["type"] == "text"]
    assert notes[0]["data"]["values"][0]["text"] == "new cleaning"


def test_signals_are_marked(cdi: pd.DataFrame) -> None:
    result = qic(cdi, x="month", y="n", n="days", chart="u", freeze=24)
    values = vegalite_spec(result)["data"]["values"]
    assert any(v["signal"] for v in values)
    assert all(v["runs_signal"] for v in values)


def test_one_series_is_chosen_by_key() -> None:
    frame = pd.DataFrame(
        {"ward": np.repeat(["a", "b"], 10), "x": np.tile(np.arange(10), 2), "y": np.arange(20)}
    )
    result = qic(frame, x="x", y="y", by="ward", chart="i")
    with pytest.raises(ValueError, match="2 series"):
        vegalite_spec(result)
    values = vegalite_spec(result, series="b")["data"]["values"]
    assert [v["y"] for v in values] == list(range(10, 20))
    assert vegalite_spec(result, series={"ward": "a"})["data"]["values"][0]["y"] == 0


def test_render_svg_offline(cdi: pd.DataFrame) -> None:
    result = qic(cdi, x="month", y="n", chart="c")
    assert render(result, fmt="svg").lstrip().startswith(b"<svg")


def test_phases_get_a_rule_and_categories_are_dots_only(cdi: pd.DataFrame) -> None:
    spec = vegalite_spec(qic(cdi, x="month", y="n", n="days", chart="u", part=[24]))
    rules = [layer for layer in spec["layer"] if layer["mark"]["type"] == "rule"]
    assert rules[0]["data"]["values"] == [{"x": "2014-11-01"}]
    funnel = qic(
        pd.DataFrame({"x": ["b", "a", "c"], "y": [3, 4, 5], "n": [10, 12, 11]}),
        x="x",
        y="y",
        n="n",
        chart="p",
    )
    marks = [layer["mark"]["type"] for layer in vegalite_spec(funnel)["layer"]]
    assert marks.count("line") == 3  # limits and centre line, no line through the dots
