"""Reads of measurement data. Never writes; fetches related rows itself."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, F, IntegerField, Max, QuerySet, Value

from safehands.catalogue.models import Measure
from safehands.core import suppression
from safehands.core.errors import NotFound
from safehands.measurement import periods, rules
from safehands.measurement.models import (
    PHASES,
    Annotation,
    DataValue,
    Enrolment,
    EnrolmentPhase,
    EntryBatch,
    PeriodLock,
    SubtreeTotal,
)
from safehands.orgs.access import can
from safehands.orgs.models import OrgUnit

NO_MEASURE = "There is no measure with code {code!r}."
NO_ENROLMENT = "{unit} is not enrolled in {area}."


def measure_get(*, code: str) -> Measure:
    measure = Measure.objects.select_related("target_area").filter(code=code).first()
    if measure is None:
        raise NotFound(NO_MEASURE.format(code=code), {"measure": code})
    return measure


def enrolment_list(*, under: OrgUnit | None = None, target_area: Any = None,
                   unit: OrgUnit | None = None) -> QuerySet[Enrolment]:
    enrolments = Enrolment.objects.select_related("unit", "target_area").prefetch_related(
        "measures")
    if under is not None:
        enrolments = enrolments.filter(unit__path__startswith=under.path)
    if unit is not None:
        enrolments = enrolments.filter(unit=unit)
    if target_area is not None:
        enrolments = enrolments.filter(target_area=target_area)
    return enrolments


def enrolment_get(*, unit: OrgUnit, area_code: str) -> Enrolment:
    enrolment = enrolment_list(unit=unit).filter(target_area__code=area_code).first()
    if enrolment is None:
        raise NotFound(NO_ENROLMENT.format(unit=unit.name, area=area_code))
    return enrolment


def unit_measures(*, unit: OrgUnit) -> list[Measure]:
    """The measures the unit reports now, in catalogue order."""
    from safehands.measurement.services import allowed_measures

    ids = allowed_measures([unit.pk]).get(unit.pk, set())
    return list(Measure.objects.filter(pk__in=ids).select_related("target_area").order_by(
        "target_area__number", "position", "code"))


def data_value_list(
    *, unit: OrgUnit, measure: Measure | None = None, period_from: str | None = None,
    period_to: str | None = None, subtree: bool = False,
) -> QuerySet[DataValue]:
    values = DataValue.objects.all()
    if subtree:
        values = values.filter(unit__path__startswith=unit.path)
    else:
        values = values.filter(unit=unit)
    if measure is not None:
        values = values.filter(measure=measure)
    if period_from:
        values = values.filter(period_start__gte=periods.parse(period_from).start)
    if period_to:
        values = values.filter(period_start__lte=periods.parse(period_to).end)
    return values


def export_rows(*, values: QuerySet[DataValue]) -> list[dict[str, Any]]:
    """Rows for `formats.write`, in (unit path, measure, period) order."""
    rows = values.order_by("unit__path", "measure__code", "period_start", "period").values_list(
        "unit__code", "measure__code", "period", "numerator", "denominator", "value",
        "comment")
    return [{"org_unit": u, "measure": m, "period": p, "numerator": n, "denominator": d,
             "value": v, "comment": c} for u, m, p, n, d, v, c in rows.iterator(
                 chunk_size=10_000)]


def annotation_list(*, unit: OrgUnit, measure: Measure | None = None) -> QuerySet[Annotation]:
    notes = Annotation.objects.filter(unit=unit)
    if measure is not None:
        notes = notes.filter(measure__isnull=True) | notes.filter(measure=measure)
    return notes.order_by("date", "id")


def lock_list(*, unit: OrgUnit) -> QuerySet[PeriodLock]:
    """Locks on the unit and the units above it, newest first."""
    paths = [unit.path[:i + 1] for i, ch in enumerate(unit.path) if ch == "/"]
    return PeriodLock.objects.filter(unit__path__in=paths).select_related(
        "unit", "locked_by", "unlocked_by")


@dataclass(frozen=True)
class RollupPoint:
    period: str
    numerator: float | None
    denominator: float | None
    value: float | None
    reporting_units: int
    expected_units: int | None  # None while the period is still open: not yet due


def expected_units(*, unit: OrgUnit, measure: Measure) -> list[tuple[int, date, date | None]]:
    """(unit id, started, ended) of every enrolment below `unit` expected to report it."""
    enrolments = Enrolment.objects.filter(
        unit__path__startswith=unit.path, target_area_id=measure.target_area_id,
    ).prefetch_related("measures")
    found = []
    for enrolment in enrolments:
        chosen = {m.pk for m in enrolment.measures.all()}
        if chosen and measure.pk not in chosen:
            continue
        if not chosen and measure.origin != "package":
            continue
        found.append((enrolment.unit_id, enrolment.started, enrolment.ended))
    return found


@dataclass
class Sums:
    """A subtree's sums for one measure and period (fields without a value count as 0)."""

    start: date
    numerator: float
    denominator: float
    value: float
    reporting: int

    def add(self, numerator: float | None, denominator: float | None, value: float | None,
            reporting: int) -> None:
        self.numerator += numerator or 0
        self.denominator += denominator or 0
        self.value += value or 0
        self.reporting += reporting

    def y(self, measure: Measure) -> float:
        """The charted number: summed numerator, summed count, or the mean value."""
        if measure.value_type in rules.RATIO_TYPES:
            return self.numerator
        if measure.value_type in rules.WHOLE_VALUE_TYPES:
            return self.value
        return self.value / self.reporting


def subtree_sums(*, unit_ids: list[int], measure: Measure | None = None,
                 since: date | None = None, until: date | None = None,
                 below: bool = True) -> dict[tuple[int, int, str], Sums]:
    """(unit id, measure id, period) -> sums over each unit's subtree (its own values only
    when `below` is False). Two indexed reads: the subtree totals and the units' own values.
    """
    fields = ["unit_id", "measure_id", "period", "period_start", "numerator", "denominator",
              "value"]
    # A value counts once; a total counts the values it sums.
    one = Value(1, output_field=IntegerField())
    sources = [(DataValue.objects.filter(unit_id__in=unit_ids), one)]
    if below:
        sources.append((SubtreeTotal.objects.filter(unit_id__in=unit_ids), F("reporting")))
    found: dict[tuple[int, int, str], Sums] = {}
    for rows, count in sources:
        if measure is not None:
            rows = rows.filter(measure=measure)
        if since is not None:
            rows = rows.filter(period_start__gte=since)
        if until is not None:
            rows = rows.filter(period_start__lte=until)
        values = rows.order_by().annotate(count=count).values_list(*fields, "count")
        for unit_id, measure_id, period, start, num, den, val, n in values.iterator(
                chunk_size=10_000):
            key = (unit_id, measure_id, period)
            sums = found.get(key)
            if sums is None:
                sums = found[key] = Sums(start, 0.0, 0.0, 0.0, 0)
            sums.add(num, den, val, n)
    return found


def rollup(*, unit: OrgUnit, measure: Measure, period_from: str | None = None,
           period_to: str | None = None, today: date | None = None) -> list[RollupPoint]:
    """Summed numerators and denominators (or summed values) per period over a subtree.

    Ratios come from the sums, never from averaging unit ratios. Continuous values and times
    are averaged over the reporting units (an unweighted mean, said in the guide). A period
    that has not ended has no expected units (None): its reports are not due yet.
    """
    today = today or date.today()
    sums = subtree_sums(
        unit_ids=[unit.pk], measure=measure,
        since=periods.parse(period_from).start if period_from else None,
        until=periods.parse(period_to).end if period_to else None)
    expected = expected_units(unit=unit, measure=measure)
    points = []
    for (_, _, period), total in sorted(sums.items(), key=lambda item: item[1].start):
        parsed = periods.parse(period)
        due = sum(1 for _, started, ended in expected
                  if started <= parsed.end and (ended is None or ended >= parsed.start)
                  ) if periods.has_ended(parsed, today=today) else None
        if measure.value_type in rules.RATIO_TYPES:
            value = rules.ratio(measure.value_type, total.numerator, total.denominator, None,
                                measure.multiplier)
            point = RollupPoint(period, total.numerator, total.denominator, value,
                                total.reporting, due)
        else:
            point = RollupPoint(period, None, None, total.y(measure), total.reporting, due)
        points.append(point)
    return points


def rollup_breakdown(*, unit: OrgUnit, measure: Measure, period: str) -> list[dict[str, Any]]:
    """The sums of each unit right below for one period: where a roll-up's number comes from."""
    children = list(OrgUnit.objects.filter(parent=unit).order_by("code"))
    start = periods.parse(period).start
    sums = subtree_sums(unit_ids=[c.pk for c in children], measure=measure, since=start,
                        until=start)
    rows = []
    for child in children:
        total = sums.get((child.pk, measure.pk, period)) or Sums(start, 0.0, 0.0, 0.0, 0)
        rows.append({"unit": child, "numerator": total.numerator,
                     "denominator": total.denominator, "value": total.value,
                     "reporting": total.reporting})
    return rows


def unit_subtree(*, unit: OrgUnit) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(path__startswith=unit.path)


# --- Charts and dashboards -----------------------------------------------------------------

def unit_points(*, unit: OrgUnit, measure: Measure, last: int | None = None) -> list:
    """The unit's values of one measure in period order (the last `last` when given)."""
    from safehands.measurement.charts import Point

    rows = list(DataValue.objects.filter(unit=unit, measure=measure).order_by(
        "-period_start").values_list("period", "period_start", "numerator", "denominator",
                                     "value", "comment")[:last])
    return [Point(*row) for row in reversed(rows)]


def unit_readings(*, unit: OrgUnit, measures: list[Measure]) -> dict[int, dict]:
    """measure id -> MDC reading of the unit's own series, all measures in batch qic calls."""
    import pandas as pd

    from safehands.measurement.charts import signal_matrix

    rows = list(DataValue.objects.filter(unit=unit, measure__in=measures).values_list(
        "measure_id", "period_start", "numerator", "denominator", "value"))
    by_id = {m.pk: m for m in measures}
    frame = pd.DataFrame([
        {"row": unit.pk, "measure": m, "x": start,
         "y": (num if by_id[m].value_type in rules.RATIO_TYPES else val), "n": den}
        for m, start, num, den, val in rows
    ], columns=["row", "measure", "x", "y", "n"])
    readings = signal_matrix(frame.astype({"y": float, "n": float}), by_id)
    return {m: r for (_, m), r in readings.items()}


def _children_or_self(unit: OrgUnit) -> list[OrgUnit]:
    children = list(OrgUnit.objects.filter(parent=unit).order_by("code"))
    return children or [unit]


@dataclass
class Dashboard:
    unit: OrgUnit
    rows: list[OrgUnit]
    measures: list[Measure]
    periods: list[str]
    readings: dict[tuple[int, int], dict]
    completeness: dict[int, list[tuple[str, int, int]]]  # measure -> (period, reporting, due)
    completeness_periods: list[str]  # the latest ended months; the open one is not yet due
    spread: dict[str, dict[str, list[int]]]  # area code -> phase -> counts per month
    spread_months: list[str]
    enrolled: dict[str, int]
    as_of: Any = None  # when the latest value was written: what the figures include


def data_version() -> str:
    """Changes whenever any value, enrolment or phase changes: a cache key part.

    Every data write (deletions too) opens an EntryBatch; enrolments carry updated_at.
    """
    batch = EntryBatch.objects.aggregate(m=Max("id"))["m"]
    enrolments = Enrolment.objects.aggregate(m=Max("updated_at"), n=Count("id"))
    phase = EnrolmentPhase.objects.aggregate(m=Max("id"))["m"]
    return f"{batch}-{enrolments['m']}-{enrolments['n']}-{phase}"


def dashboard_cached(*, unit: OrgUnit, months: int = 36) -> Dashboard:
    """The dashboard, computed once per data version and day (a write makes a new one)."""
    import hashlib

    from django.core.cache import cache

    version = hashlib.sha1(data_version().encode()).hexdigest()
    key = f"measurement:dashboard:{unit.pk}:{months}:{date.today()}:{version}"
    board = cache.get(key)
    if board is None:
        board = dashboard(unit=unit, months=months)
        cache.set(key, board, 24 * 3600)
    return board


def dashboard(*, unit: OrgUnit, months: int = 36, today: date | None = None) -> Dashboard:
    """The national / regional picture for a subtree, from subtree totals, with batch SPC.

    Rows are the unit's children (each standing for its subtree) or the unit itself.
    """
    import pandas as pd

    from safehands.measurement.charts import signal_matrix

    today = today or date.today()
    keys = periods.latest("monthly", count=months, today=today)
    first = periods.parse(keys[0]).start
    rows = _children_or_self(unit)
    sums = subtree_sums(unit_ids=[r.pk for r in rows], since=first)
    measures = list(Measure.objects.filter(pk__in={m for _, m, _ in sums}).select_related(
        "target_area").order_by("target_area__number", "position", "code"))
    by_id = {m.pk: m for m in measures}
    frame = pd.DataFrame([
        {"row": unit_id, "measure": measure_id, "x": total.start,
         "y": total.y(by_id[measure_id]), "n": total.denominator}
        for (unit_id, measure_id, _), total in sums.items()
    ], columns=["row", "measure", "x", "y", "n"])
    readings = signal_matrix(frame.astype({"y": float, "n": float}), by_id) if len(
        frame) else {}

    # Completeness: reporting units against enrolled units due, per measure and period. The
    # viewed unit's own values count here too (it is no row when it has children).
    reporting: dict[tuple[int, str], int] = defaultdict(int)
    if rows != [unit]:
        sums.update(subtree_sums(unit_ids=[unit.pk], since=first, below=False))
    for (_, measure_id, period), total in sums.items():
        reporting[(measure_id, period)] += total.reporting
    enrolments = list(Enrolment.objects.filter(unit__path__startswith=unit.path).values_list(
        "id", "target_area_id", "target_area__code", "started", "ended"))
    chosen: dict[int, set[int]] = defaultdict(set)
    for enrolment_id, measure_id in Enrolment.measures.through.objects.filter(
            enrolment__unit__path__startswith=unit.path).values_list("enrolment_id",
                                                                     "measure_id"):
        chosen[enrolment_id].add(measure_id)
    completeness: dict[int, list[tuple[str, int, int]]] = {}
    recent = [key for key in keys if periods.has_ended(key, today=today)][-12:]
    for measure in measures:
        if measure.frequency != "monthly":
            continue
        due_rows = [(s, e) for i, a, _, s, e in enrolments if a == measure.target_area_id
                    and (measure.pk in chosen[i] or (not chosen[i] and
                                                     measure.origin == "package"))]
        points = []
        for key in recent:
            period = periods.parse(key)
            due = sum(1 for s, e in due_rows if s <= period.end and (e is None or
                                                                     e >= period.start))
            points.append((key, reporting.get((measure.pk, key), 0), due))
        completeness[measure.pk] = points

    as_of = EntryBatch.objects.aggregate(at=Max("at"))["at"]
    spread, enrolled = _phase_spread(unit=unit, months=keys, today=today)
    return Dashboard(unit=unit, rows=rows, measures=measures, periods=keys, readings=readings,
                     completeness=completeness, completeness_periods=recent, spread=spread,
                     spread_months=keys, enrolled=enrolled, as_of=as_of)


def _phase_spread(*, unit: OrgUnit, months: list[str],
                  today: date | None = None) -> tuple[dict, dict[str, int]]:
    """Enrolled units per phase at each month's end, per target area (interval counting).

    A unit that has left (its enrolment ended) is not counted at month ends after its last
    day, nor among the units enrolled today.
    """
    import numpy as np

    today = today or date.today()
    ends = np.array([np.datetime64(periods.parse(m).end) for m in months])
    rows = list(EnrolmentPhase.objects.filter(
        enrolment__unit__path__startswith=unit.path).order_by(
        "enrolment_id", "since", "id").values_list("enrolment_id", "enrolment__target_area__code",
                                                   "phase", "since", "enrolment__ended"))
    spread: dict[str, dict[str, Any]] = {}
    enrolled: dict[str, int] = defaultdict(int)
    for index, (enrolment_id, area, phase, since, ended) in enumerate(rows):
        following = rows[index + 1] if index + 1 < len(rows) else None
        until = following[3] if following and following[0] == enrolment_id else None
        if (following is None or following[0] != enrolment_id) and (
                ended is None or ended >= today):
            enrolled[area] += 1
        counts = spread.setdefault(area, {p: np.zeros(len(months), dtype=int) for p in PHASES})
        covered = ends >= np.datetime64(since)
        if until is not None:
            covered &= ends < np.datetime64(until)
        if ended is not None:
            covered &= ends <= np.datetime64(ended)
        counts[phase] += covered
    return ({a: {p: c.tolist() for p, c in counts.items()} for a, counts in spread.items()},
            dict(enrolled))


# --- Small counts in raw values ------------------------------------------------------------

def count_field(value_type: str) -> str | None:
    """The field that counts patients or events: the numerator of a ratio, a count's value.

    Continuous values and times between cases count nothing and are never suppressed.
    """
    if value_type in rules.RATIO_TYPES:
        return "numerator"
    if value_type in rules.WHOLE_VALUE_TYPES:
        return "value"
    return None


def may_see_small_counts(user: Any, unit: OrgUnit) -> bool:
    """A user's "own" numbers are where they work on them: data.enter on the unit. Others
    (viewers reading a region or the nation) see small counts suppressed."""
    return can(user, "data.enter", unit)


def values_suppressed(
    *, rows: list[dict[str, Any]], user: Any, unit: OrgUnit | None = None,
    measure: Measure | None = None, derived: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """Blank the small counts of units the user does not report for, and mark every row.

    The one rule for raw values shown or exported (API lists and exports, the command's
    export with --as, the chart table and its CSV, the unit page): on a unit where the user
    may not enter data, a count below the small-cell threshold (`suppression.threshold()`),
    zero included, is blanked together with everything that gives it back: the fields named
    in `derived` (a ratio or a plotted value, which with the denominator returns the
    numerator). The denominator stays: alone it counts no event. Where the user may enter
    data, nothing is blanked, so a team's own export re-imports exactly. `user` None is the
    server operator (a command without --as): nothing is blanked.

    rows: dicts with numerator, denominator, value and, unless `unit` and `measure` give them
    for every row, the codes under "org_unit" and "measure". Each row gets "suppressed".
    Returns the same list, changed in place.
    """
    if user is None:
        for row in rows:
            row["suppressed"] = False
        return rows
    limit = suppression.threshold()
    if unit is not None:
        writable = {unit.code: may_see_small_counts(user, unit)}
    else:
        codes = {row["org_unit"] for row in rows}
        writable = {u.code: may_see_small_counts(user, u) for u in OrgUnit.objects.filter(
            code__in=codes).only("code", "path", "name")}
    if measure is not None:
        fields = {measure.code: count_field(measure.value_type)}
    else:
        fields = {code: count_field(value_type) for code, value_type in Measure.objects.filter(
            code__in={row["measure"] for row in rows}).values_list("code", "value_type")}
    for row in rows:
        unit_code = unit.code if unit is not None else row["org_unit"]
        field = fields.get(measure.code if measure is not None else row["measure"])
        count = row.get(field) if field else None
        hide = (not writable.get(unit_code, False) and count is not None and count < limit)
        if hide:
            row[field] = None
            for name in derived:
                row[name] = None
        row["suppressed"] = hide
    return rows


def rollup_rows(*, points: list[RollupPoint], user: Any, unit: OrgUnit,
                measure: Measure) -> list[dict[str, Any]]:
    """A roll-up's points as table rows, small counts suppressed by `values_suppressed`'s rule
    (a roll-up of one ward is that ward's own numbers)."""
    from dataclasses import asdict

    derived = ("value",) if measure.value_type in rules.RATIO_TYPES else ()
    return values_suppressed(rows=[asdict(p) for p in points], user=user, unit=unit,
                             measure=measure, derived=derived)
