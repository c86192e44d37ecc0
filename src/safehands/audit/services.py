"""Recording changes and reads.

Every service that writes calls `audit_record` inside its transaction. Every read of
patient-level or free-text data calls `safehands.orgs.reads.record_read`, which decides whether
the read is unusual and writes one row here through `read_event_create`.
"""

from __future__ import annotations

import datetime
import decimal
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from safehands.audit import shipping
from safehands.audit.models import AuditEvent, ReadEvent, ReadKind, ReadPurpose, UnusualReason
from safehands.core.bulk import bulk_insert

SOURCES = ("web", "api", "cli", "import", "system")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The audited state of a row: its concrete fields, foreign keys as ids."""
    names = fields or [f.attname for f in instance._meta.concrete_fields]
    return _jsonable({name: getattr(instance, name) for name in names})


def audit_record(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    org_path: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    source: str = "web",
) -> AuditEvent:
    if source not in SOURCES:
        raise ValueError(f"unknown audit source {source!r}")
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or str(target.pk)
        object_repr = object_repr or str(target)[:300]
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    event = AuditEvent.objects.create(
        actor=actor if authenticated else None,
        actor_username=actor.get_username() if authenticated else "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        org_path=org_path,
        source=source,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
    )
    shipping.ship(shipping.TRAIL, [shipping.trail_row(event)])
    return event


@dataclass(frozen=True)
class AuditEntry:
    """One change for `audit_record_bulk`: what `audit_record` takes, less actor and source."""

    action: str
    object_type: str
    object_id: str
    object_repr: str = ""
    org_path: str = ""
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


def audit_record_bulk(*, actor: Any, entries: Iterable[AuditEntry], source: str = "web",
                      batch_size: int = 2000) -> int:
    """The rows `audit_record` would write, one per entry, in a few inserts: for imports that
    change thousands of rows in one transaction. Returns how many rows were written."""
    if source not in SOURCES:
        raise ValueError(f"unknown audit source {source!r}")
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    user_id, username = (actor.pk, actor.get_username()) if authenticated else (None, "")
    rows = [{"actor_id": user_id, "actor_username": username, "action": e.action,
             "object_type": e.object_type, "object_id": e.object_id,
             "object_repr": e.object_repr[:300], "org_path": e.org_path, "source": source,
             "before": _jsonable(e.before) if e.before is not None else None,
             "after": _jsonable(e.after) if e.after is not None else None}
            for e in entries]
    bulk_insert(AuditEvent, rows, batch_size=batch_size)
    if shipping.TRAIL.isEnabledFor(logging.INFO):
        at = timezone.now().isoformat()
        shipping.ship(shipping.TRAIL, [
            {"log": "audit", "id": None, "at": at, "actor": username, **{
                k: row[k] for k in ("action", "object_type", "object_id", "org_path", "source",
                                    "before", "after")}} for row in rows])
    return len(rows)


READ_SOURCES = ("web", "api", "cli")
READ_REPR_LIMIT = 4000
DEFAULT_READ_LOG_DAYS = 3650
READ_LOG_DAYS_INVALID = "SAFEHANDS_READ_LOG_DAYS must be a whole number of days, 1 or more."


def read_event_create(
    *,
    actor: Any,
    kind: str,
    purpose: str,
    org_path: str,
    objects: Sequence[models.Model],
    where: str = "",
    source: str = "web",
    client_address: str | None = None,
    unusual_reason: str = "",
    granted_at: str = "",
) -> ReadEvent:
    """One row for one read, however many records it showed: a single insert.

    Call `safehands.orgs.reads.record_read` instead: it decides `unusual_reason`.
    """
    if kind not in ReadKind.values:
        raise ValueError(f"unknown read kind {kind!r}")
    if purpose not in ReadPurpose.values:
        raise ValueError(f"unknown read purpose {purpose!r}")
    if source not in READ_SOURCES:
        raise ValueError(f"unknown read source {source!r}")
    if unusual_reason and unusual_reason not in UnusualReason.values:
        raise ValueError(f"unknown unusual-read reason {unusual_reason!r}")
    if not org_path:
        raise ValueError("a read needs the org path of the unit the data belongs to")
    objects = list(objects)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    names = ", ".join(str(o) for o in objects)
    if len(names) > READ_REPR_LIMIT:
        names = names[:READ_REPR_LIMIT - 1] + "…"
    event = ReadEvent.objects.create(
        actor=actor if authenticated else None,
        actor_username=actor.get_username() if authenticated else "",
        kind=kind,
        object_type=objects[0]._meta.label_lower if objects else "",
        object_id=str(objects[0].pk) if len(objects) == 1 else "",
        object_ids=[str(o.pk) for o in objects],
        object_count=len(objects),
        object_repr=names,
        org_path=org_path,
        purpose=purpose,
        where=where[:500],
        source=source,
        client_address=client_address or None,
        unusual=bool(unusual_reason),
        unusual_reason=unusual_reason,
        granted_at=granted_at,
    )
    shipping.ship(shipping.READS, [shipping.read_row(event)])
    return event


def read_log_days() -> int:
    """How many days read-log rows are kept (SAFEHANDS_READ_LOG_DAYS, default ten years)."""
    days = getattr(settings, "SAFEHANDS_READ_LOG_DAYS", DEFAULT_READ_LOG_DAYS)
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise ValueError(READ_LOG_DAYS_INVALID)
    return days


def read_events_purge(
    *,
    now: datetime.datetime | None = None,
    batch_size: int = 5000,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Delete the read-log rows older than the retention limit, oldest first, in batches.

    Only rows read before `now - SAFEHANDS_READ_LOG_DAYS` go; younger rows are never
    touched. `progress(deleted_so_far, total)` is called after each batch. Returns the count.
    """
    cutoff = (now or timezone.now()) - datetime.timedelta(days=read_log_days())
    expired = ReadEvent.objects.filter(at__lt=cutoff)
    total = expired.count()
    deleted = 0
    while deleted < total:
        ids = list(expired.order_by("at", "id").values_list("id", flat=True)[:batch_size])
        if not ids:
            break
        deleted += ReadEvent.objects.filter(id__in=ids).purge_before(cutoff)
        if progress is not None:
            progress(deleted, total)
    return deleted
