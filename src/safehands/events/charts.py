"""Charts of the event analysis, as Vega-Lite specs: the same description is drawn in the
browser (`{% vega_chart %}`) and rendered to SVG or PNG by `safehands.core.charts`.

- Reports by month: a u chart of events per 1,000 bed days from the SPC engine
  (`safehands.spc.qic`, chart "u", multiply 1000: Montgomery's u chart, as qicharts2 draws
  it), counting the events of units and months that report bed days over those bed days.
  Where no month of the period has bed days, a run chart of the counts instead: a count
  without its exposure has no meaningful control limits. A month without bed days is a gap
  in the u chart, never a zero.
- Contributing factors: a Pareto chart, bars sorted by frequency with the cumulative share
  as a line on its own axis.
- Outcomes: bars in their order of severity.

No direction of improvement is set: more reports may mean more harm or a stronger reporting
culture, so a signal is "special cause", neither good nor bad. Every chart has its numbers
in a table beside it on the page (the text alternative).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from django.utils.translation import gettext as _

from safehands.core.charts import chart_locale, spc_labels
from safehands.events.analysis import CountRow, FactorRow
from safehands.events.content import taxonomy
from safehands.events.rates import MonthPoint
from safehands.spc import qic
from safehands.spc.errors import SpcInputError
from safehands.spc.plot import VEGA_LITE_SCHEMA, vegalite_spec

MIN_POINTS = 2
BAR_COLOUR = "#5DA5DA"
LINE_COLOUR = "#B2182B"
OUTCOME_COLOURS = {"none": "#9ecae1", "low": "#6baed6", "moderate": "#fd8d3c",
                   "severe": "#e6550d", "death": "#7f2704"}
CHARTS = ("reports", "factors", "outcomes")


def reports_result(series: Sequence[MonthPoint]) -> Any:
    """The QicResult of the monthly series: u chart with bed days, else a run chart; None
    with fewer than two months."""
    if len(series) < MIN_POINTS:
        return None
    x = [p.month for p in series]
    try:
        if any(p.bed_days for p in series):
            return qic({"x": x,
                        "y": [p.with_bed_days if p.bed_days else np.nan for p in series],
                        "n": [p.bed_days if p.bed_days else np.nan for p in series]},
                       x="x", y="y", n="n", chart="u", multiply=1000)
        return qic({"x": x, "y": [p.events for p in series]}, x="x", y="y", chart="run")
    except SpcInputError:
        return None


def reports_spec(result: Any, *, title: str) -> dict[str, Any] | None:
    if result is None:
        return None
    labels = spc_labels(result.chart)
    if result.chart == "u":
        labels["y_title"] = _("events per 1,000 bed days")
    else:
        labels["y_title"] = _("events")
    return vegalite_spec(result, title=title, width=640, height=280, **labels)


def reports_title(result: Any) -> str:
    if result is not None and result.chart == "u":
        return _("Events per 1,000 bed days by month (u chart)")
    return _("Events by month (run chart)")


def reading_of(result: Any) -> dict[str, Any] | None:
    """The last part's reading of the chart: whether it shows a signal, in words."""
    if result is None:
        return None
    row = result.summary().iloc[-1]
    runs = bool(row["runs_signal"])
    sigma = int(row["sigma_signals"]) if "sigma_signals" in row else 0
    if runs or sigma:
        text = _("Special cause variation: the pattern is unlikely to be chance alone.")
    else:
        text = _("Common cause variation: no signal in the period.")
    return {"runs_signal": runs, "sigma_signals": sigma, "text": text}


def _config() -> dict[str, Any]:
    locale = chart_locale()
    return {"view": {"stroke": None}, "axis": {"grid": False},
            **({"locale": locale} if locale else {})}


def pareto_spec(rows: Sequence[FactorRow], *, title: str) -> dict[str, Any] | None:
    """Bars of events per factor, most frequent first, and the cumulative share (%)."""
    if not rows:
        return None
    factors = taxonomy().factors
    values = [{"factor": factors[r.code].label if r.code in factors else r.code,
               "events": r.events, "cumulative": round(100 * r.cumulative, 1)} for r in rows]
    order = [v["factor"] for v in values]
    x = {"field": "factor", "type": "nominal", "sort": order, "title": None,
         "axis": {"labelAngle": -40, "labelLimit": 180}}
    return {
        "$schema": VEGA_LITE_SCHEMA, "title": title, "width": 640, "height": 260,
        "data": {"values": values},
        "layer": [
            {"mark": {"type": "bar", "color": BAR_COLOUR},
             "encoding": {"x": x, "y": {"field": "events", "type": "quantitative",
                                        "title": _("events")},
                          "tooltip": [{"field": "factor", "title": _("factor")},
                                      {"field": "events", "title": _("events")},
                                      {"field": "cumulative", "title": _("cumulative %")}]}},
            {"mark": {"type": "line", "color": LINE_COLOUR, "point": True},
             "encoding": {"x": x, "y": {"field": "cumulative", "type": "quantitative",
                                        "title": _("cumulative %"),
                                        "scale": {"domain": [0, 100]}}}},
        ],
        "resolve": {"scale": {"y": "independent"}},
        "config": _config(),
    }


def outcome_spec(rows: Sequence[CountRow], *, title: str) -> dict[str, Any] | None:
    """Bars of events by outcome, in the order of severity."""
    if not rows:
        return None
    outcomes = taxonomy().outcomes
    values = [{"outcome": outcomes[r.key].label if r.key in outcomes else r.key,
               "code": r.key, "events": r.events} for r in rows]
    return {
        "$schema": VEGA_LITE_SCHEMA, "title": title, "width": 420, "height": 200,
        "data": {"values": values},
        "mark": {"type": "bar"},
        "encoding": {
            "y": {"field": "outcome", "type": "nominal", "sort": [v["outcome"] for v in values],
                  "title": None},
            "x": {"field": "events", "type": "quantitative", "title": _("events")},
            "color": {"field": "code", "type": "nominal", "legend": None,
                      "scale": {"domain": list(OUTCOME_COLOURS),
                                "range": list(OUTCOME_COLOURS.values())}},
            "tooltip": [{"field": "outcome", "title": _("outcome")},
                        {"field": "events", "title": _("events")}],
        },
        "config": _config(),
    }
