"""Reads of the read log, for the leaders of a unit. Never writes."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from safehands.audit.models import ReadEvent


def read_event_list(
    *,
    org_path: str,
    person: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    kind: str = "",
    unusual_only: bool = False,
    record: str = "",
) -> QuerySet[ReadEvent]:
    """Reads of data that belongs to the unit at `org_path` or below, newest first.

    `person` matches the reader's user name exactly (case-insensitive); `date_from` and
    `date_to` are whole days in the server's time zone, both included; `record` finds reads
    that showed a record whose name contains the text (a stay id, say).
    """
    events = ReadEvent.objects.filter(org_path__startswith=org_path)
    if person:
        events = events.filter(actor_username__iexact=person)
    zone = timezone.get_current_timezone()
    if date_from is not None:
        events = events.filter(at__gte=datetime.datetime.combine(
            date_from, datetime.time.min, tzinfo=zone))
    if date_to is not None:
        events = events.filter(at__lt=datetime.datetime.combine(
            date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone))
    if kind:
        events = events.filter(kind=kind)
    if unusual_only:
        events = events.filter(unusual=True)
    if record:
        events = events.filter(object_repr__icontains=record)
    return events.order_by("-at", "-id")


def read_event_readers(*, org_path: str) -> list[str]:
    """The user names that read data of this subtree, for the person filter."""
    return list(ReadEvent.objects.filter(org_path__startswith=org_path)
                .exclude(actor_username="").order_by("actor_username")
                .values_list("actor_username", flat=True).distinct())
