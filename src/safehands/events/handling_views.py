"""The handler's pages: the work queue of a unit and one report with its workflow.

Thin: the permission function decides (through `services.event_for`, which answers a report
the user may not open exactly like one that does not exist), queries read, one service
writes. A refused or failed step shows the page again with the message on the field it names,
and nothing is saved.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from safehands.audit.models import ReadKind, ReadPurpose
from safehands.core.errors import AccessDenied, Conflict, DomainError
from safehands.events import queries
from safehands.events.content import taxonomy
from safehands.events.forms import (
    DuplicateForm,
    FeedbackForm,
    MessageForm,
    NotifyForm,
    QueueFilterForm,
    ReasonForm,
    TriageForm,
    VersionedForm,
)
from safehands.events.investigation import WORK_STATUSES
from safehands.events.models import Event, ReporterKind
from safehands.events.services import event_for, event_notify, event_step, message_add
from safehands.events.workflow import STEPS, steps_from
from safehands.orgs.access import authorize, can
from safehands.orgs.models import OrgUnit
from safehands.orgs.queries import org_unit_ancestors, org_unit_get
from safehands.orgs.reads import record_request_read

STEP_FORMS: dict[str, type[VersionedForm]] = {
    "triage": TriageForm, "reject": ReasonForm, "duplicate": DuplicateForm,
    "restore": VersionedForm, "investigate": VersionedForm, "open_actions": VersionedForm,
    "request_approval": FeedbackForm, "send_back": ReasonForm, "close": FeedbackForm,
    "reopen": ReasonForm,
}
UNIT_NOT_BELOW = gettext_lazy("There is no unit '{code}' at or below {unit}.")
DUPLICATE_NOT_FOUND = gettext_lazy("There is no report {reference} in this organisation that "
                                   "you handle.")
STEP_UNKNOWN = gettext_lazy("That is not a step this report can take.")


# -- the work queue ---------------------------------------------------------------------------

def _queue_filter(form: QueueFilterForm, unit: OrgUnit) -> tuple[queries.QueueFilter, list[str]]:
    """The filter the handler asked for; a field that does not parse is left out and named."""
    errors = [f"{form.fields[name].label}: {' '.join(problems)}"
              for name, problems in form.errors.items()]
    data = form.cleaned_data if form.is_bound else {}
    below = None
    code = (data.get("unit") or "").strip()
    if code:
        below = OrgUnit.objects.filter(code=code, path__startswith=unit.path).first()
        if below is None:
            errors.append(str(UNIT_NOT_BELOW).format(code=code, unit=unit.name))
    return queries.QueueFilter(
        status=data.get("status") or queries.STATUS_OPEN, event_type=data.get("event_type", ""),
        category=data.get("category", ""), outcome=data.get("outcome", ""), unit=below,
        overdue_only=bool(data.get("overdue")), mine=bool(data.get("mine")),
        search=data.get("q", "")), errors


@login_required
def queue(request: HttpRequest, code: str) -> HttpResponse:
    """The reports of a unit and the units below it, open ones first in view."""
    unit = org_unit_get(code=code)
    authorize(request.user, "event.handle", unit)
    form = QueueFilterForm(request.GET or None)
    if form.is_bound:
        form.is_valid()
    filters, errors = _queue_filter(form, unit)
    number = (form.cleaned_data.get("page") if form.is_bound else None) or 1
    page = queries.queue_page(unit=unit, user=request.user, filters=filters, number=number)
    kept = [(k, v) for k, v in request.GET.items() if k != "page" and v]
    status_links = [(code_, label, n, urlencode(
        [(k, v) for k, v in kept if k != "status"] + [("status", code_)]))
        for code_, label, n in page.statuses]
    return render(request, "events/queue.html", {
        "unit": unit, "form": form, "filter": filters, "errors": errors, "page": page,
        "query": urlencode(kept), "status_links": status_links,
        "ancestors": org_unit_ancestors(unit=unit, user=request.user,
                                        permission="event.handle"),
        "subtree_units": OrgUnit.objects.filter(path__startswith=unit.path)
        .order_by("path").values_list("code", "name")[:500],
    })


# -- one report -------------------------------------------------------------------------------

def reporter_said(event: Event) -> str:
    """Who reported, as far as the handler may know: a name for a signed-in staff reporter who
    gave it, otherwise only the kind of reporter."""
    if event.reporter_kind == ReporterKind.PATIENT:
        return _("A patient (public form)")
    if event.reporter_kind == ReporterKind.RELATIVE:
        return _("A relative (public form)")
    if event.anonymous:
        return _("Anonymous")
    if event.reporter is not None:
        return event.reporter.get_full_name() or event.reporter.get_username()
    return _("Not recorded")


def _step_form(step: str, event: Event, user: Any, data: Any = None) -> VersionedForm:
    form_class = STEP_FORMS[step]
    initial: dict[str, Any] = {"expected_version": event.version}
    kwargs: dict[str, Any] = {}
    if form_class is TriageForm:
        kwargs["handlers"] = queries.handler_candidates(unit=event.org_unit)
        initial.update(handler=str((event.handler or user).pk), event_type=event.event_type,
                       outcome=event.outcome,
                       reached_patient={True: "yes", False: "no"}.get(event.reached_patient, ""))
    if form_class is FeedbackForm:
        initial["feedback"] = event.feedback
    return form_class(data, prefix=step, initial=initial, **kwargs)


def _place_error(form: django_forms.Form | None, error: DomainError) -> bool:
    """Put the service's message on the field it names; False when no field fits."""
    name = error.extra.get("field")
    if form is not None and name in form.fields and name != "expected_version":
        form.add_error(name, error.message)
        return True
    return False


def _detail(request: HttpRequest, event: Event, *,
            bound: dict[str, django_forms.Form] | None = None, error: str = "",
            status: int = 200) -> HttpResponse:
    """The report page. Every rendering shows the full text, so every rendering is logged."""
    user = request.user
    bound = bound or {}
    record_request_read(request, actor=user, unit=event.org_unit, kind=ReadKind.EVENT_REPORT,
                        purpose=ReadPurpose.EVENT_HANDLING, objects=[event])
    steps = [(step, bound.get(step.code) or _step_form(step.code, event, user))
             for step in steps_from(event.status) if can(user, step.permission, event.org_unit)]
    deadlines = queries.event_deadlines(event=event)
    types = taxonomy().event_types
    factor_names = taxonomy().factors
    return render(request, "events/event_detail.html", {
        "event": event, "unit": event.org_unit, "error": error,
        "ancestors": org_unit_ancestors(unit=event.org_unit, user=user,
                                        permission="event.handle"),
        "type_label": types[event.event_type].label if event.event_type in types
        else event.event_type,
        "reporter": reporter_said(event),
        "reported_factors": [factor_names[f.code].label if f.code in factor_names else f.code
                             for f in event.factors.filter(stage="reported")],
        "deadlines": [d for d in deadlines if not d.statutory],
        "statutory": [d for d in deadlines if d.statutory],
        "notify_form": bound.get("notify") or NotifyForm(prefix="notify"),
        "message_form": bound.get("message") or MessageForm(prefix="message"),
        "steps": steps,
        "history": queries.event_history(event=event),
        "conversation": queries.event_messages(event=event),
        "investigation_open": event.status in WORK_STATUSES
        or hasattr(event, "investigation"),
        "outcome_terms": taxonomy().outcomes,
    }, status=status)


@login_required
def event_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    return _detail(request, event_for(request.user, event_id))


def _failed(request: HttpRequest, event: Event, key: str, form: django_forms.Form,
            error: DomainError) -> HttpResponse:
    """Show the page again with the service's message. A conflict (changed meanwhile, or no
    longer in a state that allows the step) shows the report as it is now, with fresh forms:
    the handler must see what changed before deciding again."""
    if isinstance(error, Conflict):
        return _detail(request, event_for(request.user, event.pk), error=error.message,
                       status=409)
    placed = _place_error(form, error)
    return _detail(request, event, bound={key: form}, error="" if placed else error.message,
                   status=403 if isinstance(error, AccessDenied) else 400)


@login_required
@require_POST
def event_step_view(request: HttpRequest, event_id: int) -> HttpResponse:
    """Take one workflow step from the report page."""
    event = event_for(request.user, event_id)
    step = request.POST.get("step", "")
    allowed = {s.code for s in steps_from(event.status)}
    if step not in STEP_FORMS:
        return _detail(request, event, error=STEP_UNKNOWN, status=400)
    form = _step_form(step, event, request.user, request.POST)
    if not form.is_valid():
        return _detail(request, event, bound={step: form} if step in allowed else None,
                       error=_("Check the form: %(problems)s") % {"problems": " ".join(
                           str(p) for problems in form.errors.values() for p in problems)},
                       status=400)
    data = form.cleaned_data
    kwargs: dict[str, Any] = {"note": data.get("note", ""),
                              "expected_version": data["expected_version"]}
    if step == "triage":
        handlers = {str(u.pk): u for u in queries.handler_candidates(unit=event.org_unit)}
        kwargs.update(handler=handlers.get(data.get("handler") or ""),
                      event_type=data["event_type"], outcome=data["outcome"],
                      reached_patient={"yes": True, "no": False}.get(data["reached_patient"]))
    if step == "duplicate" and data.get("duplicate_of"):
        other = queries.event_by_reference(reference=data["duplicate_of"], near=event)
        if other is None or not can(request.user, "event.handle", other.org_unit):
            form.add_error("duplicate_of", str(DUPLICATE_NOT_FOUND).format(
                reference=data["duplicate_of"].strip().upper()))
            return _detail(request, event, bound={step: form}, status=400)
        kwargs["duplicate_of"] = other
    if isinstance(form, FeedbackForm):
        kwargs["feedback"] = data.get("feedback", "")
    try:
        event = event_step(event=event, step=step, actor=request.user, source="web", **kwargs)
    except DomainError as error:
        return _failed(request, event, step, form, error)
    messages.success(request, _("%(step)s: done. The report is now %(status)s.") % {
        "step": STEPS[step].label, "status": event.get_status_display().lower()})
    return redirect("events:event", event_id=event.pk)


@login_required
@require_POST
def event_notify_view(request: HttpRequest, event_id: int) -> HttpResponse:
    """Record the reference of the statutory notification sent on the authority's form."""
    event = event_for(request.user, event_id)
    form = NotifyForm(request.POST, prefix="notify")
    form.is_valid()
    try:
        event_notify(event=event, actor=request.user,
                     reference=form.cleaned_data.get("reference", ""), source="web")
    except DomainError as error:
        return _failed(request, event, "notify", form, error)
    messages.success(request, _("The notification is recorded."))
    return redirect("events:event", event_id=event.pk)


@login_required
@require_POST
def event_message_view(request: HttpRequest, event_id: int) -> HttpResponse:
    """A message to the reporter, read through their follow-up link."""
    event = event_for(request.user, event_id)
    form = MessageForm(request.POST, prefix="message")
    form.is_valid()
    try:
        message_add(event=event, text=form.cleaned_data.get("text", ""), actor=request.user,
                    source="web")
    except DomainError as error:
        return _failed(request, event, "message", form, error)
    messages.success(request, _("The message is sent; the reporter reads it through the "
                                "follow-up link."))
    return redirect(f"{event_url(event)}#conversation")


def event_url(event: Event) -> str:
    return reverse("events:event", kwargs={"event_id": event.pk})
