"""Reads of the handler's pages: the work queue, one report's deadlines and history, and who
may handle a unit's reports. Never writes.

The queue is the busiest read of the app: a trust's quality department looks at tens of
thousands of reports. It filters on indexed columns only (the subtree through the org unit's
path, status, type, outcome, handler), orders by (reported_at, id) descending so that a page
is a top-N over one index, and counts per status in the same pass over the filtered rows
that the page uses, so the page never counts twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from safehands.events.content import taxonomy
from safehands.events.models import (
    OPEN_STATUSES,
    Event,
    EventAction,
    EventDeadline,
    EventMessage,
    EventTransition,
    Status,
)
from safehands.orgs.models import ROLE_RANK, OrgUnit, Role
from safehands.orgs.queries import membership_list
from safehands.orgs.reads import owning_organisation_path

QUEUE_PAGE_SIZE = 50
STATUS_OPEN = "open"
STATUS_ALL = "all"


@dataclass(frozen=True)
class QueueFilter:
    """What the handler asked the queue for. Empty strings mean "any"."""

    status: str = STATUS_OPEN
    event_type: str = ""
    category: str = ""
    outcome: str = ""
    unit: OrgUnit | None = None
    overdue_only: bool = False
    mine: bool = False
    search: str = ""


@dataclass(frozen=True)
class QueueRow:
    event: Event
    type_label: str
    next_due: datetime | None
    overdue: bool


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    counts: dict[str, int]  # per status, under every filter except the status one
    total: int  # rows matching every filter
    number: int
    size: int
    has_next: bool = False
    statuses: list[tuple[str, str, int]] = field(default_factory=list)  # (code, label, count)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.size))


def _statuses(choice: str) -> tuple[str, ...] | None:
    if choice == STATUS_OPEN:
        return tuple(OPEN_STATUSES)
    if choice == STATUS_ALL:
        return None
    return (choice,)


def _queue_base(*, unit: OrgUnit, user: Any, filters: QueueFilter,
                now: datetime) -> QuerySet[Event]:
    # The subtree's unit ids first (one indexed prefix match), so that the reports are
    # filtered on their own indexed column and not through a join.
    units = list(OrgUnit.objects.filter(path__startswith=(filters.unit or unit).path)
                 .values_list("id", flat=True))
    events = Event.objects.filter(org_unit_id__in=units)
    if filters.event_type:
        events = events.filter(event_type=filters.event_type)
    if filters.category:
        events = events.filter(category=filters.category)
    if filters.outcome:
        events = events.filter(outcome=filters.outcome)
    if filters.mine:
        events = events.filter(handler_id=getattr(user, "pk", None))
    if filters.search:
        events = events.filter(reference__icontains=filters.search.strip())
    if filters.overdue_only:
        events = events.filter(Exists(EventDeadline.objects.filter(
            event=OuterRef("pk"), met_at__isnull=True, due_at__lt=now)))
    return events


def queue_page(*, unit: OrgUnit, user: Any, filters: QueueFilter, number: int = 1,
               size: int = QUEUE_PAGE_SIZE, now: datetime | None = None) -> QueuePage:
    """One page of the reports under `unit` (the caller has checked `event.handle` there,
    which holds for the whole subtree), newest report first, with counts per status."""
    now = now or timezone.now()
    base = _queue_base(unit=unit, user=user, filters=filters, now=now)
    counts = {row["status"]: row["n"] for row in
              base.order_by().values("status").annotate(n=Count("id"))}
    wanted = _statuses(filters.status)
    total = sum(n for status, n in counts.items() if wanted is None or status in wanted)
    events = base if wanted is None else base.filter(status__in=wanted)
    number = max(1, number)
    next_due = EventDeadline.objects.filter(event=OuterRef("pk"), met_at__isnull=True) \
        .order_by("due_at").values("due_at")[:1]
    found = list(
        events.select_related("org_unit", "handler")
        .annotate(next_due=Subquery(next_due))
        .order_by("-reported_at", "-id")[(number - 1) * size:number * size + 1])
    types = taxonomy().event_types
    rows = [QueueRow(event=e, type_label=types[e.event_type].label if e.event_type in types
                     else e.event_type, next_due=e.next_due,
                     overdue=e.next_due is not None and e.next_due < now)
            for e in found[:size]]
    return QueuePage(
        rows=rows, counts=counts, total=total, number=number, size=size,
        has_next=len(found) > size,
        statuses=[(code, label, counts.get(code, 0)) for code, label in Status.choices])


def handler_candidates(*, unit: OrgUnit) -> list[Any]:
    """Users who may handle the unit's reports: a coordinator role or higher on the unit or
    above it (the one rule of `orgs.access`, read as a listing), by name."""
    needed = ROLE_RANK[Role.COORDINATOR]
    ids = {m.user_id for m in membership_list(unit=unit) if ROLE_RANK[m.role] >= needed}
    return list(get_user_model().objects.filter(pk__in=ids, is_active=True)
                .order_by("last_name", "first_name", "username"))


def event_by_reference(*, reference: str, near: Event) -> Event | None:
    """A report of the same organisation as `near`, by its reference (unique per unit, so
    the organisation narrows it down; the closest unit wins if two share one)."""
    reference = (reference or "").strip().upper()
    if not reference:
        return None
    organisation = owning_organisation_path(near.org_unit)
    candidates = list(Event.objects.select_related("org_unit").filter(
        reference=reference, org_unit__path__startswith=organisation))
    if not candidates:
        return None
    candidates.sort(key=lambda e: (e.org_unit_id != near.org_unit_id, e.org_unit.path))
    return candidates[0]


@dataclass(frozen=True)
class DeadlineRow:
    code: str
    label: str
    due_at: datetime
    met_at: datetime | None
    statutory: bool
    source: str

    @property
    def state(self) -> str:
        """met, overdue or due."""
        if self.met_at is not None:
            return "met"
        return "overdue" if self.due_at < timezone.now() else "due"


def event_deadlines(*, event: Event) -> list[DeadlineRow]:
    rules = {rule.code: rule for rule in taxonomy().deadlines}
    rows = []
    for deadline in event.deadlines.all():
        rule = rules.get(deadline.code)
        rows.append(DeadlineRow(
            code=deadline.code, label=rule.label if rule else deadline.code,
            due_at=deadline.due_at, met_at=deadline.met_at,
            statutory=bool(rule and rule.met_by == "notified"),
            source=rule.source if rule else ""))
    return rows


def event_history(*, event: Event) -> QuerySet[EventTransition]:
    return event.transitions.select_related("actor")


def event_messages(*, event: Event) -> QuerySet[EventMessage]:
    return event.messages.select_related("author")


def event_actions(*, event: Event) -> QuerySet[EventAction]:
    return event.event_actions.select_related("action")
