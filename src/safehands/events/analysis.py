"""Reads for learning from events: counts, near misses, closure times, contributing factors and
reports per 1,000 bed days, for any org unit's subtree and period. Never writes, never reads a
report's free text.

Rules every function here shares:
- Only `COUNTED_STATUSES` count: a rejected or duplicate report is not an event.
- An event belongs to the period of `occurred_at` in Europe/Oslo (the programme's clock),
  whatever the server's time zone.
- Every aggregation runs in the database as a GROUP BY; Python only reshapes the grouped rows
  (months into quarters and years, counts into shares).
- Bed days are the denominators of the catalogue's rate measures `falls.rate` and
  `falls.injury_rate` ("Patient-days (bed-days)"), one value per unit and month, `falls.rate`
  preferred where a unit reports both. A rate counts only the events of units and months
  that report bed days, over those bed days: numerator and denominator cover the same
  ground, so a subtree where some wards report no bed days is not shown an inflated rate.
- Counts broken down by child unit cross an org boundary: below the small-cell threshold
  they are hidden for people who may not read the reports (`safehands.core.suppression`),
  as roll-ups of measures and harm rates do.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.db.models import (
    Aggregate,
    Count,
    DateField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Cast, TruncMonth

from safehands.core.errors import DomainError
from safehands.core.suppression import suppressed_cells, threshold
from safehands.events.content import OUTCOME_ORDER
from safehands.events.models import COUNTED_STATUSES, Event, EventFactor, FactorStage, Status
from safehands.orgs.access import can
from safehands.orgs.models import OrgUnit

OSLO = ZoneInfo("Europe/Oslo")
BED_DAY_MEASURES = ("falls.rate", "falls.injury_rate")  # in order of preference
PER_BED_DAYS = 1000
GROUPINGS = ("month", "quarter", "year")
By = Literal["month", "quarter", "year"]
HARM_OUTCOMES = ("low", "moderate", "severe", "death")
SERIOUS_OUTCOMES = ("moderate", "severe", "death")

PERIOD_REVERSED = "The period starts ({start}) after it ends ({end})."
BY_UNKNOWN = "'{value}' is not a way to group periods; use month, quarter or year."
COUNT_FIELDS = ("event_type", "outcome", "target_area", "category")


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
def _read_session() -> Iterator[None]:
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


def _month_of_occurrence() -> Cast:
    """The first day of the Oslo month an event occurred in, as a date in SQL (both engines)."""
    return Cast(TruncMonth("occurred_at", tzinfo=OSLO), output_field=DateField())


# --- Counts --------------------------------------------------------------------------------

@dataclass(frozen=True)
class CountRow:
    key: str  # a code; "" where the event has none (no target area)
    events: int
    near_misses: int
    share: float  # of all events of the scope, 0..1


def counts_by(scope: Scope, field_name: str) -> list[CountRow]:
    """Events per value of one field (event_type, outcome, target_area, category), most
    first; outcomes in their order of severity."""
    if field_name not in COUNT_FIELDS:
        raise ValueError(f"count by one of {', '.join(COUNT_FIELDS)}, not {field_name!r}")
    column = "target_area__code" if field_name == "target_area" else field_name
    grouped = (events_counted(scope).order_by().values(column)
               .annotate(n=Count("id"), near=Count("id", filter=Q(reached_patient=False))))
    rows = [(row[column] or "", row["n"], row["near"]) for row in grouped]
    total = sum(n for _, n, _ in rows)
    if field_name == "outcome":
        rank = {code: i for i, code in enumerate(OUTCOME_ORDER)}
        rows.sort(key=lambda r: rank.get(r[0], len(rank)))
    else:
        rows.sort(key=lambda r: (-r[1], r[0]))
    return [CountRow(key, n, near, n / total if total else 0.0) for key, n, near in rows]


@dataclass(frozen=True)
class CategoryRow:
    """Patient and staff events apart: harm to staff is not harm to patients."""

    category: str
    events: int
    near_misses: int
    harmed: int  # low harm or worse
    serious: int  # moderate harm or worse


def category_harm(scope: Scope) -> list[CategoryRow]:
    grouped = (events_counted(scope).order_by().values("category").annotate(
        n=Count("id"), near=Count("id", filter=Q(reached_patient=False)),
        harmed=Count("id", filter=Q(outcome__in=HARM_OUTCOMES)),
        serious=Count("id", filter=Q(outcome__in=SERIOUS_OUTCOMES))))
    order = {"patient": 0, "staff": 1}
    return sorted((CategoryRow(r["category"], r["n"], r["near"], r["harmed"], r["serious"])
                   for r in grouped), key=lambda r: (order.get(r.category, 2), r.category))


@dataclass(frozen=True)
class NearMissShare:
    events: int
    known: int  # events where it is known whether the event reached the patient
    near_misses: int

    @property
    def share(self) -> float | None:
        """Near misses among the events where it is known; None when none is known."""
        return self.near_misses / self.known if self.known else None

    @property
    def unknown(self) -> int:
        return self.events - self.known


def near_miss_share(scope: Scope) -> NearMissShare:
    totals = events_counted(scope).aggregate(
        n=Count("id"), known=Count("id", filter=Q(reached_patient__isnull=False)),
        near=Count("id", filter=Q(reached_patient=False)))
    return NearMissShare(totals["n"], totals["known"], totals["near"])


# --- Time to closure -----------------------------------------------------------------------

@dataclass(frozen=True)
class ClosureTimes:
    closed: int
    median_days: float | None
    p90_days: float | None


def _quantile_days(durations: QuerySet, n: int, p: float) -> float | None:
    """The p-quantile of the ordered durations, interpolated linearly between order
    statistics: Hyndman & Fan (1996) definition 7, as PostgreSQL `percentile_cont` and
    numpy's default. The database sorts and returns the one or two rows needed."""
    if n == 0:
        return None
    h = (n - 1) * p
    low = math.floor(h)
    values = [v.total_seconds() / 86400 for v in durations[low:low + 2]]
    if len(values) == 1 or h == low:
        return values[0]
    return values[0] + (h - low) * (values[1] - values[0])


def closure_times(scope: Scope) -> ClosureTimes:
    """Days from report to closure of the scope's closed events (median, 90th percentile)."""
    from django.db import connection

    closed = events_counted(scope).filter(status=Status.CLOSED, closed_at__isnull=False)
    took = ExpressionWrapper(F("closed_at") - F("reported_at"), output_field=DurationField())
    if connection.vendor == "postgresql":
        # percentile_cont is the same definition 7, in one sort.
        from django.db.models import Func

        seconds = Func(took, function="EXTRACT", template="EXTRACT(EPOCH FROM %(expressions)s)")
        quantiles = closed.aggregate(n=Count("id"), q=_PercentileCont(seconds))
        if not quantiles["n"]:
            return ClosureTimes(0, None, None)
        median, p90 = (float(v) / 86400 for v in quantiles["q"])
        return ClosureTimes(quantiles["n"], median, p90)
    durations = closed.annotate(took=took).order_by("took").values_list("took", flat=True)
    n = closed.count()
    return ClosureTimes(n, _quantile_days(durations, n, 0.5), _quantile_days(durations, n, 0.9))


class _PercentileCont(Aggregate):
    """PostgreSQL's `percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY x)`."""

    function = "percentile_cont"
    template = "%(function)s(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Any) -> None:
        from django.contrib.postgres.fields import ArrayField
        from django.db.models import FloatField

        super().__init__(expression, output_field=ArrayField(FloatField()))


# --- Contributing factors ------------------------------------------------------------------

@dataclass(frozen=True)
class FactorRow:
    code: str
    reported: int  # events where the reporter named it
    investigation: int  # events where the investigation found it
    events: int  # events with the factor at either stage (each event once)
    share: float  # of all factor mentions (sum of `events`), 0..1
    cumulative: float  # running share down the sorted list, 0..1


def factor_pareto(scope: Scope) -> list[FactorRow]:
    """Contributing factors, most frequent first, with cumulative shares (a Pareto table)."""
    factors = EventFactor.objects.filter(event__in=events_counted(scope).values("id"))
    stages: dict[str, dict[str, int]] = defaultdict(dict)
    for row in factors.order_by().values("code", "stage").annotate(n=Count("event", distinct=True)):
        stages[row["code"]][row["stage"]] = row["n"]
    events = {row["code"]: row["n"] for row in factors.order_by().values("code").annotate(
        n=Count("event", distinct=True))}
    total = sum(events.values())
    rows, running = [], 0
    for code, n in sorted(events.items(), key=lambda kv: (-kv[1], kv[0])):
        running += n
        rows.append(FactorRow(code, stages[code].get(FactorStage.REPORTED, 0),
                              stages[code].get(FactorStage.INVESTIGATION, 0), n,
                              n / total, running / total))
    return rows


# --- Periods, bed days and rates -----------------------------------------------------------

def period_key(month: date, by: str) -> str:
    """`2026-01`, `2026-Q1` or `2026`: the key of the period holding a month."""
    if by == "month":
        return f"{month.year:04d}-{month.month:02d}"
    if by == "quarter":
        return f"{month.year:04d}-Q{(month.month - 1) // 3 + 1}"
    if by == "year":
        return f"{month.year:04d}"
    raise DomainError(BY_UNKNOWN.format(value=by), {"field": "by"})


def months_between(first: date, last: date) -> list[date]:
    """Every first-of-month from the month of `first` to the month of `last`."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


@dataclass(frozen=True)
class Cell:
    """Events of one month, type and outcome, as the database grouped them."""

    month: date
    event_type: str
    outcome: str
    events: int
    near_misses: int
    with_bed_days: int  # of `events`, those of a unit and month that reports bed days
    known: int = 0  # of `events`, those where it is known whether it reached the patient


def _bed_day_values(scope: Scope) -> QuerySet:
    """The data values whose denominators are the scope's bed days: one per unit and month,
    `falls.rate` where the unit has it, else `falls.injury_rate`."""
    from safehands.measurement.models import DataValue

    values = DataValue.objects.filter(denominator__isnull=False).exclude(
        period__contains="W").exclude(period__contains="Q")
    if scope.subtree:
        values = values.filter(unit__path__startswith=scope.unit.path)
    else:
        values = values.filter(unit=scope.unit)
    if scope.date_from:
        values = values.filter(period_start__gte=scope.date_from.replace(day=1))
    if scope.date_to:
        values = values.filter(period_start__lte=scope.date_to)
    preferred, other = BED_DAY_MEASURES
    has_preferred = DataValue.objects.filter(
        unit_id=OuterRef("unit_id"), period=OuterRef("period"), measure__code=preferred,
        denominator__isnull=False)
    return values.filter(Q(measure__code=preferred)
                         | (Q(measure__code=other) & ~Exists(has_preferred)))


def bed_days_by_month(scope: Scope) -> dict[date, float]:
    """Bed days per month, summed over the units of the scope that report them."""
    grouped = _bed_day_values(scope).order_by().values("period_start").annotate(
        days=Sum("denominator"))
    return {row["period_start"]: float(row["days"]) for row in grouped}


def month_cells(scope: Scope) -> list[Cell]:
    """Events grouped by Oslo month of occurrence, type and outcome, in one query; each
    group also counts its events of units and months with bed days."""
    from django.db import connection

    if connection.vendor == "postgresql":
        cells = _month_cells_postgresql(scope)
    else:
        cells = _month_cells_orm(scope)
    return sorted(cells, key=lambda c: (c.month, c.event_type, _outcome_rank(c.outcome)))


def _month_cells_orm(scope: Scope) -> list[Cell]:
    from safehands.measurement.models import DataValue

    reports_bed_days = DataValue.objects.filter(
        unit_id=OuterRef("org_unit_id"), period_start=OuterRef("month"),
        measure__code__in=BED_DAY_MEASURES, denominator__isnull=False).exclude(
        period__contains="W").exclude(period__contains="Q")
    grouped = (events_counted(scope).order_by()
               .annotate(month=_month_of_occurrence(), covered=Exists(reports_bed_days))
               .values("month", "event_type", "outcome")
               .annotate(n=Count("id"), near=Count("id", filter=Q(reached_patient=False)),
                         known=Count("id", filter=Q(reached_patient__isnull=False)),
                         with_days=Count("id", filter=Q(covered=True))))
    return [Cell(_as_date(r["month"]), r["event_type"], r["outcome"], r["n"], r["near"],
                 r["with_days"], r["known"]) for r in grouped]


def bed_day_spans(scope: Scope) -> list[tuple[int, datetime, datetime]]:
    """(unit id, first instant, end instant) of each unbroken run of months in which a unit
    of the scope reports bed days: an event is "with bed days" when it falls in one."""
    spans = []
    for unit_id, months in _bed_day_months(scope).items():
        index = [m.year * 12 + m.month for m in months]
        first = 0
        for i in range(1, len(index) + 1):
            if i < len(index) and index[i] == index[i - 1] + 1:
                continue  # the run goes on
            spans.append((unit_id, local_midnight(months[first]),
                          local_midnight(_next_month(months[i - 1]))))
            first = i
    return spans


def _bed_day_months(scope: Scope) -> dict[int, list[date]]:
    """The months with bed days of each unit of the scope, in order (either measure)."""
    from django.db import connection

    from safehands.measurement.models import DataValue

    values = DataValue.objects.filter(measure__code__in=BED_DAY_MEASURES,
                                      denominator__isnull=False).exclude(
        period__contains="W").exclude(period__contains="Q")
    if scope.subtree:
        values = values.filter(unit__path__startswith=scope.unit.path)
    else:
        values = values.filter(unit=scope.unit)
    if scope.date_from:
        values = values.filter(period_start__gte=scope.date_from.replace(day=1))
    if scope.date_to:
        values = values.filter(period_start__lte=scope.date_to)
    months: dict[int, list[date]] = {}
    if connection.vendor == "postgresql":
        # One row per unit, its months as one array: a nation's 100,000 values in 2,000 rows.
        from django.contrib.postgres.aggregates import ArrayAgg

        for row in values.order_by().values("unit_id").annotate(
                months=ArrayAgg("period_start", distinct=True, order_by="period_start")):
            months[row["unit_id"]] = row["months"]
        return months
    for unit_id, month in values.order_by("unit_id", "period_start").values_list(
            "unit_id", "period_start").distinct():
        months.setdefault(unit_id, []).append(month)
    return months


def _next_month(month: date) -> date:
    return (month.replace(day=1) + timedelta(days=32)).replace(day=1)


# The month of occurrence exactly as migration 0003's statistics name it, so that the planner
# knows how many groups to expect and aggregates in parallel.
_PG_MONTH = "date_trunc('month', e.occurred_at AT TIME ZONE 'Europe/Oslo')"


def _month_cells_postgresql(scope: Scope) -> list[Cell]:
    """The same cells in one statement written for PostgreSQL's planner.

    Each unit of the scope comes with the edges of its runs of months with bed days, sorted
    (`[start1, end1, start2, end2, ...]`); an event lies in a run exactly when the number of
    edges at or before it is odd, which `width_bucket` finds by binary search. So the
    events meet their units by one hash join (the subtree filter too), with no per-event
    lookup of (unit, month) pairs, and the planner aggregates in parallel. The units'
    edges are an aggregate, so the planner keeps them a subquery built once per worker
    rather than rebuilding them for every event.
    """
    from django.db import connection

    spans = bed_day_spans(scope)
    params: dict[str, Any] = {
        "statuses": [str(s) for s in COUNTED_STATUSES],
        "edge_units": [u for u, _, _ in spans for _ in (0, 1)],
        "edge_times": [t for _, starts, ends in spans for t in (starts, ends)],
    }
    if scope.subtree:
        unit_filter = "u.path LIKE %(path)s"
        params["path"] = (scope.unit.path.replace("\\", "\\\\").replace("%", "\\%")
                          .replace("_", "\\_") + "%")
    else:
        unit_filter = "u.id = %(unit)s"
        params["unit"] = scope.unit.pk
    where = ["e.status = ANY(%(statuses)s)"]
    if scope.date_from:
        where.append("e.occurred_at >= %(from)s")
        params["from"] = local_midnight(scope.date_from)
    if scope.date_to:
        where.append("e.occurred_at < %(to)s")
        params["to"] = local_midnight(scope.date_to + timedelta(days=1))
    sql = f"""
        SELECT {_PG_MONTH} AS month, e.event_type, e.outcome, count(*),
               count(*) FILTER (WHERE NOT e.reached_patient),
               count(*) FILTER (WHERE e.reached_patient IS NOT NULL),
               count(*) FILTER (WHERE width_bucket(e.occurred_at, r.edges) %% 2 = 1)
        FROM events_event e
        JOIN (SELECT u.id, array_agg(b.at ORDER BY b.at) FILTER (WHERE b.at IS NOT NULL)
                           AS edges
              FROM orgs_orgunit u
              LEFT JOIN unnest(%(edge_units)s::bigint[], %(edge_times)s::timestamptz[])
                        AS b(unit_id, at) ON b.unit_id = u.id
              WHERE {unit_filter}
              GROUP BY u.id) r ON r.id = e.org_unit_id
        WHERE {" AND ".join(where)}
        GROUP BY 1, 2, 3"""
    with _read_session(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [Cell(_as_date(month), event_type, outcome, n, near, with_days, known)
            for month, event_type, outcome, n, near, known, with_days in rows]


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):  # SQLite without a converter
        return date.fromisoformat(value[:10])
    return value


def _outcome_rank(code: str) -> int:
    return OUTCOME_ORDER.index(code) if code in OUTCOME_ORDER else len(OUTCOME_ORDER)


def _rate(events: int, bed_days: float | None) -> float | None:
    return events / bed_days * PER_BED_DAYS if bed_days else None


@dataclass(frozen=True)
class StatsRow:
    """One row of STATS.csv: a period, type and outcome that has events."""

    period: str
    event_type: str
    outcome: str
    events: int
    near_misses: int
    bed_days: float | None  # the scope's bed days in the period; None where none reported
    events_per_1000_bed_days: float | None


STATS_COLUMNS = ("period", "event_type", "outcome", "events", "near_misses", "bed_days",
                 "events_per_1000_bed_days")


def stats_rows(scope: Scope, *, by: str = "month",
               cells: Iterable[Cell] | None = None) -> list[StatsRow]:
    """Events per period, type and outcome, with near misses and the rate per 1,000 bed
    days of the period: `events / bed_days × 1000` of the row itself, so that anyone can
    check a row from its own columns. (The page's u chart counts only the events of units
    and months that report bed days, as a control chart needs one population.)"""
    period_key(date(2000, 1, 1), by)  # refuse an unknown grouping before any query
    with _read_session():
        by_month = bed_days_by_month(scope)
        cells = month_cells(scope) if cells is None else cells
    days: dict[str, float] = defaultdict(float)
    for month, value in by_month.items():
        days[period_key(month, by)] += value
    sums: dict[tuple[str, str, str], list[int]] = {}
    for cell in cells:
        key = (period_key(cell.month, by), cell.event_type, cell.outcome)
        total = sums.setdefault(key, [0, 0, 0])
        total[0] += cell.events
        total[1] += cell.near_misses
        total[2] += cell.with_bed_days
    rows = []
    for (period, event_type, outcome), (events, near, _with_days) in sums.items():
        bed_days = days.get(period) or None
        rows.append(StatsRow(period, event_type, outcome, events, near, bed_days,
                             _rate(events, bed_days)))
    return sorted(rows, key=lambda r: (r.period, r.event_type, _outcome_rank(r.outcome)))


@dataclass(frozen=True)
class MonthPoint:
    """One month of the series under the chart."""

    month: date
    events: int
    near_misses: int
    with_bed_days: int
    bed_days: float | None

    @property
    def period(self) -> str:
        return period_key(self.month, "month")

    @property
    def per_1000_bed_days(self) -> float | None:
        return _rate(self.with_bed_days, self.bed_days)


def monthly_series(scope: Scope, *, cells: Iterable[Cell] | None = None,
                   today: date | None = None) -> list[MonthPoint]:
    """Every month of the period, months without events as zeros (a month with no reports
    is data too). Without bounds the series runs from the first event to the last month."""
    cells = list(month_cells(scope) if cells is None else cells)
    days = bed_days_by_month(scope)
    per_month: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for cell in cells:
        total = per_month[cell.month]
        total[0] += cell.events
        total[1] += cell.near_misses
        total[2] += cell.with_bed_days
    known = sorted(set(per_month) | set(days))
    if not known and scope.date_from is None:
        return []
    first = scope.date_from or known[0]
    if scope.date_to:
        last = scope.date_to
    elif scope.date_from:
        last = max([(today or date.today()).replace(day=1), *known[-1:]])
    else:
        last = known[-1]
    return [MonthPoint(m, *per_month.get(m, (0, 0, 0)), days.get(m))
            for m in months_between(first, last)]


# --- Breakdown by child unit ---------------------------------------------------------------

@dataclass(frozen=True)
class ChildRow:
    """One child unit's subtree (or the unit's own events, `own`), with hidden cells None."""

    unit: OrgUnit
    own: bool
    events: int | None
    near_misses: int | None
    serious: int | None
    suppressed: tuple[str, ...] = field(default=())


CHILD_COUNTS = ("events", "near_misses", "serious")


def child_breakdown(scope: Scope, *, user: Any = None) -> list[ChildRow]:
    """Events of each child's subtree (and of the unit itself, when it has its own), for a
    regional or national view.

    Each count is a cell that crosses an org boundary: for a user who may not read the
    reports of the unit (`event.handle`), a count below the small-cell threshold is hidden,
    and so is whatever would give it back from the unit's total (secondary suppression, the
    same rule as every roll-up: `safehands.core.suppression`). `user` None is the server
    operator: nothing is hidden.
    """
    unit = scope.unit
    children = list(unit.children.order_by("name"))
    grouped = (events_counted(Scope(unit, True, scope.date_from, scope.date_to)).order_by()
               .values("org_unit__path").annotate(
                   n=Count("id"), near=Count("id", filter=Q(reached_patient=False)),
                   serious=Count("id", filter=Q(outcome__in=SERIOUS_OUTCOMES))))
    sums: dict[str, list[int]] = {c.code: [0, 0, 0] for c in children}
    own = [0, 0, 0]
    by_path = sorted(((c.path, c.code) for c in children), key=lambda pc: -len(pc[0]))
    for row in grouped:  # one row per unit of the subtree, not per event
        target = own
        for path, code in by_path:
            if row["org_unit__path"].startswith(path):
                target = sums[code]
                break
        target[0] += row["n"]
        target[1] += row["near"]
        target[2] += row["serious"]
    parts: list[tuple[OrgUnit, bool, list[int]]] = [(c, False, sums[c.code]) for c in children]
    if own[0]:
        parts.append((unit, True, own))
    hide: dict[str, set[Any]] = {name: set() for name in CHILD_COUNTS}
    if user is not None and not can(user, "event.handle", unit):
        keys = [("own", u.code) if is_own else u.code for u, is_own, _ in parts]
        for i, name in enumerate(CHILD_COUNTS):
            counts = {key: values[i] for key, (_, _, values) in zip(keys, parts, strict=True)}
            counts["__total__"] = sum(counts.values())
            hide[name] = suppressed_cells(counts, children={"__total__": keys},
                                          threshold=threshold())
    rows = []
    for u, is_own, values in parts:
        key = ("own", u.code) if is_own else u.code
        hidden = tuple(name for name in CHILD_COUNTS if key in hide[name])
        shown = [None if name in hidden else values[i] for i, name in enumerate(CHILD_COUNTS)]
        rows.append(ChildRow(u, is_own, *shown, suppressed=hidden))
    return rows


# --- Everything for one page or export -----------------------------------------------------

@dataclass(frozen=True)
class Analysis:
    scope: Scope
    by: str
    near_miss: NearMissShare
    closure: ClosureTimes
    by_type: list[CountRow]
    by_outcome: list[CountRow]
    by_target_area: list[CountRow]
    by_category: list[CategoryRow]
    factors: list[FactorRow]
    series: list[MonthPoint]
    periods: list[StatsRow]
    children: list[ChildRow]

    @property
    def has_bed_days(self) -> bool:
        return any(p.bed_days for p in self.series)


def counts_from_cells(cells: Iterable[Cell], field_name: str) -> list[CountRow]:
    """`counts_by` for event_type or outcome from month cells already grouped: the page
    needs them in any case, so the events are read once instead of three times."""
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for cell in cells:
        total = sums[getattr(cell, field_name)]
        total[0] += cell.events
        total[1] += cell.near_misses
    grand = sum(n for n, _ in sums.values())
    rows = [(key, n, near) for key, (n, near) in sums.items()]
    if field_name == "outcome":
        rows.sort(key=lambda r: _outcome_rank(r[0]))
    else:
        rows.sort(key=lambda r: (-r[1], r[0]))
    return [CountRow(key, n, near, n / grand if grand else 0.0) for key, n, near in rows]


def analysis_get(scope: Scope, *, by: str = "month", user: Any = None,
                 today: date | None = None) -> Analysis:
    """Every table of the analysis page, computed once for the page and its exports."""
    with _read_session():
        return _analysis(scope, by=by, user=user, today=today)


def _analysis(scope: Scope, *, by: str, user: Any, today: date | None) -> Analysis:
    cells = month_cells(scope)
    near = NearMissShare(sum(c.events for c in cells), sum(c.known for c in cells),
                         sum(c.near_misses for c in cells))
    return Analysis(
        scope=scope, by=by, near_miss=near, closure=closure_times(scope),
        by_type=counts_from_cells(cells, "event_type"),
        by_outcome=counts_from_cells(cells, "outcome"),
        by_target_area=counts_by(scope, "target_area"), by_category=category_harm(scope),
        factors=factor_pareto(scope), series=monthly_series(scope, cells=cells, today=today),
        periods=stats_rows(scope, by=by, cells=cells), children=child_breakdown(scope, user=user))
