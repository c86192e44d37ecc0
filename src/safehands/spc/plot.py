"""Drawing, kept apart from computing: a Vega-Lite spec for one series, and offline rendering.

The web UI embeds the spec with vega-embed; exports render the same spec to SVG, PNG or PDF
through `vl_convert` (a bundled Vega engine, no network, no browser). One spec for both keeps the
screen and the report identical.

The chart follows qicharts2's conventions: the data line with points, the centre line (dashed
and highlighted when the Anhøj runs analysis signals), 3-sigma limits drawn as steps so that
varying denominators show as varying limits, a break between phases, and points outside the
limits highlighted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from itertools import pairwise
from typing import Any, Literal

import numpy as np
import pandas as pd

from safehands.spc._engine import QicResult

LINE_COLOUR = "#5DA5DA"  # qicharts2 default data line
SIGNAL_COLOUR = "#FAA43A"  # qicharts2 signal colour
LIMIT_COLOUR = "#8C8C8C"
CENTRE_COLOUR = "#4D4D4D"
ANNOTATION_COLOUR = "#B2182B"
VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"

Annotation = tuple[Any, str]


def vegalite_spec(
    result: QicResult,
    *,
    series: Mapping[str, Any] | Sequence[Any] | Any | None = None,
    title: str | None = None,
    annotations: Sequence[Annotation] = (),
    width: int = 640,
    height: int = 320,
    y_title: str | None = None,
    locale: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A Vega-Lite v5 spec (a JSON-ready dict) for one series of `result`.

    y_title: the y axis title; by default '<chart> chart' ('value' for a run chart), in English.
    locale: a Vega locale ({"number": d3 format locale, "time": d3 time format locale}) for
        month names and number marks, so a caller can draw the chart in its reader's language.

    series: the key of the series to draw, as a mapping {by column: value}, a tuple of values in
        `by` order, or a single value for one key column. Optional when there is one series.
    annotations: (x, text) pairs, x as in the data (a date, ISO date text, number or category).
    """
    rows = _series_rows(result, series)
    x_type = {"date": "temporal", "number": "quantitative", "position": "quantitative"}.get(
        result.x_kind, "ordinal"
    )
    values = [_point(row) for row in rows.itertuples(index=False)]
    x_encoding: dict[str, Any] = {"field": "x", "type": x_type, "title": None}
    if x_type == "ordinal":
        x_encoding["sort"] = None  # keep the computed (level or code point) order
    if y_title is None:
        y_title = f"{result.chart} chart" if result.chart != "run" else "value"
    layers: list[dict[str, Any]] = [
        _line_layer("ucl", LIMIT_COLOUR, x_encoding, step=True),
        _line_layer("lcl", LIMIT_COLOUR, x_encoding, step=True),
        _centre_layer(x_encoding),
        {
            "mark": {"type": "line", "color": LINE_COLOUR, "point": False},
            "encoding": {
                "x": x_encoding,
                "y": {"field": "y", "type": "quantitative", "title": y_title},
                "detail": {"field": "part"},
            },
        },
        {
            "mark": {"type": "point", "filled": True, "size": 40, "opacity": 1},
            "encoding": {
                "x": x_encoding,
                "y": {"field": "y", "type": "quantitative"},
                "color": {
                    "condition": {"test": "datum.signal", "value": SIGNAL_COLOUR},
                    "value": LINE_COLOUR,
                },
                "tooltip": [
                    {"field": "x", "type": x_type, "title": "x"},
                    {"field": "y", "type": "quantitative", "format": ".4~g"},
                    {"field": "cl", "type": "quantitative", "format": ".4~g"},
                    {"field": "lcl", "type": "quantitative", "format": ".4~g"},
                    {"field": "ucl", "type": "quantitative", "format": ".4~g"},
                    {"field": "part", "type": "ordinal"},
                ],
            },
        },
    ]
    if result.x_kind == "category":  # funnel plots: dots only, as qicharts2 draws them
        layers.pop(3)
    starts = [v["x"] for prev, v in pairwise(values) if v["part"] != prev["part"]]
    if starts:  # a dashed rule where each new phase begins
        layers.append(
            {
                "data": {"values": [{"x": x} for x in starts]},
                "mark": {"type": "rule", "strokeDash": [2, 3], "color": LIMIT_COLOUR},
                "encoding": {"x": x_encoding},
            }
        )
    if annotations:
        layers.extend(_annotation_layers(annotations, rows, x_encoding))
    for layer in layers:  # one axis title, whichever layers are drawn
        if "y" in layer.get("encoding", {}):
            layer["encoding"]["y"]["title"] = y_title
    spec: dict[str, Any] = {
        "$schema": VEGA_LITE_SCHEMA,
        "width": width,
        "height": height,
        "data": {"values": values},
        "layer": layers,
        "config": {"view": {"stroke": None}, "axis": {"grid": False}},
    }
    if title:
        spec["title"] = title
    if locale:
        spec["config"]["locale"] = dict(locale)
    return spec


def render(
    result: QicResult,
    *,
    fmt: Literal["svg", "png", "pdf"] = "svg",
    scale: float = 2,
    **spec_options: Any,
) -> bytes:
    """Render one series to SVG, PNG or PDF offline with vl_convert."""
    import vl_convert

    spec = vegalite_spec(result, **spec_options)
    if fmt == "svg":
        return vl_convert.vegalite_to_svg(spec).encode()
    if fmt == "png":
        return vl_convert.vegalite_to_png(spec, scale=scale)
    if fmt == "pdf":
        return vl_convert.vegalite_to_pdf(spec)
    raise ValueError(f"fmt must be svg, png or pdf; got {fmt!r}")


def _series_rows(result: QicResult, series: Any) -> pd.DataFrame:
    data = result.data
    if not result.by:
        return data
    if series is None:
        keys = result.series()
        if len(keys) != 1:
            raise ValueError(f"{len(keys)} series: say which one with series=...")
        return data
    if isinstance(series, Mapping):
        wanted = dict(series)
    elif isinstance(series, tuple | list):
        wanted = dict(zip(result.by, series, strict=True))
    else:
        wanted = {result.by[0]: series}
    mask = np.ones(len(data), dtype=bool)
    for column, value in wanted.items():
        mask &= (data[column] == value).to_numpy()
    if not mask.any():
        raise ValueError(f"no series {wanted}")
    return data[mask]


def _json_value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | datetime | date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    return value if isinstance(value, int | str) else str(value)


def _point(row: Any) -> dict[str, Any]:
    return {
        "x": _json_value(row.x),
        "y": _json_value(row.y),
        "cl": _json_value(row.cl),
        "lcl": _json_value(row.lcl),
        "ucl": _json_value(row.ucl),
        "part": int(row.part),
        "signal": bool(row.sigma_signal),
        "runs_signal": bool(row.runs_signal),
    }


def _line_layer(
    field: str, colour: str, x_encoding: dict[str, Any], *, step: bool
) -> dict[str, Any]:
    return {
        "mark": {
            "type": "line",
            "color": colour,
            "strokeWidth": 1,
            "interpolate": "step" if step else "linear",
        },
        "encoding": {
            "x": x_encoding,
            "y": {"field": field, "type": "quantitative"},
            "detail": {"field": "part"},
        },
    }


def _centre_layer(x_encoding: dict[str, Any]) -> dict[str, Any]:
    """Centre line per phase; dashed and in the signal colour when the runs analysis signals."""
    return {
        "mark": {"type": "line", "interpolate": "step", "strokeWidth": 1.5},
        "encoding": {
            "x": x_encoding,
            "y": {"field": "cl", "type": "quantitative"},
            "detail": {"field": "part"},
            "color": {
                "condition": {"test": "datum.runs_signal", "value": SIGNAL_COLOUR},
                "value": CENTRE_COLOUR,
            },
            "strokeDash": {
                "condition": {"test": "datum.runs_signal", "value": [6, 4]},
                "value": [1, 0],
            },
        },
    }


def _annotation_layers(
    annotations: Sequence[Annotation], rows: pd.DataFrame, x_encoding: dict[str, Any]
) -> list[dict[str, Any]]:
    """A marker on the data point (or at the top, if no point has that x) and its text."""
    by_x = {_json_value(x): _json_value(y) for x, y in zip(rows["x"], rows["y"], strict=True)}
    top = max((v for v in by_x.values() if v is not None), default=0)
    values = [
        {"x": _json_value(x), "text": str(text), "at": by_x.get(_json_value(x)) or top}
        for x, text in annotations
    ]
    y = {"field": "at", "type": "quantitative"}
    return [
        {
            "data": {"values": values},
            "mark": {"type": "point", "shape": "triangle-down", "size": 80, "filled": True},
            "encoding": {"x": x_encoding, "y": y, "color": {"value": ANNOTATION_COLOUR}},
        },
        {
            "data": {"values": values},
            "mark": {"type": "text", "dy": -14, "fontSize": 11, "color": ANNOTATION_COLOUR},
            "encoding": {"x": x_encoding, "y": y, "text": {"field": "text"}},
        },
    ]
