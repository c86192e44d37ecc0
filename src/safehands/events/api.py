"""Event endpoints under /api/v1/events/. Each parses, asks the permission function (or
`event_for`, which answers 404 for a report the caller may not open), calls one service or
query.

Who may do what: anyone signed in may report (event.report); handlers of a unit and its line
(event.handle, coordinators) list, read, move, notify, write to the reporter and add actions;
viewers (event.view) read counts, small cells hidden where they cross an organisation's
boundary. Every read of a report's text is logged.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import Discriminator

from safehands.audit.models import ReadKind, ReadPurpose
from safehands.core.errors import NotFound
from safehands.events import api_queries as queries
from safehands.events import fhir, services
from safehands.events.content import OUTCOME_ORDER, taxonomy
from safehands.events.investigation import event_action_add
from safehands.events.models import ActionStrength, Event, EventSource
from safehands.events.models import Status as EventStatus
from safehands.events.workflow import steps_from
from safehands.orgs.access import authorize, can
from safehands.orgs.queries import org_unit_get
from safehands.orgs.reads import record_request_read

router = Router(tags=["events"])

HANDLER_UNKNOWN = "There is no user {username!r} to hand the report to."
DUPLICATE_UNKNOWN = ("There is no report {id} that you may handle; name the report this one "
                     "repeats by its id.")

# The schema says what the services check, so a client learns the rules from the document:
# codes are enumerated from the taxonomy, texts must say something ("not only spaces").
EventType = Literal[tuple(taxonomy().event_types)]  # type: ignore[valid-type]
FactorCode = Literal[tuple(taxonomy().factors)]  # type: ignore[valid-type]
OutcomeCode = Literal[OUTCOME_ORDER]  # type: ignore[valid-type]
StatusCode = Literal[tuple(EventStatus.values)]  # type: ignore[valid-type]
StrengthCode = Literal[tuple(ActionStrength.values)]  # type: ignore[valid-type]
# The characters Python's str.strip() removes (str.isspace), spelled out because "\s" means
# other sets in other regex engines (the browser's, pydantic's, the fuzzer's). The schema
# and the validation then agree exactly with the services, which strip and then check.
_SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
SAID = rf"[^{_SPACE}]"  # says something: not empty, not only spaces
EMAIL = rf"^$|^[^@{_SPACE}]+@[^@{_SPACE}]+$"  # an address the service takes, or none
# Times far outside any report are refused as shapes, before local-time arithmetic could
# overflow; the service's own messages ("in the future", "check the year") cover the rest.
OUTER_FIRST = datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC)
OUTER_LAST = datetime.datetime(9000, 1, 1, tzinfo=datetime.UTC)
EVENT_ID = Path(..., ge=1, le=2**63 - 1, description="The report's id")


def _event(request: HttpRequest, event_id: int) -> Event:
    return services.event_for(request.auth, event_id, "event.handle")


# --------------------------------------------------------------------------- reporting

class ReportIn(Schema):
    event_type: EventType
    occurred_at: datetime.datetime = Field(
        ge=OUTER_FIRST, le=OUTER_LAST,
        description="When it happened; not in the future, not before 2000.")
    description: str = Field(max_length=services.DESCRIPTION_LIMIT, pattern=SAID)
    outcome: OutcomeCode
    reached_patient: bool | None = Field(
        None, description="false for a near miss (it did not reach the patient).")
    immediate_actions: str = Field("", max_length=services.DESCRIPTION_LIMIT)
    factors: list[FactorCode] = Field([], max_length=len(taxonomy().factors))
    anonymous: bool = Field(False, description="Keep no link to the reporter's account.")
    reporter_email: str = Field("", max_length=254, pattern=EMAIL,
                                description="Where to mail that there is an answer.")


class ReceiptOut(Schema):
    id: int
    reference: str
    status: str
    followup_token: str = Field(description="The reporter's key to the follow-up page and "
                                "the conversation. Shown only in this answer: keep it.")
    followup_url: str = Field(description="The follow-up page's path, with the token.")
    identity_numbers_masked: int


@router.post("/units/{code}/reports", response={201: ReceiptOut},
             summary="Report an event that happened in a unit")
def event_report_api(request: HttpRequest, code: str, payload: ReportIn) -> Status:
    """Any signed-in caller may report. Identity numbers in the text are masked before it is
    saved; the answer says how many. The follow-up token is given once and never again."""
    unit = org_unit_get(code=code)
    receipt = services.event_report(
        org_unit=unit, event_type=payload.event_type, occurred_at=payload.occurred_at,
        description=payload.description, outcome=payload.outcome,
        reached_patient=payload.reached_patient, immediate_actions=payload.immediate_actions,
        factors=list(payload.factors), actor=request.auth, anonymous=payload.anonymous,
        reporter_email=payload.reporter_email, source=EventSource.API)
    event = receipt.event
    return Status(201, {"id": event.pk, "reference": event.reference, "status": event.status,
                        "followup_token": receipt.followup_token,
                        "followup_url": reverse("events:followup",
                                                kwargs={"token": receipt.followup_token}),
                        "identity_numbers_masked": receipt.identity_numbers_masked})


# --------------------------------------------------------------------------- handling

class ReportRowOut(Schema):
    id: int
    reference: str
    org_unit: str
    category: str
    event_type: str
    outcome: str
    reached_patient: bool | None
    status: str
    occurred_at: datetime.datetime
    reported_at: datetime.datetime
    anonymous: bool
    handler: str | None
    version: int


class ReportPageOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[ReportRowOut]


def _row(e: Event) -> dict[str, Any]:
    return {"id": e.pk, "reference": e.reference, "org_unit": e.org_unit.code,
            "category": e.category, "event_type": e.event_type, "outcome": e.outcome,
            "reached_patient": e.reached_patient, "status": e.status,
            "occurred_at": e.occurred_at, "reported_at": e.reported_at,
            "anonymous": e.anonymous, "handler": e.handler.username if e.handler else None,
            "version": e.version}


class ReportFilter(Schema):
    status: StatusCode | None = None
    event_type: EventType | None = None
    outcome: OutcomeCode | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10**9)


@router.get("/units/{code}/reports", response=ReportPageOut,
            summary="Reports of a unit and the units below it (handlers), newest first")
def event_list_api(request: HttpRequest, code: str,
                   filters: Query[ReportFilter]) -> dict[str, Any]:
    """Codes, dates and states only: no free text, so the list is not a read of reports."""
    unit = org_unit_get(code=code)
    authorize(request.auth, "event.handle", unit)
    reports = queries.event_list(unit=unit, status=filters.status,
                                 event_type=filters.event_type, outcome=filters.outcome)
    page = reports[filters.offset:filters.offset + filters.limit]
    return {"count": reports.count(), "limit": filters.limit, "offset": filters.offset,
            "items": [_row(e) for e in page]}


class FactorOut(Schema):
    code: str
    stage: str


class TransitionOut(Schema):
    from_status: str
    to_status: str
    actor: str | None
    note: str
    at: datetime.datetime


class MessageOut(Schema):
    id: int
    author_kind: str
    text: str
    created_at: datetime.datetime


class DeadlineOut(Schema):
    code: str
    due_at: datetime.datetime
    met_at: datetime.datetime | None


class TimelineOut(Schema):
    at: datetime.datetime
    what: str


class CauseOut(Schema):
    cause: str
    effect: str
    factor: str


class InvestigationOut(Schema):
    summary: str
    went_well: str
    started_at: datetime.datetime
    timeline: list[TimelineOut]
    causes: list[CauseOut]


class EventActionOut(Schema):
    action: int
    what: str
    owner: str
    due_date: datetime.date | None
    status: str
    strength: str


class ReportOut(ReportRowOut):
    description: str
    immediate_actions: str
    reporter_kind: str
    reporter: str | None
    source: str
    duplicate_of: int | None
    reason: str
    feedback: str
    feedback_sent_at: datetime.datetime | None
    notified_at: datetime.datetime | None
    notification_reference: str
    triaged_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    identity_numbers_masked: int
    factors: list[FactorOut]
    transitions: list[TransitionOut]
    messages: list[MessageOut]
    deadlines: list[DeadlineOut]
    investigation: InvestigationOut | None
    actions: list[EventActionOut]
    steps: list[str] = Field(description="The workflow steps the caller may take now.")


def _action_out(link: Any) -> dict[str, Any]:
    a = link.action
    return {"action": a.pk, "what": a.what, "owner": a.owner, "due_date": a.due_date,
            "status": a.status, "strength": link.strength}


def _report_out(request: HttpRequest, event: Event) -> dict[str, Any]:
    e = queries.event_detail(event=event)
    review = queries.investigation_of(e)
    return {
        **_row(e), "description": e.description, "immediate_actions": e.immediate_actions,
        "reporter_kind": e.reporter_kind,
        "reporter": e.reporter.username if e.reporter and not e.anonymous else None,
        "source": e.source, "duplicate_of": e.duplicate_of_id, "reason": e.reason,
        "feedback": e.feedback, "feedback_sent_at": e.feedback_sent_at,
        "notified_at": e.notified_at, "notification_reference": e.notification_reference,
        "triaged_at": e.triaged_at, "closed_at": e.closed_at,
        "identity_numbers_masked": e.identity_numbers_masked,
        "factors": [{"code": f.code, "stage": f.stage} for f in e.factors.all()],
        "transitions": [{"from_status": t.from_status, "to_status": t.to_status,
                         "actor": t.actor.username if t.actor else None, "note": t.note,
                         "at": t.at} for t in e.transitions.all()],
        "messages": [{"id": m.pk, "author_kind": m.author_kind, "text": m.text,
                      "created_at": m.created_at} for m in e.messages.all()],
        "deadlines": [{"code": d.code, "due_at": d.due_at, "met_at": d.met_at}
                      for d in e.deadlines.all()],
        "investigation": None if review is None else {
            "summary": review.summary, "went_well": review.went_well,
            "started_at": review.started_at,
            "timeline": [{"at": t.at, "what": t.what} for t in review.timeline.all()],
            "causes": [{"cause": c.cause, "effect": c.effect, "factor": c.factor}
                       for c in review.causes.all()]},
        "actions": [_action_out(link) for link in e.event_actions.all()],
        "steps": [s.code for s in steps_from(e.status)
                  if can(request.auth, s.permission, e.org_unit)],
    }


@router.get("/reports/{id}", response=ReportOut, summary="One report in full (handlers)")
def event_detail_api(request: HttpRequest, id: int = EVENT_ID) -> dict[str, Any]:
    """404 when there is no such report or the caller may not handle it: the two look alike.
    The read is logged."""
    event = _event(request, id)
    record_request_read(request, actor=request.auth, unit=event.org_unit,
                        kind=ReadKind.EVENT_REPORT, purpose=ReadPurpose.EVENTS_API,
                        objects=[event], source="api")
    return _report_out(request, event)


class _StepBase(Schema):
    expected_version: int = Field(ge=1, le=2**31 - 1, description=(
        "The report's version as you read it; 409 if someone changed it meanwhile."))
    note: str = Field("", max_length=services.DESCRIPTION_LIMIT)


class TriageIn(_StepBase):
    step: Literal["triage"]
    handler: str | None = Field(None, max_length=150,
                                description="Username of the handler; default: you.")
    event_type: EventType | None = None
    outcome: OutcomeCode | None = None
    reached_patient: bool | None = None


class ReasonedStepIn(_StepBase):
    step: Literal["reject", "send_back", "reopen"]
    note: str = Field(max_length=services.DESCRIPTION_LIMIT, pattern=SAID,
                      description="Why; the reporter and the audit trail see it.")


class DuplicateIn(_StepBase):
    step: Literal["duplicate"]
    duplicate_of: int = Field(ge=1, le=2**63 - 1, description="Id of the report it repeats.")


class PlainStepIn(_StepBase):
    step: Literal["restore", "investigate", "open_actions"]


class FeedbackStepIn(_StepBase):
    step: Literal["request_approval"]
    feedback: str = Field(max_length=services.DESCRIPTION_LIMIT, pattern=SAID,
                          description="Plain-language feedback to the reporter.")


class CloseIn(_StepBase):
    step: Literal["close"]
    feedback: str | None = Field(None, max_length=services.DESCRIPTION_LIMIT,
                                 pattern=SAID,
                                 description="Changes the feedback; default: as written.")


StepIn = Annotated[TriageIn | ReasonedStepIn | DuplicateIn | PlainStepIn | FeedbackStepIn
                   | CloseIn, Discriminator("step")]


def _handler(username: str | None) -> Any:
    if not username:
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise NotFound(HANDLER_UNKNOWN.format(username=username), {"field": "handler"})
    return user


def _duplicate_of(request: HttpRequest, event_id: int | None) -> Event | None:
    if event_id is None:
        return None
    try:
        return services.event_for(request.auth, event_id, "event.handle")
    except NotFound:
        raise NotFound(DUPLICATE_UNKNOWN.format(id=event_id),
                       {"field": "duplicate_of"}) from None


@router.post("/reports/{id}/steps", response=ReportOut,
             summary="Take one workflow step (triage, investigate, close, ...)")
def event_step_api(request: HttpRequest, payload: StepIn,
                   id: int = EVENT_ID) -> dict[str, Any]:
    """409 when the report is in a state the step does not start from, or changed since
    `expected_version`; 400 naming the field when the step lacks what it needs."""
    event = _event(request, id)
    step = payload
    event = services.event_step(
        event=event, step=step.step, actor=request.auth, note=step.note,
        handler=_handler(getattr(step, "handler", None)),
        outcome=getattr(step, "outcome", None), event_type=getattr(step, "event_type", None),
        reached_patient=getattr(step, "reached_patient", None),
        duplicate_of=_duplicate_of(request, getattr(step, "duplicate_of", None)),
        feedback=getattr(step, "feedback", None), expected_version=step.expected_version,
        source="api")
    return _report_out(request, event)


class NotificationIn(Schema):
    reference: str = Field(max_length=100, pattern=SAID, description=(
        "The reference the supervisory authority's notification form returned."))


class NotificationOut(Schema):
    notified_at: datetime.datetime
    notification_reference: str
    version: int


@router.post("/reports/{id}/notification", response=NotificationOut,
             summary="Record that the statutory notification was sent")
def event_notify_api(request: HttpRequest, payload: NotificationIn,
                     id: int = EVENT_ID) -> dict[str, Any]:
    """409 when no notification is due for the event (its outcome and place start none)."""
    event = services.event_notify(event=_event(request, id), actor=request.auth,
                                  reference=payload.reference, source="api")
    return {"notified_at": event.notified_at,
            "notification_reference": event.notification_reference, "version": event.version}


class MessageIn(Schema):
    text: str = Field(max_length=services.DESCRIPTION_LIMIT, pattern=SAID)


@router.post("/reports/{id}/messages", response={201: MessageOut},
             summary="Write to the reporter (they read it through their follow-up link)")
def message_add_api(request: HttpRequest, payload: MessageIn,
                    id: int = EVENT_ID) -> Status:
    message = services.message_add(event=_event(request, id), text=payload.text,
                                   actor=request.auth, source="api")
    return Status(201, {"id": message.pk, "author_kind": message.author_kind,
                        "text": message.text, "created_at": message.created_at})


class EventActionIn(Schema):
    what: str = Field(max_length=500, pattern=SAID)
    owner: str = Field(max_length=200, pattern=SAID)
    due_date: datetime.date | None = None
    strength: StrengthCode


@router.post("/reports/{id}/actions", response={201: EventActionOut},
             summary="Add an action from the investigation to the unit's action plan")
def event_action_add_api(request: HttpRequest, payload: EventActionIn,
                         id: int = EVENT_ID) -> Status:
    """409 unless the event is under investigation or its actions are open."""
    link = event_action_add(event=_event(request, id), actor=request.auth, what=payload.what,
                            owner=payload.owner, due_date=payload.due_date,
                            strength=payload.strength, source="api")
    return Status(201, _action_out(link))


@router.get("/reports/{id}/fhir", summary="One report as a FHIR R4 AdverseEvent",
            openapi_extra={"responses": {200: {
                "description": "A FHIR R4 AdverseEvent (no identity of the person harmed)",
                "content": {fhir.FHIR_CONTENT_TYPE: {"schema": {"type": "object"}}}}}})
def event_fhir_api(request: HttpRequest, id: int = EVENT_ID) -> HttpResponse:
    """The export is logged as a read of the report (purpose: export)."""
    event = _event(request, id)
    record_request_read(request, actor=request.auth, unit=event.org_unit,
                        kind=ReadKind.EVENT_REPORT, purpose=ReadPurpose.EVENT_EXPORT,
                        objects=[event], source="api")
    return HttpResponse(fhir.adverse_event_json(event),
                        content_type=f"{fhir.FHIR_CONTENT_TYPE}; charset=utf-8")


# --------------------------------------------------------------------------- counts

class CellOut(Schema):
    code: str
    count: int | None
    suppressed: bool


class CountsOut(Schema):
    org_unit: str
    date_from: datetime.date | None
    date_to: datetime.date | None
    total: int | None
    near_misses: int | None
    by_type: list[CellOut]
    by_outcome: list[CellOut]
    suppressed: bool = Field(description="True when any count is hidden (small cells).")
    threshold: int


class CountsFilter(Schema):
    date_from: datetime.date | None = Field(None, description="First day it happened.")
    date_to: datetime.date | None = Field(None, description="Last day it happened.")


@router.get("/units/{code}/counts", response=CountsOut,
            summary="Counted events of a unit and the units below it, by type and outcome")
def event_counts_api(request: HttpRequest, code: str,
                     filters: Query[CountsFilter]) -> dict[str, Any]:
    """Rejected reports and duplicates are not counted. Where the counts cross an
    organisation's boundary, counts below the small-cell threshold are hidden (null, with
    `suppressed`) together with the cells that would give them back."""
    unit = org_unit_get(code=code)
    authorize(request.auth, "event.view", unit)
    counts = queries.event_counts(unit=unit, user=request.auth, date_from=filters.date_from,
                                  date_to=filters.date_to)

    def cells(items: list[queries.Cell]) -> list[dict[str, Any]]:
        return [{"code": c.code, "count": c.count, "suppressed": c.suppressed} for c in items]

    return {"org_unit": unit.code, "date_from": counts.date_from, "date_to": counts.date_to,
            "total": counts.total, "near_misses": counts.near_misses,
            "by_type": cells(counts.by_type), "by_outcome": cells(counts.by_outcome),
            "suppressed": counts.suppressed_any, "threshold": counts.threshold}

