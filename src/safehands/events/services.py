"""Every write of a report's life: reporting, the workflow, the statutory notification and the
conversation with the reporter. Validated, atomic, authorised and audited.

An anonymous or public report is audited without an actor: the audit trail must not undo the
anonymity the reporter was promised.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safehands.audit.services import audit_record, snapshot
from safehands.catalogue.models import TargetArea
from safehands.core.errors import AccessDenied, Conflict, DomainError, NotFound
from safehands.events.content import OUTCOME_ORDER, taxonomy
from safehands.events.identity import identity_numbers_mask
from safehands.events.models import (
    Event,
    EventDeadline,
    EventFactor,
    EventMessage,
    EventSource,
    EventTransition,
    FactorStage,
    Investigation,
    ReporterKind,
    Status,
)
from safehands.events.workflow import STEP_NOT_ALLOWED, step_get
from safehands.orgs.access import authorize, can
from safehands.orgs.models import PATH_SEPARATOR, OrgUnit

DESCRIPTION_REQUIRED = gettext_lazy("Say what happened: the description is empty.")
DESCRIPTION_TOO_LONG = gettext_lazy(
    "The description is longer than {limit} characters; shorten it.")
OCCURRED_REQUIRED = gettext_lazy("Say when it happened.")
OCCURRED_IN_FUTURE = gettext_lazy("The time it happened ({value}) is in the future.")
OCCURRED_TOO_OLD = gettext_lazy("The time it happened ({value}) is before {limit}; check the year.")
OCCURRED_AFTER_REPORTED = gettext_lazy(
    "It cannot have happened ({occurred}) after it was reported "
    "({reported}).")
TYPE_UNKNOWN = gettext_lazy("'{value}' is not an event type; use one of {allowed}.")
OUTCOME_UNKNOWN = gettext_lazy("'{value}' is not an outcome; use one of {allowed}.")
FACTOR_UNKNOWN = gettext_lazy("'{value}' is not a contributing factor; use one of {allowed}.")
REPORTER_KIND_UNKNOWN = gettext_lazy("'{value}' is not a kind of reporter; use one of {allowed}.")
EMAIL_INVALID = gettext_lazy("'{value}' is not an e-mail address.")
UNIT_INACTIVE = gettext_lazy(
    "{unit} no longer takes reports; choose the unit where it happened now.")
HANDLER_REQUIRED = gettext_lazy("Choose who handles the report.")
HANDLER_NO_RIGHTS = gettext_lazy(
    "{user} cannot handle reports of {unit}: they need the coordinator role "
    "there.")
REASON_REQUIRED = gettext_lazy("Say why; the reporter and the audit trail will see the reason.")
DUPLICATE_REQUIRED = gettext_lazy("Name the report this one repeats.")
DUPLICATE_ITSELF = gettext_lazy("A report cannot be a duplicate of itself.")
DUPLICATE_ELSEWHERE = gettext_lazy("The report it repeats must be of the same organisation.")
FEEDBACK_REQUIRED = gettext_lazy(
    "Write the feedback to the reporter before closing: what was found and "
    "what is being done, in plain language.")
ACTIONS_REQUIRED = gettext_lazy("Add at least one action before moving on to the actions.")
FOUR_EYES = gettext_lazy(
    "An event with severe harm or death is closed by someone other than its handler: "
    "ask another coordinator to approve.")
CHANGED_MEANWHILE = gettext_lazy(
    "Someone else changed this report while you had it open (version {have}, "
    "now {now}); reload it and try again.")
MESSAGE_REQUIRED = gettext_lazy("The message is empty.")
FOLLOWUP_INVALID = gettext_lazy("This follow-up link is not valid or has expired.")
NOTIFICATION_REFERENCE_REQUIRED = gettext_lazy(
    "Give the reference the supervisory authority's form "
    "returned.")
NOTHING_TO_NOTIFY = gettext_lazy("No statutory notification is due for this event.")
NOT_FOUND = gettext_lazy("There is no such report, or you do not have access to it.")

DESCRIPTION_LIMIT = 20000
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.get_fixed_timezone(0))
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Receipt:
    """What a reporter gets back: the reference, the secret link, and what was masked."""

    event: Event
    followup_token: str
    identity_numbers_masked: int


def followup_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _followup_days() -> int:
    return int(getattr(settings, "SAFEHANDS_EVENT_FOLLOWUP_DAYS", 365))


def _new_reference(org_unit: OrgUnit) -> str:
    while True:
        reference = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
        if not Event.objects.filter(org_unit=org_unit, reference=reference).exists():
            return reference


def kinds_above(unit: OrgUnit) -> set[str]:
    """The kinds of the unit and every unit above it: which statutory duties apply."""
    codes = [c for c in unit.path.split(PATH_SEPARATOR) if c]
    return set(OrgUnit.objects.filter(code__in=codes).values_list("kind", flat=True))


def check_event_type(value: str) -> str:
    types = taxonomy().event_types
    if value not in types:
        raise DomainError(TYPE_UNKNOWN.format(value=value, allowed=", ".join(types)),
                          {"field": "event_type"})
    return value


def check_outcome(value: str) -> str:
    if value not in OUTCOME_ORDER:
        raise DomainError(OUTCOME_UNKNOWN.format(value=value, allowed=", ".join(OUTCOME_ORDER)),
                          {"field": "outcome"})
    return value


def check_factors(codes: list[str]) -> list[str]:
    known = taxonomy().factors
    for code in codes:
        if code not in known:
            raise DomainError(FACTOR_UNKNOWN.format(value=code, allowed=", ".join(known)),
                              {"field": "factors"})
    return sorted(set(codes))


def check_occurred(occurred_at: datetime | None, reported_at: datetime) -> datetime:
    if occurred_at is None:
        raise DomainError(OCCURRED_REQUIRED, {"field": "occurred_at"})
    if timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at)
    shown = timezone.localtime(occurred_at).strftime("%Y-%m-%d %H:%M")
    if occurred_at > timezone.now() + CLOCK_SKEW:
        raise DomainError(OCCURRED_IN_FUTURE.format(value=shown), {"field": "occurred_at"})
    if occurred_at < EARLIEST:
        raise DomainError(OCCURRED_TOO_OLD.format(value=shown, limit=EARLIEST.year),
                          {"field": "occurred_at"})
    if occurred_at > reported_at + CLOCK_SKEW:
        raise DomainError(OCCURRED_AFTER_REPORTED.format(
            occurred=shown, reported=timezone.localtime(reported_at).strftime("%Y-%m-%d %H:%M")),
            {"field": "occurred_at"})
    return min(occurred_at, reported_at)


def check_description(text: str) -> tuple[str, int]:
    """(the description with identity numbers masked, how many were masked)."""
    text = (text or "").strip()
    if not text:
        raise DomainError(DESCRIPTION_REQUIRED, {"field": "description"})
    if len(text) > DESCRIPTION_LIMIT:
        raise DomainError(DESCRIPTION_TOO_LONG.format(limit=DESCRIPTION_LIMIT),
                          {"field": "description"})
    return identity_numbers_mask(text)


def target_area_of(event_type: str) -> TargetArea | None:
    code = taxonomy().event_types[event_type].target_area
    return TargetArea.objects.filter(code=code).first() if code else None


def deadlines_apply(event: Event, *, kinds: set[str] | None = None) -> None:
    """Start the deadlines the event's outcome and place call for; drop unmet ones that no
    longer apply (the handler corrected the outcome at triage)."""
    kinds = kinds if kinds is not None else kinds_above(event.org_unit)
    wanted = {rule.code: rule for rule in taxonomy().deadlines
              if rule.applies(outcome=event.outcome, kinds_above=kinds)}
    existing = {d.code: d for d in event.deadlines.all()}
    for code, deadline in existing.items():
        if code not in wanted and deadline.met_at is None:
            deadline.delete()
    EventDeadline.objects.bulk_create([
        EventDeadline(event=event, code=code,
                      due_at=event.reported_at + timedelta(hours=rule.within_hours))
        for code, rule in wanted.items() if code not in existing])


def deadlines_meet(event: Event, step: str, at: datetime) -> None:
    codes = [rule.code for rule in taxonomy().deadlines if rule.met_by == step]
    event.deadlines.filter(code__in=codes, met_at__isnull=True).update(met_at=at)


def _transition_log(event: Event, from_status: str, actor: Any, note: str, at: datetime) -> None:
    EventTransition.objects.create(
        event=event, from_status=from_status, to_status=event.status, note=note, at=at,
        actor=actor if getattr(actor, "is_authenticated", False) else None)


@transaction.atomic
def event_report(*, org_unit: OrgUnit, event_type: str, occurred_at: datetime | None,
                 description: str, outcome: str, reached_patient: bool | None = None,
                 immediate_actions: str = "", factors: list[str] | None = None,
                 actor: Any = None, anonymous: bool = False,
                 reporter_kind: str = ReporterKind.STAFF, reporter_email: str = "",
                 source: str = EventSource.FORM, reported_at: datetime | None = None) -> Receipt:
    """Take a report from staff (signed in, perhaps anonymous) or from the public (no actor).

    A public report has no actor; the reporter then says whether they are a patient or a
    relative. Identity numbers in the free text are masked before anything is saved.
    """
    public = source == EventSource.PUBLIC
    if not public:
        authorize(actor, "event.report", org_unit)
    if not org_unit.is_active:
        raise DomainError(UNIT_INACTIVE.format(unit=org_unit.name), {"field": "org_unit"})
    if reporter_kind not in ReporterKind.values:
        raise DomainError(REPORTER_KIND_UNKNOWN.format(
            value=reporter_kind, allowed=", ".join(ReporterKind.values)), {"field": "reporter"})
    reported_at = reported_at or timezone.now()
    check_event_type(event_type)
    check_outcome(outcome)
    occurred_at = check_occurred(occurred_at, reported_at)
    description, masked = check_description(description)
    actions_text, masked_actions = identity_numbers_mask((immediate_actions or "").strip())
    factor_codes = check_factors(factors or [])
    email = (reporter_email or "").strip()
    if email and ("@" not in email or " " in email or len(email) > 254):
        raise DomainError(EMAIL_INVALID.format(value=email), {"field": "reporter_email"})
    token = secrets.token_urlsafe(24)
    event = Event.objects.create(
        org_unit=org_unit, reference=_new_reference(org_unit),
        category=taxonomy().event_types[event_type].group, event_type=event_type,
        target_area=target_area_of(event_type), occurred_at=occurred_at,
        reported_at=reported_at, description=description, outcome=outcome,
        outcome_reported=outcome, reached_patient=reached_patient,
        immediate_actions=actions_text,
        reporter_kind=reporter_kind if public else ReporterKind.STAFF,
        reporter=None if (public or anonymous) else actor, anonymous=anonymous or public,
        reporter_email=email, source=source,
        followup_token_hash=followup_token_hash(token),
        followup_expires_at=reported_at + timedelta(days=_followup_days()),
        identity_numbers_masked=masked + masked_actions)
    EventFactor.objects.bulk_create([
        EventFactor(event=event, code=code, stage=FactorStage.REPORTED) for code in factor_codes])
    deadlines_apply(event)
    _transition_log(event, "", None if event.anonymous else actor, "", reported_at)
    audit_record(actor=None if event.anonymous else actor, action="event.reported",
                 target=event, org_path=org_unit.path,
                 after=snapshot(event, ["reference", "event_type", "outcome", "status",
                                        "anonymous", "source"]),
                 source="api" if source == EventSource.API else "web")
    return Receipt(event=event, followup_token=token,
                   identity_numbers_masked=masked + masked_actions)


def event_for(actor: Any, event_id: int, permission: str = "event.handle") -> Event:
    """One report, if the actor may open it; otherwise the same answer as for a report that
    does not exist, so that a URL reveals nothing about other organisations' reports."""
    event = Event.objects.select_related("org_unit", "handler", "target_area").filter(
        pk=event_id).first()
    if event is None or not can(actor, permission, event.org_unit):
        raise NotFound(NOT_FOUND, {"event": event_id})
    return event


def own_report_for(actor: Any, event_id: int) -> Event:
    """A signed-in reporter's own (not anonymous) report: they may read what they wrote and
    the feedback, without any role on the unit."""
    event = Event.objects.select_related("org_unit").filter(
        pk=event_id, reporter__isnull=False).first()
    if event is None or getattr(actor, "pk", None) != event.reporter_id:
        raise NotFound(NOT_FOUND, {"event": event_id})
    return event


def _check_version(event: Event, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != event.version:
        raise Conflict(CHANGED_MEANWHILE.format(have=expected_version, now=event.version),
                       {"field": "version"})


def _locked(event: Event) -> Event:
    return Event.objects.select_for_update(of=("self",)).select_related("org_unit").get(
        pk=event.pk)


@transaction.atomic
def event_step(*, event: Event, step: str, actor: Any, note: str = "",
               handler: Any = None, outcome: str | None = None, event_type: str | None = None,
               reached_patient: bool | None = None, duplicate_of: Event | None = None,
               feedback: str | None = None, expected_version: int | None = None,
               source: str = "web", at: datetime | None = None) -> Event:
    """Take one workflow step. Checked against the table in `workflow`, the permission and
    the step's own needs; the event's version guards against two handlers at once."""
    rule = step_get(step)
    event = _locked(event)
    authorize(actor, rule.permission, event.org_unit)
    _check_version(event, expected_version)
    if event.status not in rule.sources:
        raise Conflict(str(STEP_NOT_ALLOWED).format(
            status=Status(event.status).label.lower(), step=rule.label),
            {"field": "status", "status": event.status, "step": step})
    at = at or timezone.now()
    before = snapshot(event)
    note = (note or "").strip()
    from_status = event.status
    if step == "triage":
        handler = handler or event.handler or actor
        if handler is None:
            raise DomainError(HANDLER_REQUIRED, {"field": "handler"})
        if not can(handler, "event.handle", event.org_unit):
            raise DomainError(HANDLER_NO_RIGHTS.format(user=handler, unit=event.org_unit.name),
                              {"field": "handler"})
        event.handler = handler
        if event_type and event_type != event.event_type:
            check_event_type(event_type)
            event.event_type = event_type
            event.category = taxonomy().event_types[event_type].group
            event.target_area = target_area_of(event_type)
        if outcome:
            event.outcome = check_outcome(outcome)
        if reached_patient is not None:
            event.reached_patient = reached_patient
        event.triaged_at = at
    elif step in ("reject", "send_back", "reopen") and not note:
        raise DomainError(REASON_REQUIRED, {"field": "note"})
    elif step == "duplicate":
        if duplicate_of is None:
            raise DomainError(DUPLICATE_REQUIRED, {"field": "duplicate_of"})
        if duplicate_of.pk == event.pk:
            raise DomainError(DUPLICATE_ITSELF, {"field": "duplicate_of"})
        if not can(actor, "event.handle", duplicate_of.org_unit):
            raise DomainError(DUPLICATE_ELSEWHERE, {"field": "duplicate_of"})
        event.duplicate_of = duplicate_of
    elif step == "restore":
        event.duplicate_of = None
    elif step == "investigate":
        Investigation.objects.get_or_create(event=event, defaults={"lead": actor,
                                                                   "started_at": at})
    elif step == "open_actions" and not event.event_actions.exists():
        raise Conflict(ACTIONS_REQUIRED, {"field": "actions"})
    if feedback is not None:
        event.feedback = feedback.strip()
    if step == "request_approval" and not event.feedback:
        raise DomainError(FEEDBACK_REQUIRED, {"field": "feedback"})
    if step == "close":
        if not event.feedback:
            raise DomainError(FEEDBACK_REQUIRED, {"field": "feedback"})
        if event.outcome in ("severe", "death") and event.handler_id == getattr(actor, "pk", 0):
            raise AccessDenied(FOUR_EYES, {"permission": "event.approve",
                                           "org_unit": event.org_unit.code})
        event.closed_at = at
        event.feedback_sent_at = at
    if step == "reopen":
        event.closed_at = None
    if step in ("reject", "send_back", "reopen"):
        event.reason = note
    event.status = rule.target
    event.version = F("version") + 1
    event.save()
    event.refresh_from_db()
    if step == "triage":
        deadlines_apply(event)
        deadlines_meet(event, "triaged", at)
    if step in ("reject", "duplicate"):
        deadlines_meet(event, "triaged", at)
    if step == "close":
        deadlines_meet(event, "closed", at)
        _feedback_send(event)
    _transition_log(event, from_status, actor, note, at)
    audit_record(actor=actor, action=f"event.{step}", target=event,
                 org_path=event.org_unit.path, before=before, after=snapshot(event),
                 source=source)
    return event


def _feedback_send(event: Event) -> None:
    """Mail the feedback when the reporter left an address; the follow-up link shows it
    either way. The mail carries no report text: only that there is an answer."""
    if not event.reporter_email:
        return
    from django.core.mail import send_mail

    send_mail(
        subject=_("Answer to your report %(reference)s") % {"reference": event.reference},
        message=_("Your report %(reference)s has been handled. Open the follow-up link from "
                  "your receipt to read what was found and what is being done.")
        % {"reference": event.reference},
        from_email=None, recipient_list=[event.reporter_email], fail_silently=True)


@transaction.atomic
def event_notify(*, event: Event, actor: Any, reference: str, at: datetime | None = None,
                 source: str = "web") -> Event:
    """Record that the statutory notification was sent (the authority's own form does the
    sending) and with which reference; it meets the notification deadlines."""
    event = _locked(event)
    authorize(actor, "event.handle", event.org_unit)
    reference = (reference or "").strip()
    if not reference:
        raise DomainError(NOTIFICATION_REFERENCE_REQUIRED, {"field": "reference"})
    rules = [r.code for r in taxonomy().deadlines if r.met_by == "notified"]
    if not event.deadlines.filter(code__in=rules).exists():
        raise Conflict(NOTHING_TO_NOTIFY, {"field": "reference"})
    at = at or timezone.now()
    before = snapshot(event)
    event.notified_at = at
    event.notification_reference = reference[:100]
    event.version = F("version") + 1
    event.save()
    event.refresh_from_db()
    deadlines_meet(event, "notified", at)
    audit_record(actor=actor, action="event.notified", target=event,
                 org_path=event.org_unit.path, before=before, after=snapshot(event),
                 source=source)
    return event


def event_followup(token: str) -> Event:
    """The report a follow-up link opens. A wrong or expired link gets one answer."""
    token = (token or "").strip()
    event = None
    if 16 <= len(token) <= 100:
        event = Event.objects.select_related("org_unit").filter(
            followup_token_hash=followup_token_hash(token)).first()
    if event is None or event.followup_expires_at is None or \
            event.followup_expires_at < timezone.now():
        raise NotFound(FOLLOWUP_INVALID, {"field": "token"})
    return event


@transaction.atomic
def message_add(*, event: Event, text: str, actor: Any = None, token: str = "",
                at: datetime | None = None, source: str = "web") -> EventMessage:
    """A message in the conversation: from a handler (signed in) or from the reporter
    (through the follow-up link, with no account)."""
    text, _masked = identity_numbers_mask((text or "").strip())
    if not text:
        raise DomainError(MESSAGE_REQUIRED, {"field": "text"})
    if token:
        if event_followup(token).pk != event.pk:
            raise NotFound(FOLLOWUP_INVALID, {"field": "token"})
        author_kind, author = EventMessage.Author.REPORTER, None
    else:
        authorize(actor, "event.handle", event.org_unit)
        author_kind, author = EventMessage.Author.HANDLER, actor
    message = EventMessage.objects.create(event=event, author_kind=author_kind, author=author,
                                          text=text[:DESCRIPTION_LIMIT],
                                          created_at=at or timezone.now())
    audit_record(actor=author, action="event.message", target=event,
                 org_path=event.org_unit.path,
                 after={"message": message.pk, "author_kind": author_kind}, source=source)
    return message
