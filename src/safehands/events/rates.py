"""Periods, bed days and rates: events per month, quarter or year, with the bed days units
report, the rows of STATS.csv and the monthly series of the u chart.

Bed days are the denominators of the catalogue's rate measures `falls.rate` and
`falls.injury_rate` ("Patient-days (bed-days)"), one value per unit and month, `falls.rate`
preferred where a unit reports both. The u chart counts only the events of units and months
that report bed days, over those bed days: numerator and denominator cover the same ground,
so a subtree where some wards report no bed days is not shown an inflated rate. A row of
STATS.csv gives its own events over its own bed days, checkable from its columns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)

from safehands.core.errors import DomainError
from safehands.events.content import OUTCOME_ORDER
from safehands.events.models import COUNTED_STATUSES
from safehands.events.scope import (
    BY_UNKNOWN,
    Scope,
    events_counted,
    local_midnight,
    month_of_occurrence,
    read_session,
)

BED_DAY_MEASURES = ("falls.rate", "falls.injury_rate")  # in order of preference
PER_BED_DAYS = 1000


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
    return sorted(cells, key=lambda c: (c.month, c.event_type, outcome_rank(c.outcome)))


def _month_cells_orm(scope: Scope) -> list[Cell]:
    from safehands.measurement.models import DataValue

    reports_bed_days = DataValue.objects.filter(
        unit_id=OuterRef("org_unit_id"), period_start=OuterRef("month"),
        measure__code__in=BED_DAY_MEASURES, denominator__isnull=False).exclude(
        period__contains="W").exclude(period__contains="Q")
    grouped = (events_counted(scope).order_by()
               .annotate(month=month_of_occurrence(), covered=Exists(reports_bed_days))
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
    with read_session(), connection.cursor() as cursor:
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


def outcome_rank(code: str) -> int:
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
    with read_session():
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
    return sorted(rows, key=lambda r: (r.period, r.event_type, outcome_rank(r.outcome)))


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

