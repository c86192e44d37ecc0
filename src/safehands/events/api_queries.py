"""Reads behind the event endpoints: the handlers' list of a subtree, one report with all it
carries, and the counts a viewer may see. Never writes.

Counts follow one rule for small cells: they are hidden when they cross an organisation's
boundary, that is when the unit lies above the organisations that own reports (a region,
the nation), or the caller reads a trust's or a municipality's counts through a role granted
above it. Inside their own organisation people see their own counts whole, and handlers of
the unit see the reports themselves, so nothing is hidden from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from safehands.core import suppression
from safehands.core.errors import DomainError
from safehands.events.content import OUTCOME_ORDER, taxonomy
from safehands.events.models import (
    COUNTED_STATUSES,
    Event,
    EventAction,
    EventFactor,
    Investigation,
    Status,
)
from safehands.events.services import check_event_type, check_outcome
from safehands.orgs.access import can
from safehands.orgs.models import OrgUnit
from safehands.orgs.reads import OWNING_KINDS, unusual_read

STATUS_UNKNOWN = "'{value}' is not a status; use one of {allowed}."
DATES_REVERSED = "The first day ({first}) is after the last ({last})."
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(9999, 12, 30)


def event_list(*, unit: OrgUnit, status: str | None = None, event_type: str | None = None,
               outcome: str | None = None) -> QuerySet[Event]:
    """Reports of the unit and every unit below it, newest first, filtered as asked.

    An unknown status, type or outcome is refused with the allowed values, rather than
    answered with an empty list that looks like "no such reports"."""
    reports = Event.objects.filter(org_unit__path__startswith=unit.path)
    if status:
        if status not in Status.values:
            raise DomainError(STATUS_UNKNOWN.format(value=status,
                                                    allowed=", ".join(Status.values)),
                              {"field": "status"})
        reports = reports.filter(status=status)
    if event_type:
        reports = reports.filter(event_type=check_event_type(event_type))
    if outcome:
        reports = reports.filter(outcome=check_outcome(outcome))
    return reports.select_related("org_unit", "handler").order_by("-reported_at", "-id")


def event_detail(*, event: Event) -> Event:
    """The report again with everything its page or answer shows, fetched in a few queries."""
    return (Event.objects.select_related("org_unit", "handler", "reporter", "duplicate_of")
            .prefetch_related(
                Prefetch("factors", queryset=EventFactor.objects.order_by("stage", "code")),
                "transitions__actor", "messages", "deadlines",
                Prefetch("event_actions",
                         queryset=EventAction.objects.select_related("action")),
                Prefetch("investigation",
                         queryset=Investigation.objects.prefetch_related("timeline",
                                                                         "causes")))
            .get(pk=event.pk))


def investigation_of(event: Event) -> Investigation | None:
    try:
        return event.investigation
    except Investigation.DoesNotExist:
        return None


@dataclass(frozen=True)
class Cell:
    code: str
    count: int | None  # None: hidden
    suppressed: bool


@dataclass(frozen=True)
class EventCounts:
    """Counted reports (not rejected, not duplicates) of a subtree by type and by outcome."""

    unit: OrgUnit
    date_from: date | None
    date_to: date | None
    total: int | None
    near_misses: int | None
    by_type: list[Cell]
    by_outcome: list[Cell]
    suppressed_any: bool
    threshold: int


def counts_cross_boundary(user: Any, unit: OrgUnit) -> bool:
    """True when small counts must be hidden from this user on this unit (module docstring)."""
    if can(user, "event.handle", unit):
        return False
    if unit.kind not in OWNING_KINDS:
        return True
    reason, _granted_at = unusual_read(user, unit)
    return bool(reason)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def event_counts(*, unit: OrgUnit, user: Any, date_from: date | None = None,
                 date_to: date | None = None) -> EventCounts:
    """How many events happened in the subtree (by the day they happened, both days
    included), by type and by outcome, with small cells hidden where the rule says so.

    Zero cells are shown: a zero tells nothing about a person. When cells are hidden, the
    complementary cells that would give them back from the total are hidden too
    (`safehands.core.suppression`); a total below the threshold hides everything."""
    if date_from and date_to and date_from > date_to:
        raise DomainError(DATES_REVERSED.format(first=date_from, last=date_to),
                          {"field": "date_from"})
    reports = Event.objects.filter(org_unit__path__startswith=unit.path,
                                   status__in=COUNTED_STATUSES)
    # No report happened before 2000 (the services refuse it) or after the calendar's end:
    # days beyond those bounds count nothing, so the bounds stand in for them.
    if date_from:
        reports = reports.filter(occurred_at__gte=_day_start(max(date_from, FIRST_DAY)))
    if date_to:
        last = min(date_to, LAST_DAY)
        reports = reports.filter(occurred_at__lt=_day_start(last + timedelta(days=1)))
    types = list(taxonomy().event_types)
    per_type = dict.fromkeys(types, 0)
    per_outcome = dict.fromkeys(OUTCOME_ORDER, 0)
    near = 0
    for event_type, outcome, reached, n in (reports.values_list("event_type", "outcome",
                                                                "reached_patient")
                                            .annotate(n=Count("id")).order_by()):
        per_type[event_type] = per_type.get(event_type, 0) + n
        per_outcome[outcome] = per_outcome.get(outcome, 0) + n
        if reached is False:
            near += n
    total = sum(per_type.values())
    limit = suppression.threshold()
    hidden: set[Any] = set()
    if counts_cross_boundary(user, unit):
        cells: dict[Any, int] = {("type", k): v for k, v in per_type.items()}
        cells.update({("outcome", k): v for k, v in per_outcome.items()})
        cells.update({"total.type": total, "total.outcome": total,
                      "near": near, "total.near": total, "reached": total - near})
        children = {"total.type": [("type", k) for k in per_type],
                    "total.outcome": [("outcome", k) for k in per_outcome],
                    "total.near": ["near", "reached"]}
        # A zero is no small cell; hidden it still protects a neighbour.
        hidden = suppression.suppressed_cells(
            {k: (v if v else limit) for k, v in cells.items()}, children=children,
            threshold=limit)
        if hidden & {"total.type", "total.outcome", "total.near"} or 0 < total < limit:
            hidden |= set(cells)

    def cell(kind: str, code: str, value: int) -> Cell:
        gone = (kind, code) in hidden
        return Cell(code=code, count=None if gone else value, suppressed=gone)

    return EventCounts(
        unit=unit, date_from=date_from, date_to=date_to,
        total=None if "total.type" in hidden else total,
        near_misses=None if "near" in hidden else near,
        by_type=[cell("type", k, v) for k, v in per_type.items()],
        by_outcome=[cell("outcome", k, v) for k, v in per_outcome.items()],
        suppressed_any=bool(hidden), threshold=limit)
