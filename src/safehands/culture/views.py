"""Culture pages. Thin: ask the permission function, call a query or service, render.

Staff answer without signing in (the invitation link or the round link and unit code is
their only key); every other page needs a role on the unit it shows.
"""

from __future__ import annotations

import datetime
import io
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safehands.audit.models import ReadKind, ReadPurpose
from safehands.catalogue.models import Programme
from safehands.core.errors import DomainError
from safehands.core.tables import csv_writer
from safehands.core.uploads import upload_text
from safehands.culture import queries, services
from safehands.culture.fhir import questionnaire_from_instrument, questionnaire_responses
from safehands.culture.models import Instrument, RoundUnit, SurveyRound
from safehands.orgs.access import authorize, can
from safehands.orgs.queries import org_unit_ancestors, org_unit_get
from safehands.orgs.reads import record_request_read

UNIT_NOT_IN_ROUND_PAGE = "This unit is not part of the survey round."
INSTRUMENT_NOT_FOUND = "There is no survey instrument {code!r}."
EXPORT_TOO_FEW = gettext_noop("Too few respondents: answers for this group cannot be exported.")


def _unit_label(unit) -> str:
    return unit.display_name((get_language() or "en")[:2])


# --- signed-in pages -----------------------------------------------------------------------

@login_required
def unit_rounds(request: HttpRequest, code: str) -> HttpResponse:
    unit = org_unit_get(code=code)
    authorize(request.user, "survey.results", unit)
    rounds = [(r, unit.code if unit.path.startswith(r.root.path) else r.root.code,
               can(request.user, "survey.manage", r.root))
              for r in queries.rounds_for_unit(unit=unit)]
    return render(request, "culture/unit_rounds.html", {
        "unit": unit,
        "rounds": rounds,
        "may_open": can(request.user, "survey.manage", unit),
        "instruments": Instrument.objects.all(),
    })


@login_required
def round_new(request: HttpRequest, code: str) -> HttpResponse:
    unit = org_unit_get(code=code)
    authorize(request.user, "survey.manage", unit)
    today = datetime.date.today()
    form = {"title": "", "instrument": "saq", "opens_on": today.isoformat(),
            "closes_on": (today + datetime.timedelta(days=21)).isoformat(), "programme": ""}
    if request.method == "POST":
        form.update({k: request.POST.get(k, "").strip() for k in form})
        try:
            instrument = Instrument.objects.filter(code=form["instrument"]).first()
            if instrument is None:
                raise DomainError(_("Choose an instrument."))
            try:
                opens_on = datetime.date.fromisoformat(form["opens_on"])
                closes_on = datetime.date.fromisoformat(form["closes_on"])
            except ValueError:
                raise DomainError(_("Dates are written YYYY-MM-DD.")) from None
            programme = Programme.objects.filter(code=form["programme"]).first() \
                if form["programme"] else None
            survey_round = services.round_open(
                root=unit, instrument=instrument, title=form["title"], opens_on=opens_on,
                closes_on=closes_on, actor=request.user, programme=programme)
            messages.success(request, _("The survey round is open."))
            return redirect("culture:round", round_id=survey_round.pk)
        except DomainError as error:
            messages.error(request, error.message)
    return render(request, "culture/round_new.html", {
        "unit": unit, "form": form, "instruments": Instrument.objects.all(),
        "programmes": Programme.objects.filter(is_retired=False).order_by("code")})


def _round_for_manager(request: HttpRequest, round_id: int) -> SurveyRound:
    survey_round = queries.survey_round_get(round_id=round_id)
    authorize(request.user, "survey.manage", survey_round.root)
    return survey_round


@login_required
def round_detail(request: HttpRequest, round_id: int) -> HttpResponse:
    survey_round = _round_for_manager(request, round_id)
    units = RoundUnit.objects.filter(survey_round=survey_round).select_related(
        "org_unit").order_by("org_unit__path")
    issued = request.session.pop("culture_issued_links", None)
    invitations = survey_round.invitations.all()
    return render(request, "culture/round_detail.html", {
        "round": survey_round, "units": units, "issued": issued,
        "round_link": request.build_absolute_uri(f"/culture/r/{survey_round.link_token}/"),
        "invited": invitations.count(), "used": invitations.filter(used=True).count(),
        "responses": survey_round.responses.count(),
    })


@login_required
@require_POST
def round_invite(request: HttpRequest, round_id: int) -> HttpResponse:
    survey_round = _round_for_manager(request, round_id)
    try:
        unit = org_unit_get(code=request.POST.get("unit", ""))
        count = int(request.POST.get("count") or 0)
        issued = services.invitations_create(
            survey_round=survey_round, org_unit=unit, actor=request.user,
            recipients=request.POST.get("recipients", "").splitlines(), count=count)
        request.session["culture_issued_links"] = [
            request.build_absolute_uri(f"/culture/answer/{i.token}/") for i in issued
            if not i.recipient]
        messages.success(request, _("%(n)d invitation links made.") % {"n": len(issued)})
    except ValueError:
        messages.error(request, _("The number of links must be a whole number."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("culture:round", round_id=survey_round.pk)


@login_required
@require_POST
def round_import(request: HttpRequest, round_id: int) -> HttpResponse:
    survey_round = _round_for_manager(request, round_id)
    try:
        counts = services.responses_import(survey_round=survey_round,
                                           text=_upload_text(request, [".csv"]),
                                           actor=request.user)
        messages.success(request, _("%(n)d paper answers added.") % {
            "n": sum(counts.values())})
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("culture:round", round_id=survey_round.pk)


@login_required
@require_POST
def round_remind(request: HttpRequest, round_id: int) -> HttpResponse:
    survey_round = _round_for_manager(request, round_id)
    try:
        sent = services.reminders_send(survey_round=survey_round, actor=request.user)
        messages.success(request, _("%(n)d reminders sent.") % {"n": sent})
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("culture:round", round_id=survey_round.pk)


@login_required
@require_POST
def round_close(request: HttpRequest, round_id: int) -> HttpResponse:
    survey_round = _round_for_manager(request, round_id)
    try:
        services.round_close(survey_round=survey_round, actor=request.user)
        messages.success(request, _("The round is closed; its results are frozen."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("culture:round", round_id=survey_round.pk)


def _round_and_unit(request: HttpRequest, round_id: int, code: str, permission: str):
    survey_round = queries.survey_round_get(round_id=round_id)
    unit = org_unit_get(code=code)
    authorize(request.user, permission, unit)
    if not RoundUnit.objects.filter(survey_round=survey_round, org_unit=unit).exists():
        raise Http404(UNIT_NOT_IN_ROUND_PAGE)
    return survey_round, unit


def _fmt(value: float | None, digits: int = 0) -> str:
    return "" if value is None else f"{value:.{digits}f}"


@login_required
def unit_results(request: HttpRequest, round_id: int, code: str) -> HttpResponse:
    survey_round, unit = _round_and_unit(request, round_id, code, "survey.results")
    results = queries.round_results(survey_round=survey_round)
    note = queries.action_note_get(survey_round=survey_round, unit=unit)
    record_request_read(request, actor=request.user, unit=unit, kind=ReadKind.SURVEY_RESULTS,
                        purpose=ReadPurpose.SURVEY_RESULTS, objects=[survey_round])
    language = get_language() or "en"
    scale_names = {s.code: s.display_name for s in results.scales}
    root_code = survey_round.root.code
    previous = queries.previous_round(survey_round=survey_round, unit=unit)
    change = {}
    if previous is not None:
        change = queries.changes(current=results,
                                 previous=queries.round_results(survey_round=previous),
                                 code=unit.code)
    rows = []
    own = results.cells.get(unit.code, {})
    overall = results.cells.get(root_code, {})
    for scale in results.scales:
        cell = own.get(scale.code)
        top = overall.get(scale.code)
        shown = cell is not None and not cell.suppressed
        rows.append({
            "scale": scale.display_name, "code": scale.code, "shown": shown,
            "respondents": cell.respondents if shown else None,
            "mean": _fmt(cell.mean_score, 1) if shown else "",
            "pct": _fmt(cell.pct_positive) if shown else "",
            "mature": cell.mature if shown else None,
            "overall": _fmt(top.pct_positive) if top and not top.suppressed else "",
            "change": change.get(scale.code),
            "distribution": results.distribution(unit.code, scale.code),
        })
    children = sorted((u for u in results.units.values() if u.parent_id == unit.pk),
                      key=lambda u: u.path)
    codes = [unit.code] + [c.code for c in children]
    labels = {c: _unit_label(results.units[c]) for c in codes}
    if root_code != unit.code:
        codes.append(root_code)
        labels[root_code] = _("All of %(unit)s") % {"unit": _unit_label(survey_round.root)}
    heatmap = queries.heatmap_spec(results=results, codes=codes, labels=labels,
                                   scale_names=scale_names)
    ancestors = [a for a in org_unit_ancestors(unit=unit)
                 if can(request.user, "survey.results", a)
                 and RoundUnit.objects.filter(survey_round=survey_round, org_unit=a).exists()]
    return render(request, "culture/unit_results.html", {
        "round": survey_round, "unit": unit, "rows": rows, "heatmap": heatmap,
        "shown": results.shown(unit.code), "previous": previous, "ancestors": ancestors,
        "children": [c for c in children if can(request.user, "survey.results", c)],
        "is_saq": results.spec.method == "saq", "language": language,
        "note": note,
        "may_plan": can(request.user, "survey.plan", unit),
        "distribution_spec": _distribution_spec(rows),
    })


def _distribution_spec(rows: list[dict]) -> dict | None:
    values = []
    for row in rows:
        dist = row["distribution"]
        if dist is None or not dist.total:
            continue
        for label, share in zip((_("Negative"), _("Neutral"), _("Positive")), dist.shares(),
                                strict=True):
            values.append({"scale": row["scale"], "answer": label, "share": round(share, 1)})
    if not values:
        return None
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {"values": values}, "width": 360, "height": {"step": 22},
        "mark": "bar",
        "encoding": {
            "y": {"field": "scale", "type": "nominal", "title": None, "sort": None},
            "x": {"field": "share", "type": "quantitative", "stack": "normalize",
                  "title": _("Share of answers"), "axis": {"format": "%"}},
            "color": {"field": "answer", "type": "nominal", "title": None,
                      "sort": [_("Negative"), _("Neutral"), _("Positive")],
                      "scale": {"range": ["#c0504d", "#bfbfbf", "#4f81bd"]}},
            "order": {"field": "answer"},
        },
    }


@login_required
@require_POST
def unit_plan(request: HttpRequest, round_id: int, code: str) -> HttpResponse:
    survey_round, unit = _round_and_unit(request, round_id, code, "survey.plan")
    try:
        services.action_note_save(survey_round=survey_round, org_unit=unit,
                                  keep=request.POST.get("keep", ""),
                                  improve=request.POST.get("improve", ""), actor=request.user)
        messages.success(request, _("Action plan saved."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("culture:results", round_id=survey_round.pk, code=unit.code)


@login_required
def unit_results_csv(request: HttpRequest, round_id: int, code: str) -> HttpResponse:
    """The unit and every unit below it that the user may read; hidden cells stay empty."""
    survey_round, unit = _round_and_unit(request, round_id, code, "survey.results")
    results = queries.round_results(survey_round=survey_round)
    record_request_read(request, actor=request.user, unit=unit, kind=ReadKind.SURVEY_RESULTS,
                        purpose=ReadPurpose.SURVEY_RESULTS_EXPORT, objects=[survey_round])
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    columns = ["group", "scale", "respondents", "mean_score", "pct_positive", "suppressed"]
    saq = results.spec.method == "saq"
    writer.writerow(columns + (["mature"] if saq else []))
    for u in sorted(results.units.values(), key=lambda u: u.path):
        if not u.path.startswith(unit.path) or u.code not in results.cells:
            continue
        for scale in results.spec.scales:
            r = results.cells[u.code][scale]
            row = [u.code, scale, r.respondents if not r.suppressed else "",
                   "" if r.mean_score is None else repr(r.mean_score),
                   "" if r.pct_positive is None else repr(r.pct_positive),
                   "true" if r.suppressed else "false"]
            if saq:
                row.append("" if r.mature is None else ("true" if r.mature else "false"))
            writer.writerow(row)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="survey-{survey_round.pk}-{unit.code}.csv"')
    return response


@login_required
def unit_responses_fhir(request: HttpRequest, round_id: int, code: str) -> HttpResponse:
    """Anonymous FHIR QuestionnaireResponses; only for a coordinator, only if not hidden."""
    survey_round, unit = _round_and_unit(request, round_id, code, "survey.manage")
    results = queries.round_results(survey_round=survey_round)
    if not results.shown(unit.code):
        return render(request, "culture/answer_closed.html", {"message": EXPORT_TOO_FEW},
                      status=400)
    record_request_read(request, actor=request.user, unit=unit,
                        kind=ReadKind.SURVEY_RESPONSES,
                        purpose=ReadPurpose.SURVEY_RESPONSES_EXPORT, objects=[survey_round])
    bundle = questionnaire_responses(survey_round=survey_round,
                                     answers=results.answers.get(unit.code, []))
    response = HttpResponse(json.dumps(bundle, indent=1), content_type="application/fhir+json")
    response["Content-Disposition"] = (
        f'attachment; filename="survey-{survey_round.pk}-{unit.code}.fhir.json"')
    return response


# --- instruments ------------------------------------------------------------------------

def _instrument(code: str) -> Instrument:
    found = Instrument.objects.filter(code=code).first()
    if found is None:
        raise Http404(INSTRUMENT_NOT_FOUND.format(code=code))
    return found


@login_required
def instrument_list(request: HttpRequest) -> HttpResponse:
    authorize(request.user, "catalogue.view")
    return render(request, "culture/instrument_list.html", {
        "instruments": Instrument.objects.all(),
        "may_edit": can(request.user, "catalogue.edit")})


@login_required
def instrument_detail(request: HttpRequest, code: str) -> HttpResponse:
    authorize(request.user, "catalogue.view")
    instrument = _instrument(code)
    return render(request, "culture/instrument_detail.html", {
        "instrument": instrument,
        "scales": instrument.scales.prefetch_related("items"),
        "items": instrument.items.select_related("scale", "response_scale"),
        "may_edit": can(request.user, "catalogue.edit")})


@login_required
def instrument_questionnaire(request: HttpRequest, code: str) -> HttpResponse:
    authorize(request.user, "catalogue.view")
    resource = questionnaire_from_instrument(_instrument(code))
    response = HttpResponse(json.dumps(resource, indent=1, ensure_ascii=False),
                            content_type="application/fhir+json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{code}.questionnaire.json"'
    return response


def _upload_text(request: HttpRequest, suffixes: list[str]) -> str:
    return upload_text(request, suffixes=suffixes, missing=_("Choose a file to upload."))[0]


@login_required
@require_POST
def instrument_wording(request: HttpRequest, code: str) -> HttpResponse:
    authorize(request.user, "catalogue.edit")
    instrument = _instrument(code)
    try:
        count = services.instrument_wording_import(
            instrument=instrument, text=_upload_text(request, [".csv", ".json"]),
            fmt=request.POST.get("format", ""), actor=request.user)
        messages.success(request, _("%(n)d item texts replaced.") % {"n": count})
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("culture:instrument", code=instrument.code)


@login_required
@require_POST
def instrument_define(request: HttpRequest) -> HttpResponse:
    authorize(request.user, "catalogue.edit")
    try:
        instrument = services.instrument_define(text=_upload_text(request, [".yaml", ".yml"]),
                                                actor=request.user)
        messages.success(request, _("Instrument added."))
        return redirect("culture:instrument", code=instrument.code)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("culture:instruments")


# --- answering (no sign-in) --------------------------------------------------------------

def _form_items(survey_round: SurveyRound, given: dict[str, str]) -> list[dict]:
    items = survey_round.instrument.items.select_related("response_scale", "scale")
    return [{"code": i.code, "text": i.display_text, "selected": given.get(i.code, ""),
             "choices": [(str(v), label) for v, label in i.response_scale.choices()]}
            for i in items]


def _answer_page(request: HttpRequest, survey_round: SurveyRound, unit, submit) -> HttpResponse:
    given: dict[str, str] = {}
    if request.method == "POST":
        given = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
        try:
            submit(given)
            return redirect("culture:thanks")
        except DomainError as error:
            messages.error(request, _(error.message))
    return render(request, "culture/answer.html", {
        "round": survey_round, "unit": unit, "unit_name": _unit_label(unit),
        "items": _form_items(survey_round, given),
        "demo": survey_round.instrument.wording == "demo",
    })


def answer_invitation(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.invitation_find(token=token)
    except DomainError as error:
        return render(request, "culture/answer_closed.html", {"message": error.message},
                      status=404)
    if invitation.used:
        return render(request, "culture/answer_closed.html",
                      {"message": services.INVITATION_USED}, status=410)
    survey_round = invitation.survey_round
    if not survey_round.is_open or datetime.date.today() > survey_round.closes_on:
        return render(request, "culture/answer_closed.html",
                      {"message": services.ROUND_CLOSED}, status=410)
    return _answer_page(request, survey_round, invitation.org_unit, lambda given: (
        services.response_submit(survey_round=survey_round, answers=given,
                                 invitation_token=token)))


def _round_by_link(link_token: str) -> SurveyRound:
    survey_round = SurveyRound.objects.select_related("instrument").filter(
        link_token=link_token).first()
    if survey_round is None:
        raise Http404(services.INVITATION_UNKNOWN)
    return survey_round


def join_round(request: HttpRequest, link_token: str) -> HttpResponse:
    survey_round = _round_by_link(link_token)
    if request.method == "POST":
        code = request.POST.get("code", "").strip().upper()
        try:
            services.round_unit_find(survey_round=survey_round, join_code=code)
            return redirect("culture:join_answer", link_token=link_token, join_code=code)
        except DomainError as error:
            messages.error(request, error.message)
    return render(request, "culture/join.html", {"round": survey_round})


def join_answer(request: HttpRequest, link_token: str, join_code: str) -> HttpResponse:
    survey_round = _round_by_link(link_token)
    try:
        round_unit = services.round_unit_find(survey_round=survey_round, join_code=join_code)
    except DomainError:
        return redirect("culture:join", link_token=link_token)
    if not survey_round.is_open or datetime.date.today() > survey_round.closes_on:
        return render(request, "culture/answer_closed.html",
                      {"message": services.ROUND_CLOSED}, status=410)
    return _answer_page(request, survey_round, round_unit.org_unit, lambda given: (
        services.response_submit(survey_round=survey_round, answers=given,
                                 join_code=join_code)))


def thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "culture/thanks.html")
