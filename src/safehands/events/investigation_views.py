"""The investigation page of one report: the RCA²-style review, its timeline and causal
statements, the contributing factors found, attachments, and the actions that go into the
unit's action plan.

Like the report page, it opens only for those who may handle the report (the same answer as
for a report that does not exist otherwise), every rendering and every download is logged as
a read of the report, and a refused write shows the page again with the message on its field.
"""

from __future__ import annotations

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from safehands.assessment.models import Action
from safehands.audit.models import ReadKind, ReadPurpose
from safehands.core.errors import Conflict, DomainError
from safehands.core.uploads import REFUSED_ATTRIBUTE
from safehands.events import investigation as inv
from safehands.events import queries
from safehands.events.content import taxonomy
from safehands.events.forms import (
    FILE_REQUIRED,
    ActionForm,
    ActionStatusForm,
    AttachmentForm,
    CauseForm,
    InvestigationForm,
    TimelineForm,
)
from safehands.events.models import Event, FactorStage
from safehands.events.services import event_for
from safehands.orgs.access import can
from safehands.orgs.queries import org_unit_ancestors
from safehands.orgs.reads import record_request_read

FILE_OVER_LIMIT = gettext_lazy(
    "The file {name} is larger than the {limit} MB an attachment may be; make it smaller "
    "(for a scan: fewer pages, or a lower resolution) and attach it again.")


def _page_url(event: Event, anchor: str = "") -> str:
    url = reverse("events:investigation", kwargs={"event_id": event.pk})
    return f"{url}#{anchor}" if anchor else url


def _forms(event: Event) -> dict[str, django_forms.Form]:
    investigation = getattr(event, "investigation", None)
    found = list(event.factors.filter(stage=FactorStage.INVESTIGATION)
                 .values_list("code", flat=True))
    return {
        "summary": InvestigationForm(prefix="summary", initial={
            "summary": investigation.summary if investigation else "",
            "went_well": investigation.went_well if investigation else "",
            "factors": found}),
        "timeline": TimelineForm(prefix="timeline"),
        "cause": CauseForm(prefix="cause"),
        "attachment": AttachmentForm(prefix="attachment"),
        "action": ActionForm(prefix="action"),
    }


def _factor_groups(form: django_forms.Form) -> list[tuple[object, list[tuple[object, object]]]]:
    """The factor checkboxes of the form, grouped as the taxonomy groups them."""
    subwidgets = {w.data["value"]: w for w in form["factors"].subwidgets}
    tax = taxonomy()
    return [(group.label, [(subwidgets[f.code], f) for f in tax.factors_of(code)
                           if f.code in subwidgets])
            for code, group in tax.factor_groups.items()]


def _page(request: HttpRequest, event: Event, *,
          bound: dict[str, django_forms.Form] | None = None, error: str = "",
          status: int = 200) -> HttpResponse:
    user = request.user
    record_request_read(request, actor=user, unit=event.org_unit, kind=ReadKind.EVENT_REPORT,
                        purpose=ReadPurpose.EVENT_HANDLING, objects=[event])
    forms = {**_forms(event), **(bound or {})}
    investigation = getattr(event, "investigation", None)
    tax = taxonomy()
    factor_names = {code: term.label for code, term in tax.factors.items()}
    return render(request, "events/investigation.html", {
        "event": event, "unit": event.org_unit, "error": error, "forms": forms,
        "ancestors": org_unit_ancestors(unit=event.org_unit, user=user,
                                        permission="event.handle"),
        "investigation": investigation,
        "editable": event.status in inv.WORK_STATUSES,
        "factor_groups": _factor_groups(forms["summary"]),
        "found_factors": [factor_names.get(f.code, f.code) for f in
                          event.factors.filter(stage=FactorStage.INVESTIGATION)],
        "timeline": investigation.timeline.all() if investigation else [],
        "causes": [(c, factor_names.get(c.factor, c.factor)) for c in investigation.causes.all()]
        if investigation else [],
        "attachments": event.attachments.defer("data").select_related("uploaded_by"),
        "actions": [(link, link.action.is_overdue()) for link in
                    queries.event_actions(event=event)],
        "action_statuses": Action.Status.choices,
        "strengths": tax.action_strengths,
        "limit_mb": f"{inv.attachment_limit_bytes() / 1048576:g}",
        "may_see_plan": can(user, "assessment.view", event.org_unit),
    }, status=status)


@login_required
def investigation_page(request: HttpRequest, event_id: int) -> HttpResponse:
    return _page(request, event_for(request.user, event_id))


def _failed(request: HttpRequest, event: Event, key: str, form: django_forms.Form,
            error: DomainError) -> HttpResponse:
    if isinstance(error, Conflict):
        return _page(request, event_for(request.user, event.pk), error=error.message,
                     status=409)
    name = error.extra.get("field")
    if name in form.fields:
        form.add_error(name, error.message)
        return _page(request, event, bound={key: form}, status=400)
    return _page(request, event, bound={key: form}, error=error.message, status=400)


def _invalid(request: HttpRequest, event: Event, key: str,
             form: django_forms.Form) -> HttpResponse:
    return _page(request, event, bound={key: form}, status=400)


@login_required
@require_POST
def investigation_update_view(request: HttpRequest, event_id: int) -> HttpResponse:
    event = event_for(request.user, event_id)
    form = InvestigationForm(request.POST, prefix="summary")
    if not form.is_valid():
        return _invalid(request, event, "summary", form)
    try:
        inv.investigation_update(event=event, actor=request.user,
                                 summary=form.cleaned_data["summary"],
                                 went_well=form.cleaned_data["went_well"],
                                 factors=form.cleaned_data["factors"], source="web")
    except DomainError as error:
        return _failed(request, event, "summary", form, error)
    messages.success(request, _("The review is saved."))
    return redirect(_page_url(event, "review"))


@login_required
@require_POST
def timeline_add_view(request: HttpRequest, event_id: int) -> HttpResponse:
    event = event_for(request.user, event_id)
    form = TimelineForm(request.POST, prefix="timeline")
    if not form.is_valid():
        return _invalid(request, event, "timeline", form)
    try:
        inv.timeline_add(event=event, actor=request.user, at=form.cleaned_data["at"],
                         what=form.cleaned_data["what"], source="web")
    except DomainError as error:
        return _failed(request, event, "timeline", form, error)
    messages.success(request, _("The timeline entry is added."))
    return redirect(_page_url(event, "timeline"))


@login_required
@require_POST
def cause_add_view(request: HttpRequest, event_id: int) -> HttpResponse:
    event = event_for(request.user, event_id)
    form = CauseForm(request.POST, prefix="cause")
    if not form.is_valid():
        return _invalid(request, event, "cause", form)
    try:
        inv.causal_statement_add(event=event, actor=request.user,
                                 cause=form.cleaned_data["cause"],
                                 effect=form.cleaned_data["effect"],
                                 factor=form.cleaned_data["factor"], source="web")
    except DomainError as error:
        return _failed(request, event, "cause", form, error)
    messages.success(request, _("The causal statement is added."))
    return redirect(_page_url(event, "causes"))


@login_required
@require_POST
def attachment_add_view(request: HttpRequest, event_id: int) -> HttpResponse:
    """Keep a file with the report. The upload handler drops a file past the server's upload
    limit before it is held; the service refuses one past the attachment limit, or of a kind
    other than PDF, PNG, JPEG or plain text (read from the file's own bytes)."""
    event = event_for(request.user, event_id)
    form = AttachmentForm(request.POST, request.FILES, prefix="attachment")
    form.is_valid()
    field = form.add_prefix("file")
    refused = getattr(request, REFUSED_ATTRIBUTE, {})
    upload = request.FILES.get(field)
    if field in refused:
        form.add_error("file", str(FILE_OVER_LIMIT).format(
            name=refused[field], limit=f"{inv.attachment_limit_bytes() / 1048576:g}"))
        return _invalid(request, event, "attachment", form)
    if upload is None:
        form.add_error("file", FILE_REQUIRED)
        return _invalid(request, event, "attachment", form)
    try:
        inv.attachment_add(event=event, actor=request.user, name=upload.name or "",
                           data=upload.read(), source="web")
    except DomainError as error:
        return _failed(request, event, "attachment", form, error)
    messages.success(request, _("%(name)s is attached.") % {"name": upload.name})
    return redirect(_page_url(event, "attachments"))


@login_required
def attachment_download(request: HttpRequest, event_id: int, attachment_id: int) -> HttpResponse:
    """The file as it was attached: always a download (never shown in the page's origin),
    its declared kind not to be second-guessed by the browser, and the read logged."""
    event = event_for(request.user, event_id)
    attachment = inv.attachment_get(event=event, actor=request.user,
                                    attachment_id=attachment_id)
    record_request_read(request, actor=request.user, unit=event.org_unit,
                        kind=ReadKind.EVENT_REPORT, purpose=ReadPurpose.EVENT_HANDLING,
                        objects=[attachment])
    response = HttpResponse(bytes(attachment.data), content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition_header(True, attachment.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Content-Length"] = str(attachment.size)
    return response


@login_required
@require_POST
def action_add_view(request: HttpRequest, event_id: int) -> HttpResponse:
    event = event_for(request.user, event_id)
    form = ActionForm(request.POST, prefix="action")
    if not form.is_valid():
        return _invalid(request, event, "action", form)
    try:
        inv.event_action_add(event=event, actor=request.user, what=form.cleaned_data["what"],
                             owner=form.cleaned_data["owner"],
                             due_date=form.cleaned_data["due_date"],
                             strength=form.cleaned_data["strength"], source="web")
    except DomainError as error:
        return _failed(request, event, "action", form, error)
    messages.success(request, _("The action is added to the action plan of %(unit)s.") % {
        "unit": event.org_unit.name})
    return redirect(_page_url(event, "actions"))


@login_required
@require_POST
def action_status_view(request: HttpRequest, event_id: int, action_id: int) -> HttpResponse:
    event = event_for(request.user, event_id)
    form = ActionStatusForm(request.POST)
    if not form.is_valid():
        return _page(request, event, error=_("Choose one of the statuses offered."), status=400)
    try:
        inv.event_action_status(event=event, actor=request.user, action_id=action_id,
                                status=form.cleaned_data["status"], source="web")
    except DomainError as error:
        return _page(request, event, error=error.message,
                     status=404 if error.extra.get("action") else 400)
    messages.success(request, _("The action's status is saved."))
    return redirect(_page_url(event, "actions"))
