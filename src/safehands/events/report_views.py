"""Reporting pages: the staff form, the public form, the receipt, the follow-up link and a
signed-in reporter's own reports. Thin: a form checks shapes, a service saves, a page shows.

The receipt carries the secret follow-up link once: the token travels from the form to the
receipt in the server-side session (never in a URL query another page could log), and the
receipt takes it out of the session as it is shown. The follow-up page is opened by the
secret link alone; it sends no referrer and is never cached, and says nothing about how the
case is handled inside (no names, no investigation).
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy, pgettext
from django.utils.translation import gettext as _

from safehands.core.errors import AccessDenied, DomainError, NotFound
from safehands.events import services
from safehands.events.content import taxonomy
from safehands.events.models import Event, EventSource, FactorStage, Status
from safehands.events.report_forms import (
    FollowupMessageForm,
    PublicReportForm,
    StaffReportForm,
    domain_error_show,
    when_initial,
)
from safehands.events.report_queries import own_report_list, reporter_units
from safehands.orgs.access import authorize

RECEIPT_KEY = "events_receipt"
TRIAGE_DEADLINE = "triage"  # the taxonomy's deadline for every report's first look
FOLLOWUP_INVALID = gettext_lazy("This follow-up link is not valid or has expired.")
NO_RECEIPT = gettext_lazy("There is no receipt to show. A receipt is shown once, right after "
                          "a report is sent.")


@dataclass(frozen=True)
class PlainStatus:
    """A status as a reporter reads it: which of the four steps, and what it means."""

    step: int
    label: str
    text: str


STEP_LABELS = (gettext_lazy("Received"), gettext_lazy("Being looked at"),
               gettext_lazy("Being investigated"), gettext_lazy("Answered and closed"))


def plain_status(event: Event) -> PlainStatus:
    """The four steps a reporter sees; the workflow's inner states stay inside."""
    status = event.status
    if status == Status.SUBMITTED:
        return PlainStatus(0, str(STEP_LABELS[0]), _(
            "Your report has arrived. The people who handle reports for this place will "
            "read it."))
    if status == Status.TRIAGED:
        return PlainStatus(1, str(STEP_LABELS[1]), _(
            "Someone responsible has read your report and is deciding what is needed."))
    if status in (Status.INVESTIGATING, Status.ACTIONS_OPEN, Status.AWAITING_APPROVAL):
        return PlainStatus(2, str(STEP_LABELS[2]), _(
            "Your report is being looked into: what happened, why, and what can be done so "
            "that it does not happen again."))
    if status == Status.REJECTED:
        return PlainStatus(3, pgettext("event", "Closed"), _(
            "The case has been closed without an investigation."))
    if status == Status.DUPLICATE:
        return PlainStatus(3, pgettext("event", "Closed"), _(
            "The same event was reported before; your report is handled together with that "
            "one."))
    return PlainStatus(3, str(STEP_LABELS[3]), _(
        "The case is closed. The answer to you is below."))


def _private(response: HttpResponse, *, secret_address: bool = True) -> HttpResponse:
    """A page that holds a secret link: no cache keeps it. A page whose own address is the
    secret sends its address to no other site (`same-origin`: its own forms still carry
    their origin, so the CSRF check, the language switch and sign-out work there)."""
    if secret_address:
        response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store"
    return response


def _unit_name(unit: Any) -> str:
    return unit.display_name((get_language() or "en")[:2])


def _receipt_keep(request: HttpRequest, receipt: services.Receipt, *, public: bool) -> None:
    event = receipt.event
    request.session[RECEIPT_KEY] = {
        "reference": event.reference, "token": receipt.followup_token,
        "masked": receipt.identity_numbers_masked, "unit": event.org_unit.code,
        "unit_name": event.org_unit.name, "unit_name_nb": event.org_unit.name_nb,
        "expires": event.followup_expires_at.date().isoformat()
        if event.followup_expires_at else "",
        "email": bool(event.reporter_email), "anonymous": event.anonymous, "public": public,
    }


def _report_page(request: HttpRequest, form: Any, template: str, *, public: bool,
                 save: Any) -> HttpResponse:
    """Shared by both forms: "Find" searches and shows the form again; "Send" validates,
    saves through the service and goes to the receipt; a refusal is shown at its field."""
    searched = False
    if request.method == "POST":
        if "find" in request.POST:
            form.search_only()
            searched = True
        elif form.is_valid():
            try:
                receipt = save(form)
            except AccessDenied:
                raise
            except DomainError as error:
                domain_error_show(form, error)
            else:
                _receipt_keep(request, receipt, public=public)
                return redirect("events:receipt")
        else:
            form.search()
    return render(request, template, {"form": form, "searched": searched,
                                      "errors": form.error_list() if form.is_bound else []})


@login_required
def report(request: HttpRequest) -> HttpResponse:
    authorize(request.user, "event.report")
    own = reporter_units(actor=request.user)
    if request.method == "POST":
        form = StaffReportForm(request.POST, own_units=own)
    else:
        form = StaffReportForm(own_units=own, initial=when_initial())
    return _report_page(request, form, "events/report.html", public=False, save=lambda f: (
        services.event_report(**f.report_kwargs(), actor=request.user,
                              source=EventSource.FORM)))


def public_report(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = PublicReportForm(request.POST)
    else:
        form = PublicReportForm(initial=when_initial())
    return _report_page(request, form, "events/report_public.html", public=True,
                        save=lambda f: services.event_report(
                            **f.report_kwargs(), actor=None, source=EventSource.PUBLIC))


def triage_days() -> int:
    """Within how many days a report is first looked at, from the taxonomy's deadline."""
    hours = [rule.within_hours for rule in taxonomy().deadlines
             if rule.code == TRIAGE_DEADLINE and rule.within_hours > 0]
    return math.ceil(hours[0] / 24) if hours else 0


def receipt(request: HttpRequest) -> HttpResponse:
    """Shown once: the session gives it up as it is read."""
    kept = request.session.pop(RECEIPT_KEY, None)
    if not kept:
        return _private(render(request, "events/receipt_missing.html",
                               {"message": NO_RECEIPT}, status=404), secret_address=False)
    link = request.build_absolute_uri(reverse("events:followup", args=[kept["token"]]))
    language = (get_language() or "en")[:2]
    unit_name = kept["unit_name_nb"] if language == "nb" and kept["unit_name_nb"] \
        else kept["unit_name"]
    return _private(render(request, "events/receipt.html", {
        "receipt": kept, "link": link, "unit_name": unit_name,
        "expires": datetime.date.fromisoformat(kept["expires"]) if kept["expires"] else None,
        "triage_days": triage_days()}), secret_address=False)


def followup(request: HttpRequest, token: str) -> HttpResponse:
    """The reporter's view through the secret link: status, answer, conversation, reply."""
    try:
        event = services.event_followup(token)
    except NotFound:
        return _private(render(request, "events/followup_invalid.html",
                               {"message": FOLLOWUP_INVALID}, status=404))
    form = FollowupMessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.message_add(event=event, text=form.cleaned_data["text"], token=token)
        except NotFound:
            return _private(render(request, "events/followup_invalid.html",
                                   {"message": FOLLOWUP_INVALID}, status=404))
        except DomainError as error:
            domain_error_show(form, error)
        else:
            messages.success(request, _("Your message has been sent."))
            return _private(redirect(request.path))
    status = plain_status(event)
    return _private(render(request, "events/followup.html", {
        "event": event, "status": status, "steps": list(STEP_LABELS),
        "unit_name": _unit_name(event.org_unit),
        "conversation": list(event.messages.all()),
        "form": form, "form_errors": [("id_text", m) for m in form.errors.get("text", [])]
        + [("id_text", m) for m in form.non_field_errors()] if form.is_bound else [],
        "answer": event.feedback if event.status == Status.CLOSED else "",
        "reason": event.reason if event.status == Status.REJECTED else "",
    }))


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    authorize(request.user, "event.report")
    events = list(own_report_list(actor=request.user))
    types = taxonomy().event_types
    return render(request, "events/mine.html", {"rows": [
        {"event": e, "status": plain_status(e), "unit_name": _unit_name(e.org_unit),
         "type": types[e.event_type].label if e.event_type in types else e.event_type}
        for e in events]})


@login_required
def mine_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    authorize(request.user, "event.report")
    event = services.own_report_for(request.user, event_id)
    tax = taxonomy()
    factors = [tax.factors[f.code].label if f.code in tax.factors else f.code
               for f in event.factors.filter(stage=FactorStage.REPORTED)]
    return render(request, "events/mine_detail.html", {
        "event": event, "status": plain_status(event), "steps": list(STEP_LABELS),
        "unit_name": _unit_name(event.org_unit),
        "type": tax.event_types[event.event_type].label
        if event.event_type in tax.event_types else event.event_type,
        "outcome": tax.outcomes[event.outcome_reported],
        "factors": factors,
        "conversation": list(event.messages.all()),
        "answer": event.feedback if event.status == Status.CLOSED else "",
        "reason": event.reason if event.status == Status.REJECTED else "",
    })
