"""Vega-Lite spec for the area profile of an assessment. Pure: plain values in, a dict out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def profile_spec(rows: Sequence[dict[str, Any]], *, title: str = "") -> dict[str, Any]:
    """Horizontal bars per area on the 1-4 maturity scale.

    `rows`: {"area": str, "series": str, "value": float | None}; a series is e.g. "Team mean",
    "Agreed" or "Previous agreed". Missing values are left out, never drawn as zero.
    """
    values = [r for r in rows if r.get("value") is not None]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": title,
        "width": 420,
        "data": {"values": values},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "y": {"field": "area", "type": "nominal", "title": None, "sort": None},
            "yOffset": {"field": "series", "sort": None},
            "x": {"field": "value", "type": "quantitative", "title": "Maturity (1-4)",
                  "scale": {"domain": [0, 4]}, "axis": {"values": [0, 1, 2, 3, 4]}},
            "color": {"field": "series", "type": "nominal", "sort": None,
                      "legend": {"orient": "bottom", "title": None}},
        },
    }
