"""Copies of audit and read-log rows for a separate log system (see `safehands.core.logship`).

A copy leaves only when the transaction that wrote the row commits, so the log system never
holds a change that was rolled back.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.db import transaction

TRAIL = logging.getLogger("safehands.audit.trail")
READS = logging.getLogger("safehands.audit.reads")


def ship(logger: logging.Logger, rows: list[dict[str, Any]]) -> None:
    if not rows or not logger.isEnabledFor(logging.INFO):
        return
    lines = [json.dumps(row, ensure_ascii=False, sort_keys=True, default=str) for row in rows]

    def send() -> None:
        for line in lines:
            logger.info(line)

    transaction.on_commit(send)


def trail_row(event: Any) -> dict[str, Any]:
    return {"log": "audit", "id": event.pk, "at": event.at.isoformat() if getattr(
        event, "at", None) else None, "actor": event.actor_username, "action": event.action,
        "object_type": event.object_type, "object_id": event.object_id,
        "org_path": event.org_path, "source": event.source, "before": event.before,
        "after": event.after}


def read_row(event: Any) -> dict[str, Any]:
    return {"log": "read", "id": event.pk, "at": event.at.isoformat() if getattr(
        event, "at", None) else None, "actor": event.actor_username, "kind": event.kind,
        "purpose": event.purpose, "object_type": event.object_type,
        "object_count": event.object_count, "object_ids": event.object_ids,
        "org_path": event.org_path, "where": event.where, "source": event.source,
        "client_address": event.client_address, "unusual": event.unusual,
        "unusual_reason": event.unusual_reason}
