"""Recording changes. Every service that writes calls `audit_record` inside its transaction."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

from django.db import models

from safehands.audit.models import AuditEvent

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
    return AuditEvent.objects.create(
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
