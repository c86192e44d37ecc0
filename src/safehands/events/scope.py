"""The ground every event analysis stands on: which events (a unit, its subtree or not, a
period of occurrence on Oslo's clock) and how they are read.

- Only `COUNTED_STATUSES` count: a rejected or duplicate report is not an event.
- An event belongs to the period of `occurred_at` in Europe/Oslo (the programme's clock),
  whatever the server's time zone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from django.db.models import (
    DateField,
    QuerySet,
)
from django.db.models.functions import Cast, TruncMonth

from safehands.core.errors import DomainError
from safehands.events.models import COUNTED_STATUSES, Event
from safehands.orgs.models import OrgUnit

OSLO = ZoneInfo("Europe/Oslo")
GROUPINGS = ("month", "quarter", "year")
By = Literal["month", "quarter", "year"]
PERIOD_REVERSED = "The period starts ({start}) after it ends ({end})."
BY_UNKNOWN = "'{value}' is not a way to group periods; use month, quarter or year."


# --- Scope ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """What is analysed: a unit (with its subtree, or alone) and a period of occurrence."""

    unit: OrgUnit
    subtree: bool = True
    date_from: date | None = None  # first day, inclusive
    date_to: date | None = None  # last day, inclusive

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise DomainError(PERIOD_REVERSED.format(start=self.date_from, end=self.date_to),
                              {"field": "from"})


@contextmanager
def read_session() -> Iterator[None]:
    """One transaction for a batch of aggregate reads; on PostgreSQL without JIT, whose
    compiling of each aggregate takes longer than running it."""
    from django.db import connection, transaction

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        yield


def local_midnight(day: date) -> datetime:
    """The first instant of a day in Oslo: where a period of occurrence begins."""
    return datetime.combine(day, time.min, tzinfo=OSLO)


def events_counted(scope: Scope) -> QuerySet[Event]:
    """The events of the scope: counted statuses, where and when it says."""
    events = Event.objects.filter(status__in=COUNTED_STATUSES)
    if scope.subtree:
        events = events.filter(org_unit__path__startswith=scope.unit.path)
    else:
        events = events.filter(org_unit=scope.unit)
    if scope.date_from:
        events = events.filter(occurred_at__gte=local_midnight(scope.date_from))
    if scope.date_to:
        events = events.filter(occurred_at__lt=local_midnight(scope.date_to + timedelta(days=1)))
    return events


def month_of_occurrence() -> Cast:
    """The first day of the Oslo month an event occurred in, as a date in SQL (both engines)."""
    return Cast(TruncMonth("occurred_at", tzinfo=OSLO), output_field=DateField())

