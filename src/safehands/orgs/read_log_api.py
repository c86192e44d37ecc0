"""The read log of a unit as JSON, for the same leaders and with the same filters as the page."""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from safehands.audit.models import ReadEvent, ReadKind
from safehands.audit.queries import read_event_list
from safehands.core.errors import DomainError
from safehands.orgs.access import authorize
from safehands.orgs.queries import org_unit_get

router = Router(tags=["organisations"])

MAX_LIMIT = 500
DATES_REVERSED = "date_from ({start}) is after date_to ({end})."
KIND_UNKNOWN = "kind '{value}' is not a kind of data; choose one of {kinds}."


class ReadLogQuery(Schema):
    person: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    # The enum and bounds are declared for clients; the checks below give the messages.
    kind: str = Field("", json_schema_extra={"enum": ["", *ReadKind.values]})
    unusual: bool = False
    record: str = ""
    offset: int = Field(0, json_schema_extra={"minimum": 0})
    limit: int = Field(100, json_schema_extra={"minimum": 1, "maximum": MAX_LIMIT})


class ReadEventOut(Schema):
    at: datetime.datetime
    reader: str
    kind: str
    purpose: str
    records: str
    record_count: int
    object_type: str
    object_ids: list[str]
    unit: str
    where: str
    source: str
    client_address: str | None
    unusual: bool
    unusual_reason: str
    granted_at: str


class ReadLogOut(Schema):
    count: int
    offset: int
    limit: int
    reads: list[ReadEventOut]


def _out(e: ReadEvent) -> dict:
    return {"at": e.at, "reader": e.actor_username, "kind": e.kind, "purpose": e.purpose,
            "records": e.object_repr, "record_count": e.object_count,
            "object_type": e.object_type, "object_ids": e.object_ids, "unit": e.org_code,
            "where": e.where, "source": e.source, "client_address": e.client_address,
            "unusual": e.unusual, "unusual_reason": e.unusual_reason,
            "granted_at": e.granted_at}


@router.get("/{code}/read-log", response=ReadLogOut,
            summary="Who read patient-level and free-text data of a unit (coordinators)")
def read_log_api(request: HttpRequest, code: str, filters: Query[ReadLogQuery]) -> dict:
    """Reads of data of the unit and the units below it, newest first, `limit` (at most
    500) from `offset`. Dates are whole days, both included."""
    unit = org_unit_get(code=code)
    authorize(request.auth, "audit.view", unit)
    problems = {}
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        problems["date_from"] = DATES_REVERSED.format(start=filters.date_from,
                                                      end=filters.date_to)
    if filters.kind and filters.kind not in ReadKind.values:
        problems["kind"] = KIND_UNKNOWN.format(value=filters.kind,
                                               kinds=", ".join(ReadKind.values))
    if filters.offset < 0:
        problems["offset"] = "offset must be 0 or more."
    if not 1 <= filters.limit <= MAX_LIMIT:
        problems["limit"] = f"limit must be between 1 and {MAX_LIMIT}."
    if problems:
        raise DomainError(" ".join(problems.values()), problems)
    events = read_event_list(org_path=unit.path, person=filters.person.strip(),
                             date_from=filters.date_from, date_to=filters.date_to,
                             kind=filters.kind, unusual_only=filters.unusual,
                             record=filters.record.strip())
    page = events[filters.offset:filters.offset + filters.limit]
    return {"count": events.count(), "offset": filters.offset, "limit": filters.limit,
            "reads": [_out(e) for e in page]}
