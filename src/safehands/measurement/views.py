"""Measurement pages. Thin: authorise, ask a query or call a service, render."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safehands.catalogue.models import BundleElement, Measure, TargetArea
from safehands.core.charts import chart_locale
from safehands.core.errors import AccessDenied, DomainError, NotFound
from safehands.core.suppression import suppressed_cells, threshold
from safehands.core.tables import csv_writer
from safehands.measurement import charts, periods, queries, rules, services
from safehands.measurement.models import PHASE_CHOICES, DataValue, PeriodLock
from safehands.orgs.access import authorize, can
from safehands.orgs.models import OrgUnit
from safehands.orgs.queries import org_unit_ancestors, org_unit_get

ENTRY_HISTORY = 6
SPREAD_COLOURS = ["#c6dbef", "#6baed6", "#3182bd", "#08519c", "#08306b"]


def _unit(code: str) -> OrgUnit:
    return org_unit_get(code=code)


def _date(text: str | None, default: date | None = None) -> date | None:
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _float(text: str | None) -> float | None:
    try:
        return rules.parse_number(text)
    except ValueError:
        return None


# --- Unit overview -------------------------------------------------------------------------


def _crumbs(request: HttpRequest, unit: OrgUnit) -> list[OrgUnit]:
    """The units above this one whose measurement pages the reader may open."""
    return org_unit_ancestors(unit=unit, user=request.user, permission="data.view")

@login_required
def unit_overview(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(code)
    authorize(request.user, "data.view", unit)
    measures = queries.unit_measures(unit=unit)
    readings = queries.unit_readings(unit=unit, measures=measures) if measures else {}
    latest = {}
    for measure in measures:
        value = DataValue.objects.filter(unit=unit, measure=measure).order_by(
            "-period_start").first()
        latest[measure.pk] = value
    rows = [{"measure": m, "reading": readings.get(m.pk), "latest": latest[m.pk],
             "shown": _shown(m, latest[m.pk]),
             "numerator": latest[m.pk].numerator if latest[m.pk] else None,
             "denominator": latest[m.pk].denominator if latest[m.pk] else None,
             "value": latest[m.pk].value if latest[m.pk] else None} for m in measures]
    for row in rows:
        queries.values_suppressed(rows=[row], user=request.user, unit=unit,
                                  measure=row["measure"], derived=("shown",))
    return render(request, "measurement/unit_overview.html", {
        "unit": unit, "ancestors": _crumbs(request, unit),
        "enrolments": queries.enrolment_list(unit=unit),
        "below": queries.enrolment_list(under=unit).exclude(unit=unit)[:200],
        "rows": rows,
        "children": OrgUnit.objects.filter(parent=unit).order_by("code"),
        "can_enter": can(request.user, "data.enter", unit),
        "can_manage": can(request.user, "enrolment.manage", unit),
        "can_lock": can(request.user, "period.lock", unit),
        "areas": TargetArea.objects.filter(enrolments__unit__path__startswith=unit.path)
        .distinct().order_by("number"),
    })


def _shown(measure: Measure, value: DataValue | None) -> float | None:
    if value is None:
        return None
    return rules.ratio(measure.value_type, value.numerator, value.denominator, value.value,
                       measure.multiplier)


# --- Unit × measure chart ------------------------------------------------------------------

def _chart_context(user: Any, unit: OrgUnit, measure: Measure) -> dict[str, Any]:
    enrolment = queries.enrolment_list(unit=unit).filter(
        target_area_id=measure.target_area_id).first()
    target = charts.target_of(measure, enrolment.target_value if enrolment else None)
    points = queries.unit_points(unit=unit, measure=measure)
    result = charts.compute(points, measure, target=target)
    notes = list(queries.annotation_list(unit=unit, measure=measure))
    title = f"{unit.name}: {measure.display_name}"
    return {
        "points": points, "result": result, "notes": notes, "title": title,
        "spec": charts.spec(result, title=title, annotations=[(n.date, n.text) for n in notes]),
        "reading": charts.summary_of(result),
        # The values under the chart are a list of raw values: small counts are suppressed
        # for people outside the unit's team, with the plotted ratio that gives them back.
        "table": queries.values_suppressed(rows=charts.table(points, result), user=user,
                                           unit=unit, measure=measure, derived=("y",)),
        "chart_name": charts.chart_of(measure), "target": target, "enrolment": enrolment,
    }


@login_required
def measure_chart(request: HttpRequest, code: str, measure: str) -> HttpResponse:
    unit = _unit(code)
    authorize(request.user, "data.view", unit)
    item = queries.measure_get(code=measure)
    context = _chart_context(request.user, unit, item)
    return render(request, "measurement/measure_chart.html", {
        **context, "unit": unit, "measure": item, "ancestors": _crumbs(request, unit),
        "can_enter": can(request.user, "data.enter", unit),
        "substituted": item.chart != context["chart_name"], "threshold": threshold(),
        "today": date.today().isoformat(),
    })


def _download(content: bytes | str, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _chart_file(spec: dict | None, name: str, fmt: str) -> HttpResponse:
    from safehands.core.charts import render_chart

    if spec is None:
        raise NotFound(_("There are not enough values to draw a chart yet."))
    types = {"svg": "image/svg+xml", "png": "image/png"}
    return _download(render_chart(spec, fmt), f"{name}.{fmt}", types[fmt])


def _cell(value: Any) -> Any:
    """CSV text as every Safehands file writes it: true/false, numbers that read back exactly."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return rules.format_number(value)
    return "" if value is None else value


def _table_csv(rows: list[dict[str, Any]], columns: list[str], name: str) -> HttpResponse:
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in columns])
    return _download(out.getvalue(), f"{name}.csv", "text/csv; charset=utf-8")


@login_required
def measure_chart_download(request: HttpRequest, code: str, measure: str,
                           fmt: str) -> HttpResponse:
    unit = _unit(code)
    authorize(request.user, "data.view", unit)
    item = queries.measure_get(code=measure)
    context = _chart_context(request.user, unit, item)
    name = f"{unit.code}_{item.code}"
    if fmt == "csv":
        columns = ["period", "numerator", "denominator", "value", "y", "cl", "lcl", "ucl",
                   "signal", "comment"]
        if any(row["suppressed"] for row in context["table"]):
            columns.append("suppressed")
        return _table_csv(context["table"], columns, name)
    if fmt in ("svg", "png"):
        return _chart_file(context["spec"], name, fmt)
    raise NotFound(_("Download as csv, svg or png."))


# --- Roll-up -------------------------------------------------------------------------------

def _rollup_context(user: Any, unit: OrgUnit, measure: Measure) -> dict[str, Any]:
    points = queries.rollup(unit=unit, measure=measure)
    chart_points = [charts.Point(p.period, periods.parse(p.period).start, p.numerator,
                                 p.denominator, p.value, "") for p in points]
    result = charts.compute(chart_points, measure)
    title = f"{unit.name}: {measure.display_name}"
    # Breakdown by child for the latest period, with small-cell suppression.
    breakdown: list[dict[str, Any]] = []
    if points:
        breakdown = queries.rollup_breakdown(unit=unit, measure=measure,
                                             period=points[-1].period)
        if breakdown and not queries.may_see_small_counts(user, unit):
            field = "numerator" if measure.value_type in rules.RATIO_TYPES else "value"
            counts = {row["unit"].code: row[field] for row in breakdown if row["reporting"]}
            counts["__total__"] = sum(counts.values())
            hidden = suppressed_cells(counts, children={"__total__": [
                row["unit"].code for row in breakdown if row["reporting"]]},
                threshold=threshold())
            for row in breakdown:
                row["suppressed"] = row["unit"].code in hidden
    return {"points": points, "result": result, "title": title,
            "spec": charts.spec(result, title=title), "reading": charts.summary_of(result),
            "breakdown": breakdown}


@login_required
def rollup_chart(request: HttpRequest, code: str, measure: str) -> HttpResponse:
    unit = _unit(code)
    authorize(request.user, "data.view", unit)
    item = queries.measure_get(code=measure)
    context = _rollup_context(request.user, unit, item)
    context["rows"] = queries.rollup_rows(points=context["points"], user=request.user,
                                          unit=unit, measure=item)
    return render(request, "measurement/rollup.html", {
        **context, "unit": unit, "measure": item,
        "ancestors": _crumbs(request, unit),
    })


@login_required
def rollup_download(request: HttpRequest, code: str, measure: str, fmt: str) -> HttpResponse:
    unit = _unit(code)
    authorize(request.user, "data.view", unit)
    item = queries.measure_get(code=measure)
    context = _rollup_context(request.user, unit, item)
    name = f"{unit.code}_{item.code}_rollup"
    if fmt == "csv":
        rows = queries.rollup_rows(points=context["points"], user=request.user, unit=unit,
                                   measure=item)
        columns = ["period", "numerator", "denominator", "value", "reporting_units",
                   "expected_units"]
        if any(row["suppressed"] for row in rows):
            columns.append("suppressed")
        return _table_csv(rows, columns, name)
    if fmt in ("svg", "png"):
        return _chart_file(context["spec"], name, fmt)
    raise NotFound(_("Download as csv, svg or png."))


# --- Dashboard -----------------------------------------------------------------------------

def _spread_spec(spread: dict[str, list[int]], months: list[str], title: str) -> dict:
    values = [{"month": periods.parse(m).start.isoformat(), "phase": phase, "units": n}
              for phase, counts in spread.items() for m, n in zip(months, counts, strict=True)]
    locale = chart_locale()
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": title, "width": 360, "height": 140, "data": {"values": values},
        "mark": {"type": "area"},
        "encoding": {
            "x": {"field": "month", "type": "temporal", "title": None},
            "y": {"field": "units", "type": "quantitative", "stack": True, "title": None},
            "color": {"field": "phase", "type": "nominal",
                      "scale": {"domain": [p for p, _ in PHASE_CHOICES],
                                "range": SPREAD_COLOURS},
                      "sort": [p for p, _ in PHASE_CHOICES]},
        },
        "config": {"view": {"stroke": None}, **({"locale": locale} if locale else {})},
    }


@login_required
def dashboard(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(code)
    authorize(request.user, "data.view", unit)
    board = queries.dashboard_cached(unit=unit)
    areas = {a.code: a for a in TargetArea.objects.filter(code__in=list(board.spread))}
    labels = dict(PHASE_CHOICES)
    spreads = [{"area": areas[code], "enrolled": board.enrolled.get(code, 0),
                "now": {labels[p]: counts[-1] for p, counts in phases.items()},
                "spec": _spread_spec(phases, board.spread_months,
                                     str(areas[code].display_name))}
               for code, phases in sorted(board.spread.items(),
                                          key=lambda kv: areas[kv[0]].number)]
    matrix = [{"unit": row, "cells": [board.readings.get((row.pk, m.pk))
                                      for m in board.measures]} for row in board.rows]
    completeness = []
    for measure in board.measures:
        points = board.completeness.get(measure.pk)
        if not points:
            continue
        completeness.append({"measure": measure, "points": [
            {"period": p, "reporting": r, "due": d,
             "percent": round(100 * r / d) if d else None} for p, r, d in points]})
    return render(request, "measurement/dashboard.html", {
        "unit": unit, "ancestors": _crumbs(request, unit), "board": board,
        "spreads": spreads, "matrix": matrix, "completeness": completeness,
        "recent": board.completeness_periods,
    })


def _signal_rows(board: queries.Dashboard) -> list[dict[str, Any]]:
    rows = []
    for unit in board.rows:
        for measure in board.measures:
            reading = board.readings.get((unit.pk, measure.pk)) or {}
            rows.append({
                "org_unit": unit.code, "org_unit_name": unit.name, "measure": measure.code,
                "variation": reading.get("variation", "too_few_values"),
                "side": reading.get("side"), "assurance": reading.get("assurance"),
                "runs_signal": reading.get("runs_signal"),
                "sigma_signals": reading.get("sigma_signals"),
            })
    return rows


@login_required
def dashboard_download(request: HttpRequest, code: str, part: str, fmt: str) -> HttpResponse:
    """The dashboard's tables as CSV and its spread charts as SVG or PNG."""
    unit = _unit(code)
    authorize(request.user, "data.view", unit)
    board = queries.dashboard_cached(unit=unit)
    name = f"{unit.code}_dashboard_{part}"
    if fmt == "csv" and part == "signals":
        return _table_csv(_signal_rows(board), [
            "org_unit", "org_unit_name", "measure", "variation", "side", "assurance",
            "runs_signal", "sigma_signals"], name)
    if fmt == "csv" and part == "completeness":
        by_id = {m.pk: m for m in board.measures}
        rows = [{"measure": by_id[m].code, "period": p, "reporting_units": r,
                 "expected_units": d} for m, points in board.completeness.items()
                for p, r, d in points]
        return _table_csv(rows, ["measure", "period", "reporting_units", "expected_units"],
                          name)
    if fmt == "csv" and part == "spread":
        rows = [{"target_area": area, "month": month, "phase": phase, "units": n}
                for area, phases in sorted(board.spread.items())
                for phase, counts in phases.items()
                for month, n in zip(board.spread_months, counts, strict=True)]
        return _table_csv(rows, ["target_area", "month", "phase", "units"], name)
    area = part.removeprefix("spread-")
    if fmt in ("svg", "png") and area in board.spread:
        target_area = TargetArea.objects.get(code=area)
        return _chart_file(_spread_spec(board.spread[area], board.spread_months,
                                        str(target_area.display_name)), name, fmt)
    raise NotFound(_("The dashboard downloads signals.csv, completeness.csv, spread.csv and "
                     "spread-<target area>.svg or .png."))


# --- Target-area view ----------------------------------------------------------------------

@login_required
def target_area_view(request: HttpRequest, code: str, area: str) -> HttpResponse:
    unit = _unit(code)
    authorize(request.user, "data.view", unit)
    target_area = TargetArea.objects.filter(code=area).first()
    if target_area is None:
        raise NotFound(_("There is no target area with code %(code)r.") % {"code": area})
    enrolments = list(queries.enrolment_list(under=unit, target_area=target_area))
    measures = [m for m in target_area.measures.filter(is_retired=False, origin="package")]
    import pandas as pd

    units = [e.unit for e in enrolments]
    rows = list(DataValue.objects.filter(unit__in=units, measure__in=measures).values_list(
        "unit_id", "measure_id", "period_start", "numerator", "denominator", "value"))
    by_id = {m.pk: m for m in measures}
    frame = pd.DataFrame([{"row": u, "measure": m, "x": s,
                           "y": n if by_id[m].value_type in rules.RATIO_TYPES else v, "n": d}
                          for u, m, s, n, d, v in rows],
                         columns=["row", "measure", "x", "y", "n"]).astype(
        {"y": float, "n": float})
    readings = charts.signal_matrix(frame, by_id) if rows else {}
    table = [{"enrolment": e, "cells": [readings.get((e.unit_id, m.pk)) for m in measures]}
             for e in enrolments]
    return render(request, "measurement/target_area.html", {
        "unit": unit, "area": target_area, "measures": measures, "table": table,
        "ancestors": _crumbs(request, unit),
    })


# --- Data entry ----------------------------------------------------------------------------

def _entry_rows(unit: OrgUnit, month: periods.Period) -> list[dict[str, Any]]:
    rows = []
    for measure in queries.unit_measures(unit=unit):
        if measure.frequency == "monthly":
            keys = [month.key]
        elif measure.frequency == "quarterly":
            keys = [periods.parse(month.start, frequency="quarterly").key]
        else:
            week = periods.parse(month.start, frequency="weekly")
            if week.start < month.start:
                week = week.next()
            keys = []
            while week.start <= month.end and week.start <= date.today():
                keys.append(week.key)
                week = week.next()
        for key in keys:
            current = DataValue.objects.filter(unit=unit, measure=measure, period=key).first()
            history = [p for p in queries.unit_points(unit=unit, measure=measure,
                                                      last=ENTRY_HISTORY + 1)
                       if p.period != key][-ENTRY_HISTORY:]
            rows.append({"measure": measure, "period": key, "current": current,
                         "history": history, "prefix": f"v-{measure.pk}-{key}",
                         "ratio": measure.value_type in rules.RATIO_TYPES})
    return rows


@login_required
def data_entry(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(code)
    authorize(request.user, "data.enter", unit)
    chosen = request.GET.get("period") or request.POST.get("period")
    try:
        month = periods.parse(chosen) if chosen else periods.parse(date.today(),
                                                                   frequency="monthly")
        if month.frequency != "monthly" or month.start > date.today():
            raise periods.PeriodError(periods.FUTURE_PERIOD.format(key=month.key))
    except periods.PeriodError as error:
        messages.error(request, str(error))
        month = periods.parse(date.today(), frequency="monthly")
    rows = _entry_rows(unit, month)
    errors: dict[str, dict[str, str]] = {}
    entered: dict[str, dict[str, str]] = {}
    if request.method == "POST":
        saved = 0
        with transaction.atomic():
            for row in rows:
                prefix = row["prefix"]
                data = {f: request.POST.get(f"{prefix}-{f}", "").strip()
                        for f in ("numerator", "denominator", "value", "comment")}
                entered[prefix] = data
                seen = request.POST.get(f"{prefix}-version", "")
                seen_version = int(seen) if seen.isdigit() else None
                numbers_given = any(data[f] for f in ("numerator", "denominator", "value"))
                try:
                    if not numbers_given:
                        if row["current"] is not None:
                            services.data_value_delete(data_value=row["current"],
                                                       actor=request.user,
                                                       expected_version=seen_version)
                            saved += 1
                        continue
                    before = row["current"]
                    value = services.data_value_upsert(
                        unit=unit, measure=row["measure"], period=row["period"],
                        numerator=data["numerator"], denominator=data["denominator"],
                        value=data["value"], comment=data["comment"], actor=request.user,
                        expected_version=seen_version)
                    if before is None or value.version != before.version:
                        saved += 1
                except AccessDenied:
                    raise
                except DomainError as error:
                    errors[prefix] = error.extra.get("fields") or {"value": error.message}
            if errors:
                transaction.set_rollback(True)
        if not errors:
            messages.success(request, _("Saved %(count)d value(s) for %(period)s.") % {
                "count": saved, "period": month.key})
            return redirect(f"{request.path}?period={month.key}")
        rows = _entry_rows(unit, month) if not errors else rows
    for row in rows:
        row["errors"] = errors.get(row["prefix"], {})
        current = row["current"]
        row["entered"] = entered.get(row["prefix"]) or {
            "numerator": rules.format_number(current.numerator) if current else "",
            "denominator": rules.format_number(current.denominator) if current else "",
            "value": rules.format_number(current.value) if current else "",
            "comment": current.comment if current else "",
        }
    recent = periods.latest("monthly", count=13)
    return render(request, "measurement/data_entry.html", {
        "unit": unit, "ancestors": _crumbs(request, unit), "month": month,
        "rows": rows, "recent": list(reversed(recent)), "has_errors": bool(errors),
        "previous": month.previous().key,
        "next": month.next().key if month.next().start <= date.today() else None,
    }, status=400 if errors else 200)


def _back(request: HttpRequest, unit: OrgUnit) -> str:
    """The page a form came from (`next`), or the unit's page; never another site."""
    back = request.POST.get("next") or ""
    if back.startswith("/") and url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return back
    return f"/measurement/{unit.code}/"


@login_required
@require_POST
def annotation_add(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(code)
    authorize(request.user, "data.enter", unit)
    measure_code = request.POST.get("measure") or ""
    measure = queries.measure_get(code=measure_code) if measure_code else None
    on = _date(request.POST.get("date"))
    back = _back(request, unit)
    if on is None:
        messages.error(request, _("Give the date of the change as YYYY-MM-DD."))
        return redirect(back)
    try:
        services.annotation_create(unit=unit, on=on, text=request.POST.get("text", ""),
                                   measure=measure, actor=request.user)
        messages.success(request, _("Annotation added."))
    except AccessDenied:
        raise
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(back)


@login_required
@require_POST
def annotation_delete(request: HttpRequest, code: str, annotation_id: int) -> HttpResponse:
    """Remove a PDSA note drawn by mistake; the same people who add notes may remove them."""
    unit = _unit(code)
    authorize(request.user, "data.enter", unit)
    note = queries.annotation_list(unit=unit).filter(pk=annotation_id).first()
    if note is None:
        raise NotFound(_("There is no such annotation on %(unit)s.") % {"unit": unit.name})
    services.annotation_delete(annotation=note, actor=request.user)
    messages.success(request, _("Annotation of %(date)s deleted: %(text)s") % {
        "date": note.date.isoformat(), "text": note.text})
    return redirect(_back(request, unit))


# --- Enrolment -----------------------------------------------------------------------------

@login_required
def enrol(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(code)
    authorize(request.user, "enrolment.manage", unit)
    areas = TargetArea.objects.filter(is_retired=False).select_related("programme").order_by(
        "programme__code", "number")
    problem = ""
    if request.method == "POST":
        area = areas.filter(code=request.POST.get("target_area", "")).first()
        started = _date(request.POST.get("started"))
        if area is None or started is None:
            problem = _("Choose a target area and give the start date as YYYY-MM-DD.")
        else:
            try:
                if request.POST.get("all_units"):
                    made = services.enrolments_create_for_subtree(
                        unit=unit, target_area=area, started=started, actor=request.user,
                        phase=request.POST.get("phase") or "preparing")
                    messages.success(request, _("Enrolled %(count)d unit(s).") % {
                        "count": len(made)})
                    return redirect("measurement:unit", code=unit.code)
                enrolment = services.enrolment_create(
                    unit=unit, target_area=area, started=started, actor=request.user,
                    phase=request.POST.get("phase") or "preparing",
                    aim_text=request.POST.get("aim_text", ""),
                    target_value=_float(request.POST.get("target_value")),
                    target_date=_date(request.POST.get("target_date")))
                messages.success(request, _("Enrolled."))
                return redirect("measurement:enrolment", code=unit.code,
                                area=enrolment.target_area.code)
            except AccessDenied:
                raise
            except DomainError as error:
                problem = error.message
    return render(request, "measurement/enrol.html", {
        "unit": unit, "ancestors": _crumbs(request, unit), "areas": areas,
        "phases": PHASE_CHOICES, "problem": problem, "form": request.POST,
        "has_children": OrgUnit.objects.filter(parent=unit).exists(),
        "today": date.today().isoformat(),
    }, status=400 if problem else 200)


@login_required
def enrolment_detail(request: HttpRequest, code: str, area: str) -> HttpResponse:
    unit = _unit(code)
    authorize(request.user, "data.view", unit)
    enrolment = queries.enrolment_get(unit=unit, area_code=area)
    can_manage = can(request.user, "enrolment.manage", unit)
    if request.method == "POST":
        authorize(request.user, "enrolment.manage", unit)
        action = request.POST.get("action")
        try:
            if action == "phase":
                since = _date(request.POST.get("since"))
                if since is None:
                    raise DomainError(_("Give the date of the phase as YYYY-MM-DD."))
                services.enrolment_phase_set(enrolment=enrolment,
                                             phase=request.POST.get("phase", ""),
                                             since=since, actor=request.user)
            elif action == "update":
                chosen = Measure.objects.filter(pk__in=request.POST.getlist("measures"))
                services.enrolment_update(
                    enrolment=enrolment, actor=request.user,
                    aim_text=request.POST.get("aim_text", ""),
                    target_value=_float(request.POST.get("target_value")),
                    target_date=_date(request.POST.get("target_date")), measures=chosen)
            elif action == "adapt":
                element = BundleElement.objects.filter(
                    code=request.POST.get("element", "")).first()
                if element is None:
                    raise DomainError(_("Choose a bundle element."))
                services.bundle_adaptation_set(enrolment=enrolment, element=element,
                                               note=request.POST.get("note", ""),
                                               actor=request.user)
            elif action == "end":
                ended = _date(request.POST.get("ended"))
                if ended is None:
                    raise DomainError(_("Give the end date as YYYY-MM-DD."))
                services.enrolment_end(enrolment=enrolment, ended=ended, actor=request.user)
                messages.success(request, _("The enrolment ended on %(date)s.") % {
                    "date": ended.isoformat()})
                return redirect("measurement:enrolment", code=unit.code, area=area)
            elif action == "reopen":
                services.enrolment_end(enrolment=enrolment, ended=None, actor=request.user)
                messages.success(request, _("The enrolment is open again."))
                return redirect("measurement:enrolment", code=unit.code, area=area)
            elif action == "local_measure":
                services.local_measure_create(
                    enrolment=enrolment, slug=request.POST.get("slug", ""),
                    name=request.POST.get("name", ""),
                    value_type=request.POST.get("value_type", ""),
                    direction=request.POST.get("direction", ""),
                    numerator=request.POST.get("numerator", ""),
                    denominator=request.POST.get("denominator", ""),
                    unit=request.POST.get("unit", ""), actor=request.user)
            messages.success(request, _("Saved."))
        except AccessDenied:
            raise
        except DomainError as error:
            messages.error(request, error.message)
        except Exception as error:  # a model's full_clean names the field
            from django.core.exceptions import ValidationError

            if not isinstance(error, ValidationError):
                raise
            messages.error(request, "; ".join(
                f"{k}: {' '.join(v)}" for k, v in error.message_dict.items()))
        return redirect("measurement:enrolment", code=unit.code, area=area)
    chosen = {m.pk for m in enrolment.measures.all()}
    area_measures = list(Measure.objects.filter(target_area=enrolment.target_area,
                                                is_retired=False).order_by("position", "code"))
    return render(request, "measurement/enrolment.html", {
        "unit": unit, "ancestors": _crumbs(request, unit), "enrolment": enrolment,
        "phases": PHASE_CHOICES, "history": enrolment.phases.select_related("set_by"),
        "measures": [(m, m.pk in chosen or (not chosen and m.origin == "package"))
                     for m in area_measures],
        "elements": enrolment.target_area.bundle_elements.filter(is_retired=False),
        "adaptations": enrolment.adaptations.select_related("element"),
        "can_manage": can_manage, "today": date.today().isoformat(),
    })


# --- Period locks --------------------------------------------------------------------------

@login_required
def locks(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(code)
    authorize(request.user, "period.lock", unit)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "unlock":
                lock = PeriodLock.objects.filter(pk=request.POST.get("lock") or 0,
                                                 unit__path__startswith=unit.path).first()
                if lock is None:
                    raise NotFound(_("There is no such lock here."))
                services.period_unlock(lock=lock, reason=request.POST.get("reason", ""),
                                       actor=request.user)
                messages.success(request, _("Unlocked %(period)s.") % {"period": lock.period})
            else:
                lock = services.period_lock(unit=unit, period=request.POST.get("period", ""),
                                            actor=request.user)
                messages.success(request, _("Locked %(period)s.") % {"period": lock.period})
        except AccessDenied:
            raise
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("measurement:locks", code=unit.code)
    return render(request, "measurement/locks.html", {
        "unit": unit, "ancestors": _crumbs(request, unit),
        "locks": queries.lock_list(unit=unit),
        "below": PeriodLock.objects.filter(unit__path__startswith=unit.path).exclude(
            unit=unit).select_related("unit")[:100],
    })


# --- Bundle audits -------------------------------------------------------------------------

@login_required
def bundle_audit(request: HttpRequest, code: str, measure: str, period: str) -> HttpResponse:
    unit = _unit(code)
    authorize(request.user, "data.enter", unit)
    item = queries.measure_get(code=measure)
    elements = list(item.compliance_elements.order_by("position", "code"))
    if not elements:
        raise NotFound(services.NOT_BUNDLE_MEASURE.format(measure=item.code))
    try:
        parsed = periods.validate(period, frequency=item.frequency)
    except periods.PeriodError as error:
        raise NotFound(str(error)) from None
    from safehands.measurement.bundles import per_element
    from safehands.measurement.models import BundleAudit

    if request.method == "POST":
        try:
            if request.POST.get("delete"):
                audit = BundleAudit.objects.filter(unit=unit, measure=item, period=parsed.key,
                                                   pk=request.POST.get("delete")).first()
                if audit is not None:
                    services.bundle_audit_delete(audit=audit, actor=request.user)
            else:
                services.bundle_audit_save(
                    unit=unit, measure=item, period=parsed.key,
                    reference=request.POST.get("reference", ""),
                    answers={e.code: request.POST.get(f"e-{e.code}", "") for e in elements},
                    actor=request.user)
            messages.success(request, _("Saved."))
        except AccessDenied:
            raise
        except DomainError as error:
            messages.error(request, "; ".join(
                [error.message, *error.extra.get("fields", {}).values()]))
        return redirect(request.path)
    audits = list(BundleAudit.objects.filter(unit=unit, measure=item, period=parsed.key)
                  .prefetch_related("answers__element"))
    samples = [{a.element.code: a.answer for a in audit.answers.all()} for audit in audits]
    per = per_element(samples)
    value = DataValue.objects.filter(unit=unit, measure=item, period=parsed.key).first()
    return render(request, "measurement/bundle_audit.html", {
        "unit": unit, "ancestors": _crumbs(request, unit), "measure": item,
        "period": parsed.key, "elements": elements,
        "audits": [{"audit": a, "answers": [s.get(e.code, "") for e in elements]}
                   for a, s in zip(audits, samples, strict=True)],
        "per_element": [(e, per.get(e.code, (0, 0))) for e in elements], "value": value,
        "next_reference": len(audits) + 1,
    })
