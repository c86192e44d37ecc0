"""Reads of measurement data. Never writes; fetches related rows itself."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import QuerySet

from safehands.catalogue.models import Measure
from safehands.core.errors import NotFound
from safehands.measurement import periods, rules
from safehands.measurement.models import (
    Annotation,
    DataValue,
    Enrolment,
    PeriodLock,
)
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
    expected_units: int


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


def rollup(*, unit: OrgUnit, measure: Measure, period_from: str | None = None,
           period_to: str | None = None) -> list[RollupPoint]:
    """Summed numerators and denominators (or summed values) per period over a subtree.

    Ratios come from the sums, never from averaging unit ratios. Continuous values and times
    are averaged over the reporting units (an unweighted mean, said in the guide).
    """
    values = data_value_list(unit=unit, measure=measure, period_from=period_from,
                             period_to=period_to, subtree=True)
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0, 0])
    starts: dict[str, date] = {}
    for period, start, num, den, val in values.values_list(
            "period", "period_start", "numerator", "denominator", "value").iterator(
                chunk_size=10_000):
        acc = sums[period]
        acc[0] += num or 0
        acc[1] += den or 0
        acc[2] += val or 0
        acc[3] += 1
        starts[period] = start
    expected = expected_units(unit=unit, measure=measure)
    points = []
    for period in sorted(sums, key=lambda p: starts[p]):
        num, den, val, reporting, _ = sums[period]
        parsed = periods.parse(period)
        due = sum(1 for _, started, ended in expected
                  if started <= parsed.end and (ended is None or ended >= parsed.start))
        if measure.value_type in rules.RATIO_TYPES:
            point = RollupPoint(period, num, den, rules.ratio(
                measure.value_type, num, den, None, measure.multiplier), reporting, due)
        elif measure.value_type in rules.WHOLE_VALUE_TYPES:
            point = RollupPoint(period, None, None, val, reporting, due)
        else:
            point = RollupPoint(period, None, None, val / reporting, reporting, due)
        points.append(point)
    return points


def unit_subtree(*, unit: OrgUnit) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(path__startswith=unit.path)
