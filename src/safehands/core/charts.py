"""Rendering Vega-Lite chart specs to files, offline.

One chart description serves the browser (rendered there by the Vega bundle that
`vl-convert-python` ships, see `safehands.web.views.vega_bundle`) and exported files (rendered
here). Nothing is fetched from the internet.
"""

from __future__ import annotations

import threading
from typing import Any, Literal

import vl_convert
from django.utils.translation import get_language
from django.utils.translation import gettext as _

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


# Vega locales (d3-format and d3-time-format definitions) for the languages pages are offered
# in. Vega draws English month names and number marks unless a chart carries its own locale.
VEGA_LOCALES: dict[str, dict[str, Any]] = {
    "nb": {
        "number": {"decimal": ",", "thousands": "\u00a0", "grouping": [3],
                   "currency": ["", "\u00a0kr"]},
        "time": {
            "dateTime": "%A %e. %B %Y kl. %X", "date": "%d.%m.%Y", "time": "%H:%M:%S",
            "periods": ["AM", "PM"],
            "days": ["søndag", "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag"],
            "shortDays": ["søn.", "man.", "tir.", "ons.", "tor.", "fre.", "lør."],
            "months": ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august",
                       "september", "oktober", "november", "desember"],
            "shortMonths": ["jan.", "feb.", "mars", "apr.", "mai", "juni", "juli", "aug.",
                            "sep.", "okt.", "nov.", "des."],
        },
    },
}


def chart_locale() -> dict[str, Any] | None:
    """The Vega locale of the active language, or None for English (Vega's own)."""
    return VEGA_LOCALES.get((get_language() or "en").split("-")[0])


def axis_title(chart: str) -> str:
    """The y axis title of an SPC chart in the active language ('u chart', 'u-diagram')."""
    if chart == "run":
        return _("value")
    return _("%(chart)s chart") % {"chart": chart}


def spc_labels(chart: str) -> dict[str, Any]:
    """The options `safehands.spc.plot.vegalite_spec` takes for a chart in the reader's language."""
    return {"y_title": axis_title(chart), "locale": chart_locale()}
