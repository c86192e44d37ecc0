"""The analysis pages of a unit's events and their exports. Thin: the permission function
(`event.view`), the queries of `analysis`, the charts of `charts`, render.

Counts and charts only: nothing here reads or shows a report's free text, so viewers (who
may not read reports) use these pages, and no read is logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safehands.catalogue.models import TargetArea
from safehands.core.errors import NotFound
from safehands.core.suppression import threshold
from safehands.events import charts, exports
from safehands.events.analysis import Analysis, analysis_get
from safehands.events.content import taxonomy
from safehands.events.scope import GROUPINGS, Scope
from safehands.orgs.access import authorize, can
from safehands.orgs.models import OrgUnit
from safehands.orgs.queries import org_unit_ancestors, org_unit_get

DEFAULT_MONTHS = 24
CHART_SPECS = {"reports": "reports_spec", "factors": "pareto_spec", "outcomes": "outcome_spec"}
DATE_INVALID = gettext_lazy("'{value}' is not a date for '{field}'; write YYYY-MM-DD.")
BY_INVALID = gettext_lazy("'{value}' is not a grouping; choose month, quarter or year.")


@dataclass(frozen=True)
class Filter:
    date_from: date
    date_to: date
    by: str
    errors: tuple[str, ...]

    def query(self) -> str:
        return urlencode({"from": self.date_from.isoformat(), "to": self.date_to.isoformat(),
                          "by": self.by})


def _months_back(today: date, months: int) -> date:
    index = today.year * 12 + today.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


def period_filter(params: Any, *, today: date | None = None) -> Filter:
    """From, to and grouping from the query string; a bad value is named and replaced by
    its default (the last 24 months, by month), so the page still answers."""
    today = today or date.today()
    errors: list[str] = []
    values: dict[str, date] = {}
    defaults = {"from": _months_back(today, DEFAULT_MONTHS), "to": today}
    for name, label in (("from", _("From")), ("to", _("To"))):
        text = (params.get(name) or "").strip()
        try:
            values[name] = date.fromisoformat(text) if text else defaults[name]
        except ValueError:
            errors.append(str(DATE_INVALID).format(value=text, field=label))
            values[name] = defaults[name]
    by = (params.get("by") or "month").strip()
    if by not in GROUPINGS:
        errors.append(str(BY_INVALID).format(value=by))
        by = "month"
    if values["from"] > values["to"]:
        errors.append(_("The period starts (%(start)s) after it ends (%(end)s); showing the "
                        "last %(months)s months.") % {
            "start": values["from"], "end": values["to"], "months": DEFAULT_MONTHS})
        values = defaults
    return Filter(values["from"], values["to"], by, tuple(errors))


def _unit_for(request: HttpRequest, code: str) -> OrgUnit:
    unit = org_unit_get(code=code)
    authorize(request.user, "event.view", unit)
    return unit


def _analysis(request: HttpRequest, unit: OrgUnit) -> tuple[Filter, Analysis]:
    chosen = period_filter(request.GET)
    scope = Scope(unit, subtree=True, date_from=chosen.date_from, date_to=chosen.date_to)
    return chosen, analysis_get(scope, by=chosen.by, user=request.user)


def _charts(result: Analysis) -> dict[str, Any]:
    reports = charts.reports_result(result.series)
    return {
        "reports": reports,
        "reports_spec": charts.reports_spec(reports, title=charts.reports_title(reports)),
        "reports_title": charts.reports_title(reports),
        "reading": charts.reading_of(reports),
        "pareto_spec": charts.pareto_spec(result.factors, title=_("Contributing factors")),
        "outcome_spec": charts.outcome_spec(result.by_outcome, title=_("Events by outcome")),
    }


def _labelled(result: Analysis) -> dict[str, Any]:
    """Rows of the page's tables with names in the reader's language beside the codes."""
    tax = taxonomy()
    areas = {a.code: a.display_name for a in TargetArea.objects.filter(
        code__in=[r.key for r in result.by_target_area if r.key])}

    def term(section: dict, code: str) -> str:
        return section[code].label if code in section else code

    def pct(share: float | None) -> float | None:
        return None if share is None else 100 * share

    return {
        "by_type": [(term(tax.event_types, r.key), r, pct(r.share)) for r in result.by_type],
        "by_outcome": [(term(tax.outcomes, r.key), r, pct(r.share)) for r in result.by_outcome],
        "by_target_area": [(areas.get(r.key, r.key) if r.key else _("No target area"), r,
                            pct(r.share)) for r in result.by_target_area],
        "by_category": [(term(tax.categories, r.category), r) for r in result.by_category],
        "factors": [(term(tax.factors, r.code), r, pct(r.share), pct(r.cumulative))
                    for r in result.factors],
        "periods": [(term(tax.event_types, r.event_type), term(tax.outcomes, r.outcome), r)
                    for r in result.periods],
        "near_miss_pct": pct(result.near_miss.share),
    }


@login_required
def analysis_page(request: HttpRequest, code: str) -> HttpResponse:
    """Counts, rates and charts of the events of a unit and everything below it."""
    unit = _unit_for(request, code)
    chosen, result = _analysis(request, unit)
    return render(request, "events/analysis.html", {
        "unit": unit, "filter": chosen, "result": result, "query": chosen.query(),
        "ancestors": org_unit_ancestors(unit=unit, user=request.user,
                                        permission="event.view"),
        "groupings": [("month", _("Month")), ("quarter", _("Quarter")), ("year", _("Year"))],
        "may_handle": can(request.user, "event.handle", unit),
        "threshold": threshold(),
        "suppressed_any": any(r.suppressed for r in result.children),
        "tables": [(t.name, t.title) for t in exports.analysis_tables(result)],
        **_charts(result), **_labelled(result),
    })


def _download(content: bytes | str, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _file_stem(unit: OrgUnit, chosen: Filter) -> str:
    return f"{unit.code}_events_{chosen.date_from.isoformat()}_{chosen.date_to.isoformat()}"


@login_required
def analysis_table_csv(request: HttpRequest, code: str, table: str) -> HttpResponse:
    """One table of the page as CSV (with the same small-cell suppression as the page)."""
    unit = _unit_for(request, code)
    chosen, result = _analysis(request, unit)
    found = exports.table_get(result, table)
    return _download(exports.table_csv(found), f"{_file_stem(unit, chosen)}_{table}.csv",
                     "text/csv; charset=utf-8")


@login_required
def analysis_xlsx(request: HttpRequest, code: str) -> HttpResponse:
    """Every table of the page in one workbook, a sheet each."""
    unit = _unit_for(request, code)
    chosen, result = _analysis(request, unit)
    return _download(exports.tables_xlsx(exports.analysis_tables(result)),
                     f"{_file_stem(unit, chosen)}.xlsx", exports.XLSX_CONTENT_TYPE)


@login_required
def analysis_chart(request: HttpRequest, code: str, chart: str, fmt: str) -> HttpResponse:
    """A chart of the page as SVG or PNG, drawn from the same spec as on screen."""
    from safehands.core.charts import CHART_CONTENT_TYPES, render_chart

    unit = _unit_for(request, code)
    if chart not in charts.CHARTS or fmt not in ("svg", "png"):
        raise NotFound(_("Charts download as reports, factors or outcomes, in svg or png."),
                       {"chart": chart, "format": fmt})
    chosen, result = _analysis(request, unit)
    spec = _charts(result)[CHART_SPECS[chart]]
    if spec is None:
        raise NotFound(_("There is not enough data in the period to draw this chart."),
                       {"chart": chart})
    return _download(render_chart(spec, fmt), f"{_file_stem(unit, chosen)}_{chart}.{fmt}",
                     CHART_CONTENT_TYPES[fmt])
