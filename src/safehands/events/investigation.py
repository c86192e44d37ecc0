"""Writes of an event's investigation: the review, its timeline and causal statements, the
contributing factors found, attachments, and the actions that go into the unit's action plan.

Investigation work is open while the event is under investigation or its actions are open;
a closed case is re-opened first, so that what the reporter was told stays what was found.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy

from safehands.assessment.models import Action
from safehands.assessment.services import action_create, action_update
from safehands.audit.services import audit_record, snapshot
from safehands.core.errors import Conflict, DomainError, NotFound
from safehands.events.content import taxonomy
from safehands.events.identity import identity_numbers_mask
from safehands.events.models import (
    ActionStrength,
    CausalStatement,
    Event,
    EventAction,
    EventAttachment,
    EventFactor,
    FactorStage,
    Investigation,
    Status,
    TimelineEntry,
)
from safehands.events.services import check_factors
from safehands.orgs.access import authorize

NOT_UNDER_INVESTIGATION = gettext_lazy("The investigation can be changed while the event is under "
    "investigation or its actions are open; this one is {status}.")
TEXT_REQUIRED = gettext_lazy("The {field} is empty.")
TIME_REQUIRED = gettext_lazy("Give the time of the timeline entry.")
STRENGTH_UNKNOWN = gettext_lazy("'{value}' is not an action strength; use one of {allowed}.")
ATTACHMENT_EMPTY = gettext_lazy("The file {name} is empty.")
ATTACHMENT_TOO_LARGE = gettext_lazy(
    "The file {name} is {size} MB; attachments may be at most {limit} MB.")
ATTACHMENT_TYPE = gettext_lazy(
    "The file {name} is not a PDF, PNG, JPEG or plain-text file; other kinds of file are "
    "not accepted.")
ATTACHMENT_NOT_FOUND = gettext_lazy("There is no such attachment on this report.")
ACTION_NOT_FOUND = gettext_lazy("There is no such action on this report.")

WORK_STATUSES = (Status.INVESTIGATING, Status.ACTIONS_OPEN)
ATTACHMENT_TYPES = {  # content type: the bytes a real file of that kind starts with
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "text/plain": (),
}


def attachment_limit_bytes() -> int:
    return int(getattr(settings, "SAFEHANDS_EVENT_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))


def _open_investigation(event: Event, actor: Any) -> Investigation:
    authorize(actor, "event.handle", event.org_unit)
    if event.status not in WORK_STATUSES:
        raise Conflict(NOT_UNDER_INVESTIGATION.format(
            status=Status(event.status).label.lower()), {"field": "status"})
    investigation, _created = Investigation.objects.get_or_create(
        event=event, defaults={"lead": actor, "started_at": timezone.now()})
    return investigation


def _text(value: str, field: str) -> str:
    text, _masked = identity_numbers_mask((value or "").strip())
    if not text:
        raise DomainError(TEXT_REQUIRED.format(field=field.replace("_", " ")), {"field": field})
    return text


def _touch(event: Event) -> None:
    Event.objects.filter(pk=event.pk).update(version=F("version") + 1,
                                             updated_at=timezone.now())


@transaction.atomic
def investigation_update(*, event: Event, actor: Any, summary: str, went_well: str = "",
                         factors: list[str] | None = None, source: str = "web") -> Investigation:
    investigation = _open_investigation(event, actor)
    before = snapshot(investigation)
    investigation.summary = identity_numbers_mask((summary or "").strip())[0]
    investigation.went_well = identity_numbers_mask((went_well or "").strip())[0]
    investigation.save()
    if factors is not None:
        codes = check_factors(factors)
        event.factors.filter(stage=FactorStage.INVESTIGATION).exclude(code__in=codes).delete()
        have = set(event.factors.filter(stage=FactorStage.INVESTIGATION)
                   .values_list("code", flat=True))
        EventFactor.objects.bulk_create([
            EventFactor(event=event, code=code, stage=FactorStage.INVESTIGATION)
            for code in codes if code not in have])
    _touch(event)
    audit_record(actor=actor, action="event.investigation.updated", target=event,
                 org_path=event.org_unit.path, before=before,
                 after={**snapshot(investigation), "factors": factors}, source=source)
    return investigation


@transaction.atomic
def timeline_add(*, event: Event, actor: Any, at: datetime | None, what: str,
                 source: str = "web") -> TimelineEntry:
    investigation = _open_investigation(event, actor)
    if at is None:
        raise DomainError(TIME_REQUIRED, {"field": "at"})
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    entry = TimelineEntry.objects.create(investigation=investigation, at=at,
                                         what=_text(what, "what"))
    _touch(event)
    audit_record(actor=actor, action="event.timeline.added", target=event,
                 org_path=event.org_unit.path, after=snapshot(entry), source=source)
    return entry


@transaction.atomic
def causal_statement_add(*, event: Event, actor: Any, cause: str, effect: str,
                         factor: str = "", source: str = "web") -> CausalStatement:
    investigation = _open_investigation(event, actor)
    if factor:
        check_factors([factor])
    statement = CausalStatement.objects.create(
        investigation=investigation, cause=_text(cause, "cause"), effect=_text(effect, "effect"),
        factor=factor)
    _touch(event)
    audit_record(actor=actor, action="event.cause.added", target=event,
                 org_path=event.org_unit.path, after=snapshot(statement), source=source)
    return statement


def _sniff(name: str, data: bytes) -> str | None:
    for content_type, magics in ATTACHMENT_TYPES.items():
        if magics and any(data.startswith(m) for m in magics):
            return content_type
    if name.lower().endswith(".txt"):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return "text/plain" if b"\x00" not in data else None
    return None


@transaction.atomic
def attachment_add(*, event: Event, actor: Any, name: str, data: bytes,
                   source: str = "web") -> EventAttachment:
    """Keep a file with the report. The kind is read from the file's own first bytes, never
    from its name or the browser's claim, so a renamed program is refused."""
    authorize(actor, "event.handle", event.org_unit)
    name = (name or "attachment").replace("\\", "/").rsplit("/", 1)[-1][:200] or "attachment"
    limit = attachment_limit_bytes()
    if not data:
        raise DomainError(ATTACHMENT_EMPTY.format(name=name), {"field": "file"})
    if len(data) > limit:
        raise DomainError(ATTACHMENT_TOO_LARGE.format(
            name=name, size=f"{len(data) / 1048576:.1f}", limit=f"{limit / 1048576:g}"),
            {"field": "file"})
    content_type = _sniff(name, data)
    if content_type is None:
        raise DomainError(ATTACHMENT_TYPE.format(name=name), {"field": "file"})
    attachment = EventAttachment.objects.create(
        event=event, name=name, content_type=content_type, size=len(data),
        sha256=hashlib.sha256(data).hexdigest(), data=data, uploaded_by=actor,
        uploaded_at=timezone.now())
    _touch(event)
    audit_record(actor=actor, action="event.attachment.added", target=event,
                 org_path=event.org_unit.path,
                 after=snapshot(attachment, ["name", "content_type", "size", "sha256"]),
                 source=source)
    return attachment


def attachment_get(*, event: Event, actor: Any, attachment_id: int) -> EventAttachment:
    authorize(actor, "event.handle", event.org_unit)
    attachment = event.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound(ATTACHMENT_NOT_FOUND, {"attachment": attachment_id})
    return attachment


def check_strength(value: str) -> str:
    if value not in ActionStrength.values:
        raise DomainError(STRENGTH_UNKNOWN.format(
            value=value, allowed=", ".join(ActionStrength.values)), {"field": "strength"})
    return value


@transaction.atomic
def event_action_add(*, event: Event, actor: Any, what: str, owner: str,
                     due_date: date | None, strength: str, source: str = "web") -> EventAction:
    """An action from the investigation, written into the unit's action plan so that it is
    followed up with every other action there."""
    _open_investigation(event, actor)
    check_strength(strength)
    action = action_create(
        org_unit=event.org_unit, what=identity_numbers_mask(what or "")[0], owner=owner,
        actor=actor, due_date=due_date,
        target_area=event.target_area.code if event.target_area_id else None,
        note=f"From event {event.reference} ({taxonomy().action_strengths[strength].name}).",
        source=source)
    link = EventAction.objects.create(event=event, action=action, strength=strength)
    _touch(event)
    audit_record(actor=actor, action="event.action.added", target=event,
                 org_path=event.org_unit.path,
                 after={"action": action.pk, "strength": strength}, source=source)
    return link


@transaction.atomic
def event_action_status(*, event: Event, actor: Any, action_id: int, status: str,
                        source: str = "web") -> Action:
    authorize(actor, "event.handle", event.org_unit)
    link = event.event_actions.select_related("action").filter(action_id=action_id).first()
    if link is None:
        raise NotFound(ACTION_NOT_FOUND, {"action": action_id})
    return action_update(action=link.action, actor=actor, status=status, source=source)
