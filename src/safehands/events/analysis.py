"""Reads for learning from events: counts, near misses, closure times, contributing factors
and the breakdown by child unit, for any org unit's subtree and period (see `scope`; bed days
and rates are in `rates`). Never writes, never reads a report's free text.

- Every aggregation runs in the database as a GROUP BY; Python only reshapes the grouped rows
  (months into quarters and years, counts into shares).
- Counts broken down by child unit cross an org boundary: below the small-cell threshold
  they are hidden for people who may not read the reports (`safehands.core.suppression`),
  as roll-ups of measures and harm rates do.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
)

from safehands.core.suppression import suppressed_cells, threshold
from safehands.events.content import OUTCOME_ORDER
from safehands.events.models import EventFactor, FactorStage, Status
from safehands.events.rates import (
    Cell,
    MonthPoint,
    StatsRow,
    month_cells,
    monthly_series,
    outcome_rank,
    stats_rows,
)
from safehands.events.scope import (
    Scope,
    events_counted,
    read_session,
)
from safehands.orgs.access import can
from safehands.orgs.models import OrgUnit

HARM_OUTCOMES = ("low", "moderate", "severe", "death")
SERIOUS_OUTCOMES = ("moderate", "severe", "death")
COUNT_FIELDS = ("event_type", "outcome", "target_area", "category")


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
        rows.sort(key=lambda r: outcome_rank(r[0]))
    else:
        rows.sort(key=lambda r: (-r[1], r[0]))
    return [CountRow(key, n, near, n / grand if grand else 0.0) for key, n, near in rows]


def analysis_get(scope: Scope, *, by: str = "month", user: Any = None,
                 today: date | None = None) -> Analysis:
    """Every table of the analysis page, computed once for the page and its exports."""
    with read_session():
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

