"""Assessment pages. Thin: authorise, call one service or query, render.

Every page asks the permission function on the assessment's (or action's) org unit, so a
role on a parent opens the plans and reports of the whole subtree.
"""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safehands.assessment import queries, services
from safehands.assessment.charts import profile_spec
from safehands.assessment.exports import questionnaire_json, report_csv, response_json
from safehands.assessment.models import Action
from safehands.catalogue.models import TargetArea
from safehands.core.errors import AccessDenied, DomainError
from safehands.core.suppression import threshold
from safehands.core.uploads import upload_text
from safehands.orgs.access import authorize, can
from safehands.orgs.queries import org_unit_children, org_unit_get

PREFILL_FIELDS = ("what", "owner", "tactic", "recommendation", "plan_area", "target_area",
                  "measure", "note", "assessment")


def _language() -> str:
    return "nb" if (get_language() or "").startswith(("nb", "no")) else "en"


# --------------------------------------------------------------------------- instruments


@login_required
def instrument_list_view(request: HttpRequest) -> HttpResponse:
    authorize(request.user, "catalogue.view")
    return render(request, "assessment/instrument_list.html",
                  {"instruments": queries.instrument_list()})


@login_required
def instrument_detail(request: HttpRequest, code: str) -> HttpResponse:
    authorize(request.user, "catalogue.view")
    instrument = queries.instrument_get(code=code)
    elements = list(queries.element_list(instrument=instrument))
    areas = [(area, [e for e in elements if e.area_id == area.pk])
             for area in queries.instrument_areas(instrument=instrument)]
    recs = {r for e in elements for r in e.recommendations.all()}
    tactics = queries.tactic_list(recommendations=list(recs),
                                  areas=[a for a, _ in areas])
    return render(request, "assessment/instrument_detail.html", {
        "instrument": instrument, "areas": areas, "tactics": tactics})


@login_required
def instrument_questionnaire(request: HttpRequest, code: str) -> HttpResponse:
    authorize(request.user, "catalogue.view")
    instrument = queries.instrument_get(code=code)
    response = JsonResponse(questionnaire_json(instrument=instrument, language=_language()),
                            json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{code}-questionnaire.json"'
    return response


# --------------------------------------------------------------------------- units


@login_required
def unit_overview(request: HttpRequest, code: str) -> HttpResponse:
    unit = org_unit_get(code=code)
    authorize(request.user, "assessment.view", unit)
    instruments = list(queries.instrument_list())
    has_children = org_unit_children(unit=unit).exists()
    distributions = [queries.distribution(org_unit=unit, instrument=i) for i in instruments] \
        if has_children else []
    return render(request, "assessment/unit.html", {
        "unit": unit,
        "assessments": queries.assessment_list(org_unit=unit),
        "instruments": instruments,
        "can_manage": can(request.user, "assessment.manage", unit),
        "distributions": [d for d in distributions if d.units_assessed],
        "threshold": threshold(),
        "actions_open": queries.action_list(org_unit=unit).exclude(
            status__in=[Action.Status.DONE, Action.Status.DROPPED]).count(),
    })


@login_required
@require_POST
def assessment_start_view(request: HttpRequest, code: str) -> HttpResponse:
    unit = org_unit_get(code=code)
    authorize(request.user, "assessment.manage", unit)
    try:
        instrument = queries.instrument_get(code=request.POST.get("instrument", ""))
        assessment = services.assessment_start(
            org_unit=unit, instrument=instrument, title=request.POST.get("title", ""),
            actor=request.user)
    except AccessDenied:
        raise
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("assessment:unit", code=unit.code)
    return redirect("assessment:detail", pk=assessment.pk)


# --------------------------------------------------------------------------- one assessment


def _assessment(request: HttpRequest, pk: int, permission: str = "assessment.view"):
    assessment = queries.assessment_get(pk=pk)
    authorize(request.user, permission, assessment.org_unit)
    return assessment


@login_required
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    unit = assessment.org_unit
    member = queries.is_member(assessment=assessment, user=request.user)
    elements = list(queries.element_list(instrument=assessment.instrument))
    mine = queries.my_ratings(assessment=assessment, user=request.user)
    areas = [(area, [(e, mine.get(e.code)) for e in elements if e.area_id == area.pk])
             for area in queries.instrument_areas(instrument=assessment.instrument)]
    done = queries.raters_done(assessment=assessment)
    return render(request, "assessment/detail.html", {
        "assessment": assessment, "unit": unit, "areas": areas,
        "team": [(m, done.get(m.user_id, 0)) for m in queries.team_list(assessment=assessment)],
        "element_count": len(elements),
        "is_member": member,
        "can_rate": member and assessment.is_open and can(request.user, "assessment.rate", unit),
        "can_manage": can(request.user, "assessment.manage", unit),
        "scale": assessment.instrument.scale,
    })


@login_required
@require_POST
def assessment_rate(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk, "assessment.rate")
    ratings = {}
    for element in queries.element_list(instrument=assessment.instrument):
        value = request.POST.get(f"rating-{element.code}")
        if value is None or value == "":
            continue
        ratings[element.code] = (value, request.POST.get(f"comment-{element.code}", ""))
    try:
        changed = services.ratings_save(assessment=assessment, ratings=ratings,
                                        actor=request.user)
    except AccessDenied:
        raise
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("assessment:detail", pk=pk)
    messages.success(request, _("Your ratings are saved ({count} changed).").format(
        count=changed))
    return redirect("assessment:detail", pk=pk)


@login_required
@require_POST
def assessment_invite(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk, "assessment.manage")
    try:
        member = services.team_member_invite(
            assessment=assessment, username=request.POST.get("username", ""),
            profession=request.POST.get("profession", ""), actor=request.user)
    except AccessDenied:
        raise
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("{user} joined the team.").format(
            user=member.user.get_username()))
    return redirect("assessment:detail", pk=pk)


@login_required
@require_POST
def assessment_import(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk, "assessment.manage")
    try:
        text, filename = upload_text(request, suffixes=[".csv"],
                                     missing=_("Choose a RATINGS.csv file."))
        changed = services.ratings_import(assessment=assessment, text=text,
                                          actor=request.user, file=filename)
    except AccessDenied:
        raise
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Imported: {count} ratings created or changed.").format(
            count=changed))
    return redirect("assessment:detail", pk=pk)


def _suggestion(line: queries.ElementLine) -> str:
    """The value the consensus form starts from: the agreed score, else the rounded mean."""
    if line.agreed is not None:
        return str(line.agreed)
    if line.agreed_unsure:
        return "unsure"
    if line.scores.mean_rating is not None:
        return str(int(line.scores.mean_rating + 0.5))
    return ""


@login_required
def assessment_consensus(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    if request.method == "POST":
        authorize(request.user, "assessment.manage", assessment.org_unit)
        scores = {}
        for element in queries.element_list(instrument=assessment.instrument):
            value = request.POST.get(f"agreed-{element.code}")
            if value is None or value == "":
                continue
            scores[element.code] = (value, request.POST.get(f"note-{element.code}", ""))
        try:
            services.consensus_record(assessment=assessment, scores=scores, actor=request.user)
            if request.POST.get("close"):
                services.assessment_close(assessment=assessment, actor=request.user,
                                          note=request.POST.get("closing_note", ""))
                messages.success(request, _("The assessment is closed."))
                return redirect("assessment:report", pk=pk)
        except AccessDenied:
            raise
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The agreed scores are saved."))
        return redirect("assessment:consensus", pk=pk)
    report = queries.assessment_report(assessment=assessment)
    # Members rate on their own first: while the assessment is open, a member sees the
    # others' spread only after rating every element.
    rated = queries.raters_done(assessment=assessment).get(request.user.pk, 0)
    hidden = (assessment.is_open and queries.is_member(assessment=assessment, user=request.user)
              and rated < len(report.elements))
    return render(request, "assessment/consensus.html", {
        "hide_spread": hidden,
        "assessment": assessment, "unit": assessment.org_unit, "report": report,
        "sections": [(area, [(line, _suggestion(line)) for line in area.elements])
                     for area in report.areas],
        "can_manage": assessment.is_open and can(request.user, "assessment.manage",
                                                 assessment.org_unit),
        "scale": assessment.instrument.scale,
    })


@login_required
def assessment_report_view(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    report = queries.assessment_report(assessment=assessment)
    rows: list[dict[str, Any]] = []
    for area in report.areas:
        name = area.area.display_name
        rows.append({"area": name, "series": _("Team mean"), "value": area.scores.mean_rating})
        rows.append({"area": name, "series": _("Agreed"), "value": area.agreed_mean})
        if report.previous:
            rows.append({"area": name, "series": _("Previous agreed"),
                         "value": area.previous_agreed_mean})
    action_url = None
    if report.lowest_area and can(request.user, "assessment.rate", assessment.org_unit):
        action_url = _new_action_url(assessment.org_unit.code, {
            "plan_area": report.lowest_area.area.code, "assessment": str(assessment.pk),
            "note": _("Lowest area in {title}").format(title=assessment.title)})
    return render(request, "assessment/report.html", {
        "assessment": assessment, "unit": assessment.org_unit, "report": report,
        "spec": profile_spec(rows, title=""), "action_url": action_url,
        "actions": queries.action_list(org_unit=assessment.org_unit).filter(
            assessment=assessment),
    })


@login_required
def assessment_report_csv(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    response = HttpResponse(report_csv(assessment=assessment), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="assessment-{pk}.csv"'
    return response


@login_required
def assessment_response_json(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    response = JsonResponse(response_json(assessment=assessment),
                            json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="assessment-{pk}-response.json"'
    return response


# --------------------------------------------------------------------------- action plans


def _new_action_url(code: str, prefill: dict[str, str]) -> str:
    return reverse("assessment:action_new", kwargs={"code": code}) + "?" + urlencode(prefill)


@login_required
def action_plan(request: HttpRequest, code: str) -> HttpResponse:
    unit = org_unit_get(code=code)
    authorize(request.user, "assessment.view", unit)
    subtree = request.GET.get("below") == "1"
    actions = list(queries.action_list(org_unit=unit, subtree=subtree))
    today = timezone.localdate()
    return render(request, "assessment/action_plan.html", {
        "unit": unit, "subtree": subtree, "today": today,
        "actions": [(a, a.is_overdue(today)) for a in actions],
        "progress": queries.action_progress(actions=actions, today=today),
        "can_edit": can(request.user, "assessment.rate", unit),
        "statuses": Action.Status.choices,
    })


def _date(text: str) -> datetime.date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise DomainError(_("{value!r} is not a date; write YYYY-MM-DD.").format(value=text),
                          {"field": "due_date"}) from None


@login_required
def action_new(request: HttpRequest, code: str) -> HttpResponse:
    """The form other pages link to, prefilled from the query string (?target_area=falls...)."""
    unit = org_unit_get(code=code)
    authorize(request.user, "assessment.rate", unit)
    values = {name: request.GET.get(name, "") for name in PREFILL_FIELDS}
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in (*PREFILL_FIELDS, "due_date")}
        try:
            assessment = None
            if values.get("assessment", "").isdigit():
                assessment = queries.assessment_get(pk=int(values["assessment"]))
            services.action_create(
                org_unit=unit, what=values["what"], owner=values["owner"],
                due_date=_date(values["due_date"]), tactic=values["tactic"] or None,
                recommendation=values["recommendation"] or None,
                plan_area=values["plan_area"] or None,
                target_area=values["target_area"] or None, measure=values["measure"] or None,
                assessment=assessment, note=values["note"], actor=request.user)
        except AccessDenied:
            raise
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The action is in the plan."))
            return redirect("assessment:action_plan", code=unit.code)
    tactics = []
    if values.get("plan_area"):
        tactics = list(queries.tactic_list().filter(
            recommendation__area__code=values["plan_area"])) + list(
            queries.tactic_list().filter(area__code=values["plan_area"]))
    elif values.get("recommendation"):
        tactics = list(queries.tactic_list().filter(
            recommendation__code=values["recommendation"]))
    return render(request, "assessment/action_new.html", {
        "unit": unit, "values": values, "tactics": tactics,
        "target_areas": TargetArea.objects.filter(is_retired=False).order_by("number"),
    })


@login_required
@require_POST
def action_status(request: HttpRequest, pk: int) -> HttpResponse:
    action = queries.action_get(pk=pk)
    authorize(request.user, "assessment.rate", action.org_unit)
    try:
        owner = request.POST.get("owner")
        services.action_update(action=action, status=request.POST.get("status"),
                               due_date=_date(request.POST.get("due_date", "")),
                               owner=owner if owner is not None and owner != action.owner
                               else None, actor=request.user)
    except AccessDenied:
        raise
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("assessment:action_plan", code=action.org_unit.code)
