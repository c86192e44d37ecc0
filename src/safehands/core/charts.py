"""Rendering Vega-Lite chart specs to files, offline.

One chart description serves the browser (rendered there by the Vega bundle that
`vl-convert-python` ships, see `safehands.web.views.vega_bundle`) and exported files (rendered
here). Nothing is fetched from the internet.
"""

from __future__ import annotations

import threading
from typing import Any, Literal

import vl_convert

ChartFormat = Literal["svg", "png", "pdf"]
_lock = threading.Lock()  # one rendering engine per process; keep calls serial


def render_chart(spec: dict[str, Any], fmt: ChartFormat, *, scale: float = 2.0) -> bytes:
    """The chart as SVG (UTF-8 bytes), PNG or PDF."""
    with _lock:
        if fmt == "svg":
            return vl_convert.vegalite_to_svg(spec).encode("utf-8")
        if fmt == "png":
            return vl_convert.vegalite_to_png(spec, scale=scale)
        if fmt == "pdf":
            return vl_convert.vegalite_to_pdf(spec)
    raise ValueError(f"unknown chart format {fmt!r}; use svg, png or pdf")


CHART_CONTENT_TYPES: dict[str, str] = {
    "svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf",
}
