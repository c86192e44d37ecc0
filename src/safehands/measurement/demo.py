"""Demo measurement data and the national-scale data set.

`demo_load()` (a DEMO_STEPS entry): three years of monthly data for demo units in four
target areas, phases moving on over time, a PDSA change that worked in some units (so
their charts signal) and annotations marking it. Idempotent: a second run creates nothing.

`national_build()` (the `safehands data generate` command and the benchmark): a synthetic
national tree of N care units in regions, trusts and hospitals, every unit enrolled in one
target area, and the CSV text of their values.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from safehands.catalogue.models import Measure, TargetArea
from safehands.core.errors import DomainError
from safehands.measurement import periods, synthetic
from safehands.measurement.models import Annotation, Enrolment
from safehands.measurement.services import (
    annotation_create,
    data_values_import,
    enrolment_create,
    enrolment_phase_set,
)
from safehands.orgs.models import OrgUnit

DEMO_MONTHS = 36
HEADER = "org_unit,measure,period,numerator,denominator,value,comment\n"
DEMO_IMPORT_FAILED = "The demo measure data did not import: {conflicts}"

# target area -> [(unit code, improves from month index or None)]
DEMO_ENROLMENTS: dict[str, list[tuple[str, int | None]]] = {
    "falls": [("OUS-RH-GER", 14), ("OUS-RH-MED", 18), ("OUS-ULL-GER", None),
              ("OUS-ULL-MED", 20), ("AHUS-NOR-MED", None)],
    "sepsis": [("OUS-RH-ED", 12), ("OUS-ULL-ED", None), ("OUS-AKER-ED", 16)],
    "pressure_ulcers": [("K0301-NH1-LT", 15), ("K0301-NH2-LT", None),
                        ("K0301-NH3-LT", 19)],
    "cauti": [("OUS-RH-SUR", 13), ("OUS-ULL-SUR", None)],
}
PHASE_MONTHS = (("testing", 3), ("implementing", 9), ("spreading", 20), ("sustaining", 30))


def _month_keys(count: int, today: date | None = None) -> list[str]:
    """The `count` months before the current one (the current one is still being filled)."""
    return periods.latest("monthly", count=count + 1, today=today)[:-1]


@transaction.atomic
def demo_load(today: date | None = None) -> dict[str, int]:
    keys = _month_keys(DEMO_MONTHS, today)
    start = periods.parse(keys[0]).start
    counts = {"enrolments_created": 0, "annotations_created": 0}
    rows: list[str] = []
    for area_code, units in DEMO_ENROLMENTS.items():
        area = TargetArea.objects.filter(code=area_code).first()
        if area is None:
            continue
        measures = list(Measure.objects.filter(target_area=area, origin="package",
                                               is_retired=False, frequency="monthly"))
        for unit_code, improve_from in units:
            unit = OrgUnit.objects.filter(code=unit_code).first()
            if unit is None:
                continue
            enrolment = Enrolment.objects.filter(unit=unit, target_area=area).first()
            if enrolment is None:
                enrolment = enrolment_create(
                    unit=unit, target_area=area, started=start, actor=None, source="system",
                    aim_text="Halve harm within two years" if improve_from else "")
                counts["enrolments_created"] += 1
                for phase, month in PHASE_MONTHS:
                    if improve_from is None and phase in ("spreading", "sustaining"):
                        continue
                    enrolment_phase_set(enrolment=enrolment, phase=phase,
                                        since=periods.parse(keys[month]).start, actor=None,
                                        source="system")
            factor = 0.8 + (sum(map(ord, unit_code)) % 5) / 10
            for measure in measures:
                profile = synthetic.profile_for(measure.value_type, measure.direction,
                                                measure.sample_size)
                values = synthetic.series(profile, unit=unit_code, measure=measure.code,
                                          count=len(keys), improve_from=improve_from,
                                          unit_factor=factor)
                rows.extend(synthetic.csv_rows(unit=unit_code, measure=measure.code,
                                               period_keys=keys, values=values))
            if improve_from is not None:
                on = periods.parse(keys[improve_from]).start
                text = f"PDSA: {area.name.lower()} bundle tested on one shift, then all"
                if not Annotation.objects.filter(unit=unit, date=on, text=text).exists():
                    annotation_create(unit=unit, on=on, text=text, actor=None,
                                      source="system")
                    counts["annotations_created"] += 1
    summary = data_values_import(text=HEADER + "".join(rows), fmt="csv", actor=None,
                                 source="system", file_name="demo", today=today)
    if summary.conflicts:
        raise DomainError(DEMO_IMPORT_FAILED.format(conflicts="; ".join(
            f"row {c.row} {c.field}: {c.message}" for c in summary.conflicts[:5])))
    counts["data_values_created"] = summary.created
    return counts


# --- National scale ------------------------------------------------------------------------

NATIONAL_ROOT = "NAT"
NATIONAL_AREA = "falls"


def national_tree_csv(units: int) -> str:
    """A synthetic nation: 4 regions, 5 trusts each, 5 hospitals each, units spread evenly."""
    lines = ["code,name,kind,parent_code,name_nb",
             f"{NATIONAL_ROOT},Synthetic nation,national,,Syntetisk nasjon"]
    hospitals = []
    for r in range(1, 5):
        region = f"{NATIONAL_ROOT}-R{r}"
        lines.append(f"{region},Region {r},region,{NATIONAL_ROOT},Region {r}")
        for t in range(1, 6):
            trust = f"{region}-T{t}"
            lines.append(f"{trust},Trust {r}.{t},trust,{region},Foretak {r}.{t}")
            for h in range(1, 6):
                hospital = f"{trust}-H{h}"
                lines.append(f"{hospital},Hospital {r}.{t}.{h},hospital,{trust},"
                             f"Sykehus {r}.{t}.{h}")
                hospitals.append(hospital)
    for i in range(units):
        hospital = hospitals[i % len(hospitals)]
        lines.append(f"{hospital}-U{i:04d},Unit {i},unit,{hospital},Enhet {i}")
    return "\n".join(lines) + "\n"


def national_unit_codes(units: int) -> list[str]:
    hospitals = [f"{NATIONAL_ROOT}-R{r}-T{t}-H{h}" for r in range(1, 5) for t in range(1, 6)
                 for h in range(1, 6)]
    return [f"{hospitals[i % len(hospitals)]}-U{i:04d}" for i in range(units)]


def national_setup(*, units: int, started: date) -> dict[str, int]:
    """Create the synthetic tree and enrol every unit in falls (bulk, for speed)."""
    from safehands.measurement.models import EnrolmentPhase
    from safehands.orgs.services import org_units_import

    summary = org_units_import(text=national_tree_csv(units), actor=None, source="system")
    if summary.problems:
        raise DomainError("; ".join(p.message for p in summary.problems[:5]))
    area = TargetArea.objects.get(code=NATIONAL_AREA)
    codes = national_unit_codes(units)
    unit_ids = dict(OrgUnit.objects.filter(code__in=codes).values_list("code", "id"))
    done = set(Enrolment.objects.filter(target_area=area, unit_id__in=unit_ids.values())
               .values_list("unit_id", flat=True))
    phases = ["preparing", "testing", "implementing", "spreading", "sustaining"]
    new = [Enrolment(unit_id=unit_ids[c], target_area=area, started=started,
                     phase=phases[i % 5]) for i, c in enumerate(codes)
           if unit_ids[c] not in done]
    with transaction.atomic():
        Enrolment.objects.bulk_create(new, batch_size=1000)
        made = Enrolment.objects.filter(target_area=area, unit_id__in=[e.unit_id for e in new])
        EnrolmentPhase.objects.bulk_create([
            EnrolmentPhase(enrolment=e, phase=e.phase, since=started) for e in made],
            batch_size=1000)
    return {"org_units_created": summary.created, "enrolments_created": len(new)}


def national_values_csv(*, units: int, months: int, measures: int = 5,
                        today: date | None = None) -> tuple[str, int]:
    """CSV text of units × measures × months values ending last month, and its row count."""
    keys = _month_keys(months, today)
    chosen = list(Measure.objects.filter(target_area__code=NATIONAL_AREA, origin="package",
                                         frequency="monthly").order_by("position",
                                                                       "code")[:measures])
    parts = [HEADER]
    count = 0
    for index, code in enumerate(national_unit_codes(units)):
        improve = months // 2 if index % 3 == 0 else None
        for measure in chosen:
            profile = synthetic.profile_for(measure.value_type, measure.direction,
                                            measure.sample_size)
            values = synthetic.series(profile, unit=code, measure=measure.code, count=months,
                                      improve_from=improve)
            parts.extend(synthetic.csv_rows(unit=code, measure=measure.code,
                                            period_keys=keys, values=values))
            count += months
    return "".join(parts), count


def national_build(*, units: int, months: int, measures: int = 5,
                   today: date | None = None) -> dict[str, Any]:
    keys = _month_keys(months, today)
    counts = national_setup(units=units, started=periods.parse(keys[0]).start)
    text, rows = national_values_csv(units=units, months=months, measures=measures,
                                     today=today)
    return {**counts, "text": text, "rows": rows}
