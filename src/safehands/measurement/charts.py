"""From data values to SPC charts: the measure's default chart, its MDC icons and its table.

The measure says which chart (catalogue `chart`), how to scale (`multiplier`) and which way is
better (`direction`). Two honest substitutions, shown on the page:
- continuous measures whose default is X̄ or S are stored as one value per period, so they
  are drawn as an I chart (an X̄ chart needs several observations per period);
- a period with a missing numerator or denominator is a gap, never a zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from django.utils.translation import gettext_noop

from safehands.core.charts import spc_labels
from safehands.measurement import rules
from safehands.spc import qic
from safehands.spc.errors import SpcInputError
from safehands.spc.plot import vegalite_spec

SINGLE_VALUE_CHART = {"xbar": "i", "s": "i"}
MIN_POINTS = 2

VARIATION_LABELS = {
    "common_cause": gettext_noop("Common cause variation"),
    "special_cause_improvement": gettext_noop("Special cause: improvement"),
    "special_cause_concern": gettext_noop("Special cause: concern"),
    "special_cause_neither": gettext_noop("Special cause"),
}
ASSURANCE_LABELS = {
    "consistently_meets": gettext_noop("Consistently meets the target"),
    "consistently_fails": gettext_noop("Consistently fails the target"),
    "hit_and_miss": gettext_noop("Hits and misses the target"),
}


def chart_of(measure: Any) -> str:
    return SINGLE_VALUE_CHART.get(measure.chart, measure.chart)


def direction_of(measure: Any) -> str | None:
    return {"higher_is_better": "higher", "lower_is_better": "lower"}.get(measure.direction)


def target_of(measure: Any, local_target: float | None = None) -> float | None:
    """The local aim's target when there is one, else the catalogue's; in plotted units."""
    return local_target if local_target is not None else measure.target_value


@dataclass(frozen=True)
class Point:
    period: str
    start: date
    numerator: float | None
    denominator: float | None
    value: float | None
    comment: str


def _frame(points: Sequence[Point], measure: Any) -> pd.DataFrame:
    if measure.value_type in rules.RATIO_TYPES:
        return pd.DataFrame({
            "x": [p.start for p in points],
            "y": [np.nan if p.numerator is None else p.numerator for p in points],
            "n": [np.nan if p.denominator is None else p.denominator for p in points],
        })
    return pd.DataFrame({"x": [p.start for p in points],
                         "y": [np.nan if p.value is None else p.value for p in points]})


def compute(points: Sequence[Point], measure: Any, *, target: float | None = None) -> Any:
    """The QicResult for one unit's series, or None with fewer than two points."""
    if len(points) < MIN_POINTS:
        return None
    frame = _frame(points, measure)
    ratio = measure.value_type in rules.RATIO_TYPES
    try:
        return qic(frame, x="x", y="y", n="n" if ratio else None, chart=chart_of(measure),
                   multiply=measure.multiplier if ratio else 1, target=target,
                   direction=direction_of(measure))
    except SpcInputError:
        return None


def summary_of(result: Any) -> dict[str, Any] | None:
    """The last part's MDC reading: variation and assurance codes and labels."""
    if result is None:
        return None
    row = result.summary().iloc[-1]
    return _reading(row)


def _reading(row: Any) -> dict[str, Any]:
    variation = row["variation"]
    assurance = row["assurance"] if isinstance(row["assurance"], str) else None
    return {
        "variation": variation,
        "variation_label": VARIATION_LABELS.get(variation, variation),
        "side": row["signal_side"] if isinstance(row["signal_side"], str) else None,
        "assurance": assurance,
        "assurance_label": ASSURANCE_LABELS.get(assurance, "") if assurance else "",
        "runs_signal": bool(row["runs_signal"]),
        "sigma_signals": int(row["sigma_signals"]),
    }


def spec(result: Any, *, title: str, annotations: Sequence[tuple[date, str]] = (),
         width: int = 640, height: int = 300) -> dict[str, Any] | None:
    if result is None:
        return None
    return vegalite_spec(result, title=title, width=width, height=height,
                         annotations=[(d.isoformat(), text) for d, text in annotations],
                         **spc_labels(result.chart))


def table(points: Sequence[Point], result: Any) -> list[dict[str, Any]]:
    """The rows under the chart: the data and the chart's reading of each period."""
    rows = []
    lines: dict[date, Any] = {}
    if result is not None:
        for row in result.data.itertuples(index=False):
            x = row.x.date() if hasattr(row.x, "date") else row.x
            lines[x] = row
    for point in points:
        line = lines.get(point.start)
        rows.append({
            "period": point.period, "numerator": point.numerator,
            "denominator": point.denominator, "value": point.value, "comment": point.comment,
            "y": _clean(line.y) if line is not None else None,
            "cl": _clean(line.cl) if line is not None else None,
            "lcl": _clean(line.lcl) if line is not None else None,
            "ucl": _clean(line.ucl) if line is not None else None,
            "signal": bool(line.sigma_signal) if line is not None else False,
        })
    return rows


def _clean(number: Any) -> float | None:
    try:
        value = float(number)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(value) else value


def signal_matrix(frame: pd.DataFrame, measures: dict[int, Any]) -> dict[tuple[Any, int], dict]:
    """MDC readings for many series at once: frame columns row, measure, x, y, n.

    One batch `qic` call per chart type (a call computes one chart type for every series);
    in practice two or three calls for a whole dashboard.
    """
    readings: dict[tuple[Any, int], dict] = {}
    if frame.empty:
        return readings
    frame = frame.assign(chart=frame["measure"].map(lambda m: chart_of(measures[m])))
    for chart, part in frame.groupby("chart", sort=True):
        for direction, sub in part.groupby(part["measure"].map(
                lambda m: direction_of(measures[m]) or ""), sort=True):
            ratio = chart in ("p", "pp", "u", "up")
            # The multiplier only scales the picture; the signals are the same without it.
            try:
                result = qic(sub, x="x", y="y", n="n" if ratio else None, chart=chart,
                             by=["row", "measure"], direction=direction or None)
            except SpcInputError:
                continue
            summary = result.summary()
            last = summary.groupby(["row", "measure"], sort=False).tail(1)
            for row in last.itertuples(index=False):
                data = row._asdict()
                if data["n_points"] < MIN_POINTS:
                    continue
                readings[(data["row"], int(data["measure"]))] = _reading(data)
    return readings
