"""GTT pages. Thin: ask the permission function, call queries or one service, render."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safehands.audit.models import ReadKind, ReadPurpose
from safehands.core.charts import spc_labels
from safehands.core.errors import DomainError, NotFound
from safehands.core.tables import csv_writer
from safehands.core.uploads import upload_text
from safehands.harm import queries
from safehands.harm import rates as gtt_rates
from safehands.harm.content import gtt_content
from safehands.harm.models import MemberRole, ReviewPeriod
from safehands.harm.services import (
    EventInput,
    discharge_list_upload,
    gtt_member_add,
    gtt_team_create,
    gtt_team_update,
    is_member,
    primary_review_save,
    record_confirm,
    records_authorize,
    review_period_lock,
    review_period_unlock,
    sample_draw,
)
from safehands.orgs.access import authorize, can
from safehands.orgs.queries import org_unit_ancestors, org_unit_get
from safehands.orgs.reads import record_request_read
from safehands.spc.plot import vegalite_spec

EVENT_ROWS = 4


def _charts(rows: list[gtt_rates.RateRow]) -> dict[str, Any]:
    """u chart of AEs per 1000 patient-days and p chart of % harmed, monthly."""
    if not rows:
        return {}
    return {
        "u_chart": vegalite_spec(gtt_rates.u_chart(rows), **spc_labels("u"),
                                 title=_("Adverse events per 1000 patient-days (u chart)")),
        "p_chart": vegalite_spec(gtt_rates.p_chart(rows), **spc_labels("p"),
                                 title=_("% of stays with at least one adverse event (p chart)")),
    }


def _rate_tables(records: list[gtt_rates.Record]) -> dict[str, Any]:
    content = gtt_content()
    names = {h.code: h.name for h in content.harm_types}
    by_type = gtt_rates.rates_by_category(records, by="year", category="harm_type")
    return {
        "by_tertial": gtt_rates.rates(records, by="tertial"),
        "by_severity": gtt_rates.rates_by_category(records, by="year", category="severity",
                                                   categories=content.severity_codes),
        "by_type": [(row, names.get(row.category, row.category)) for row in by_type],
    }


@login_required
def unit_harm(request: HttpRequest, code: str) -> HttpResponse:
    """Harm rates of every GTT team under a unit: charts, roll-up by child, teams."""
    unit = org_unit_get(code=code)
    authorize(request.user, "gtt.view", unit)
    records = queries.unit_rate_records(unit=unit)
    monthly = gtt_rates.rates(records, by="month")
    context = {
        "unit": unit,
        "ancestors": org_unit_ancestors(unit=unit, user=request.user, permission="gtt.view"),
        "teams": queries.teams_within(unit=unit),
        "may_create_team": can(request.user, "gtt.manage", unit),
        "enclosing_team": queries.team_for_unit(unit=unit),
        "rollup": queries.rollup_children(unit=unit, by="year", user=request.user),
        "records_count": len(records),
        **_charts(monthly),
        **_rate_tables(records),
    }
    return render(request, "harm/unit.html", context)


@login_required
def national(request: HttpRequest, code: str) -> HttpResponse:
    """Yearly population-weighted share of stays with harm, shaped like the national report."""
    unit = org_unit_get(code=code)
    authorize(request.user, "gtt.view", unit)
    years = queries.national_estimates(unit=unit)
    return render(request, "harm/national.html", {
        "unit": unit, "years": years,
        "strata": queries.national_strata_visible(years=years, unit=unit, user=request.user)})


def _team(request: HttpRequest, code: str):
    team = queries.team_get(code=code)
    authorize(request.user, "gtt.view", team.population)
    return team


@login_required
def team_detail(request: HttpRequest, team: str) -> HttpResponse:
    team_obj = _team(request, team)
    user = request.user
    may_records = user.is_superuser or can(user, "gtt.manage", team_obj.population) or (
        can(user, "gtt.review", team_obj.population) and is_member(user, team_obj))
    records = queries.team_rate_records(team=team_obj)
    return render(request, "harm/team.html", {
        "team": team_obj,
        "roles": MemberRole.choices,
        "variants": list(gtt_content().variants.values()),
        "may_records": may_records,
        "may_manage": can(user, "gtt.manage", team_obj.population),
        "members": team_obj.members.select_related("user").order_by("role", "user__username"),
        "periods": queries.period_list(team=team_obj) if may_records else [],
        "next_start": queries.next_period_start(team=team_obj),
        **_charts(gtt_rates.rates(records, by="month")),
        **_rate_tables(records),
    })


@login_required
@require_POST
def discharge_upload(request: HttpRequest, team: str) -> HttpResponse:
    team_obj = queries.team_get(code=team)
    authorize(request.user, "gtt.manage", team_obj.population)
    try:
        text, filename = upload_text(request, suffixes=[".csv"],
                                     missing=_("Choose a discharge list (CSV) to upload."))
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("harm:team", team=team_obj.code)
    summary = discharge_list_upload(team=team_obj, text=text, actor=request.user,
                                    filename=filename, source="web")
    if summary.problems:
        for p in summary.problems[:20]:
            messages.error(request, _("Row %(row)s, %(field)s: %(message)s") % {
                "row": p.row, "field": p.field, "message": p.message})
        messages.error(request, _("Nothing was stored: %(count)s problem(s).") % {
            "count": len(summary.problems)})
    else:
        messages.success(request, _(
            "Discharge list stored: %(created)s new, %(updated)s changed, %(unchanged)s "
            "unchanged stays; %(eligible)s eligible.") % {
            "created": summary.created, "updated": summary.updated,
            "unchanged": summary.unchanged, "eligible": summary.eligible})
    return redirect("harm:team", team=team_obj.code)


@login_required
@require_POST
def sample(request: HttpRequest, team: str) -> HttpResponse:
    team_obj = queries.team_get(code=team)
    authorize(request.user, "gtt.manage", team_obj.population)
    try:
        start = date.fromisoformat(request.POST.get("start", ""))
        seed_text = request.POST.get("seed", "").strip()
        seed = int(seed_text) if seed_text else None
    except ValueError:
        messages.error(request, _("Give the period's first day as a date, and the seed (if "
                                  "any) as a whole number."))
        return redirect("harm:team", team=team_obj.code)
    try:
        draw = sample_draw(team=team_obj, start=start, actor=request.user, seed=seed,
                           source="web")
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("harm:team", team=team_obj.code)
    messages.success(request, _("Drew %(n)s of %(eligible)s eligible stays (seed %(seed)s).") % {
        "n": draw.period.records.count(), "eligible": draw.eligible, "seed": draw.seed})
    return redirect("harm:period", team=team_obj.code, period_id=draw.period_id)


def _period(request: HttpRequest, team: str, period_id: int):
    team_obj = queries.team_get(code=team)
    records_authorize(request.user, team_obj)
    period = ReviewPeriod.objects.filter(team=team_obj, pk=period_id).select_related(
        "locked_by").first()
    if period is None:
        raise NotFound(_("Team %(team)s has no review period %(id)s.") % {
            "team": team_obj.code, "id": period_id})
    return team_obj, period


@login_required
def period_detail(request: HttpRequest, team: str, period_id: int) -> HttpResponse:
    team_obj, period = _period(request, team, period_id)
    records = list(queries.record_list(period=period))
    record_request_read(request, actor=request.user, unit=team_obj.population,
                        kind=ReadKind.GTT_RECORD, purpose=ReadPurpose.GTT_PERIOD_REVIEW,
                        objects=records)
    return render(request, "harm/period.html", {
        "team": team_obj, "period": period,
        "draw": getattr(period, "draw", None),
        "reproduced": queries.sample_reproduced(period=period),
        "records": records,
        "may_manage": can(request.user, "gtt.manage", team_obj.population),
    })


@login_required
@require_POST
def period_lock(request: HttpRequest, team: str, period_id: int) -> HttpResponse:
    team_obj, period = _period(request, team, period_id)
    authorize(request.user, "gtt.manage", team_obj.population)
    try:
        if request.POST.get("action") == "unlock":
            review_period_unlock(period=period, reason=request.POST.get("reason", ""),
                                 actor=request.user, source="web")
            messages.success(request, _("The period is unlocked."))
        else:
            review_period_lock(period=period, actor=request.user, source="web")
            messages.success(request, _("The period is locked."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("harm:period", team=team_obj.code, period_id=period.pk)


@login_required
def record_detail(request: HttpRequest, team: str, stay_id: str) -> HttpResponse:
    """Stage 1 form for a primary reviewer, comparison, and stage 2 form for the physician."""
    team_obj = queries.team_get(code=team)
    records_authorize(request.user, team_obj)
    record = queries.record_get(team=team_obj, stay_id=stay_id)
    user = request.user
    is_reviewer = is_member(user, team_obj, MemberRole.PRIMARY_REVIEWER)
    is_physician = is_member(user, team_obj, MemberRole.PHYSICIAN)
    own = record.reviews.filter(reviewer=user).first()
    if request.method == "POST":
        try:
            if request.POST.get("stage") == "confirm":
                events = []
                for i in range(EVENT_ROWS):
                    severity = request.POST.get(f"severity_{i}", "").strip()
                    if not severity:
                        continue
                    events.append(EventInput(
                        severity=severity, harm_type=request.POST.get(f"harm_type_{i}", ""),
                        description=request.POST.get(f"description_{i}", ""),
                        triggers=tuple(request.POST.get(f"triggers_{i}", "")
                                       .replace(",", ";").split(";"))))
                record_confirm(record=record, events=events, actor=user, source="web")
                messages.success(request, _("The physician's decision is saved: %(n)s adverse "
                                            "event(s).") % {"n": len(events)})
            else:
                try:
                    minutes = int(request.POST.get("minutes", ""))
                    candidates = int(request.POST.get("candidate_count", "0") or 0)
                except ValueError:
                    raise DomainError(_("Minutes and candidate events must be whole "
                                        "numbers.")) from None
                _review, warnings = primary_review_save(
                    record=record, actor=user, triggers=request.POST.getlist("triggers"),
                    minutes=minutes, candidate_count=candidates,
                    candidate_events=request.POST.get("candidate_events", ""), source="web")
                for warning in warnings:
                    messages.warning(request, warning)
                messages.success(request, _("Your screening is saved."))
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("harm:record", team=team_obj.code, stay_id=record.stay_id)
    record_request_read(request, actor=user, unit=team_obj.population,
                        kind=ReadKind.GTT_RECORD, purpose=ReadPurpose.GTT_RECORD_REVIEW,
                        objects=[record])
    variant = gtt_content().variant(team_obj.trigger_variant)
    show_comparison = (not is_reviewer) or own is not None
    events = list(record.events.all())
    event_rows = [events[i] if i < len(events) else None for i in range(
        max(EVENT_ROWS, len(events)))][:EVENT_ROWS]
    return render(request, "harm/record.html", {
        "team": team_obj, "record": record, "variant": variant,
        "own": own, "own_triggers": set(own.triggers) if own else set(),
        "is_reviewer": is_reviewer, "is_physician": is_physician,
        "comparison": queries.review_comparison(record=record) if show_comparison else None,
        "events": events, "event_rows": list(enumerate(event_rows)),
        "severities": gtt_content().severities, "harm_types": gtt_content().harm_types,
        "locked": bool(record.period and record.period.is_locked),
    })


@login_required
@require_POST
def team_create(request: HttpRequest, code: str) -> HttpResponse:
    """A coordinator creates the GTT team whose population is this unit."""
    unit = org_unit_get(code=code)
    authorize(request.user, "gtt.manage", unit)
    try:
        team = gtt_team_create(code=request.POST.get("team_code", "").strip(), population=unit,
                               name=request.POST.get("name", "").strip(), actor=request.user,
                               source="web")
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("harm:unit", code=unit.code)
    messages.success(request, _("GTT team %(team)s created.") % {"team": team.code})
    return redirect("harm:team", team=team.code)


@login_required
@require_POST
def member_add(request: HttpRequest, team: str) -> HttpResponse:
    team_obj = queries.team_get(code=team)
    authorize(request.user, "gtt.manage", team_obj.population)
    username = request.POST.get("username", "").strip()
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        messages.error(request, _("There is no active user '%(name)s'.") % {"name": username})
        return redirect("harm:team", team=team_obj.code)
    try:
        gtt_member_add(team=team_obj, user=user, role=request.POST.get("role", ""),
                       actor=request.user, source="web")
        messages.success(request, _("%(user)s joined the team.") % {"user": username})
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("harm:team", team=team_obj.code)


@login_required
@require_POST
def team_settings(request: HttpRequest, team: str) -> HttpResponse:
    team_obj = queries.team_get(code=team)
    authorize(request.user, "gtt.manage", team_obj.population)
    try:
        sample_size = int(request.POST.get("sample_size", ""))
        period_days = int(request.POST.get("period_days", ""))
    except ValueError:
        messages.error(request, _("Sample size and period length must be whole numbers."))
        return redirect("harm:team", team=team_obj.code)
    try:
        gtt_team_update(team=team_obj, actor=request.user, sample_size=sample_size,
                        period_days=period_days,
                        excluded_services=request.POST.get("excluded_services", "").split(","),
                        trigger_variant=request.POST.get("trigger_variant", ""), source="web")
        messages.success(request, _("The team's settings are saved."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("harm:team", team=team_obj.code)


@login_required
def team_rates_csv(request: HttpRequest, team: str) -> HttpResponse:
    """RATES.csv, as `safehands gtt rates` writes it, for the chosen period."""
    team_obj = _team(request, team)
    by = request.GET.get("by", "month")
    if by not in gtt_rates.PERIODS:
        raise NotFound(gtt_rates.PERIOD_UNKNOWN.format(value=by), {"by": by})
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{team_obj.code}-rates-{by}.csv"'
    writer = csv_writer(response, lineterminator="\n")
    writer.writerow(gtt_rates.RATE_COLUMNS)
    for row in queries.team_rates(team=team_obj, by=by):
        writer.writerow([gtt_rates.csv_cell(getattr(row, c)) for c in gtt_rates.RATE_COLUMNS])
    return response

