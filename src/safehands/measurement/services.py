"""Every write of measurement data. Keyword-only, authorised, validated, atomic, audited.

Decisions (docs/measurement.md says the same for users):
- A unit may report a measure only while it is enrolled in the measure's target area; when
  the enrolment lists chosen measures, only those (local measures are always chosen ones).
- A value whose period starts inside an active lock on the unit or any unit above it is
  refused; a coordinator unlocks with a reason, and the unlock is audited.
- Imports are all-or-nothing: every row is checked first, every problem is reported as a
  conflict, and only a file without conflicts is written, in one transaction.
- Audit: every write belongs to an `EntryBatch` (who, when, from where, counts) and has one
  `AuditEvent`; each changed value keeps its old and new numbers in `DataValueHistory`;
  a new value's first numbers are the row itself (version 1, its batch).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from safehands.audit.services import audit_record, snapshot
from safehands.catalogue.models import BundleElement, Measure, TargetArea
from safehands.core.errors import Conflict, DomainError
from safehands.measurement import formats, periods, rules, totals
from safehands.measurement.models import (
    PHASES,
    Annotation,
    BundleAdaptation,
    BundleAudit,
    BundleAuditAnswer,
    DataValue,
    DataValueHistory,
    Enrolment,
    EnrolmentPhase,
    EntryBatch,
    PeriodLock,
)
from safehands.orgs.access import authorize, can
from safehands.orgs.models import OrgUnit

ALREADY_ENROLLED = "{unit} is already enrolled in {area}."
UNKNOWN_PHASE = "Unknown phase {phase!r}; use one of {allowed}."
MEASURE_NOT_IN_AREA = "{measure} is not a measure of {area}."
ELEMENT_NOT_IN_AREA = "{element} is not a bundle element of {area}."
NO_UNITS_TO_ENROL = "There are no units below {unit} left to enrol in {area}."
NOT_ENROLLED = "{unit} is not enrolled in the target area of {measure}."
MEASURE_NOT_CHOSEN = "{unit} does not report {measure}; add it to the enrolment first."
PERIOD_LOCKED = "{period} is locked for {unit}; a coordinator must unlock it first."
UNKNOWN_UNIT = "There is no org unit with code {code!r}."
UNKNOWN_MEASURE = "There is no measure with code {code!r}."
NO_WRITE_ACCESS = "You may not enter data for {unit}."
DUPLICATE_ROW = "The same org unit, measure and period are already on row {first}."
VALUES_INVALID = "Some values need correcting."
CHANGED_MEANWHILE = (
    "Someone else saved this value while you had the form open (it is now {now}); yours was "
    "not saved, so that neither is lost. Check the value shown and save again.")
UNKNOWN_STRATEGY = "Unknown strategy {strategy!r}; use create, update or create_and_update."
ALREADY_LOCKED = "{period} is already locked for {unit}."
NOT_LOCKED = "This lock was already lifted."
UNLOCK_NEEDS_REASON = "Say why the period is unlocked; the reason is kept in the audit trail."
TEXT_REQUIRED = "Write the text of the annotation."
LOCAL_CODE_TAKEN = "A measure with code {code!r} exists already."
NOT_BUNDLE_MEASURE = "{measure} is not a bundle-compliance measure."
ANSWER_ELEMENT_UNKNOWN = "{element} is not an element of the bundle measured by {measure}."
ANSWER_INVALID = "Answer yes, no or na, not {answer!r}."
AUDIT_REFERENCE_REQUIRED = "Give the sample a reference (a number, never a name)."

STRATEGIES = ("create", "update", "create_and_update")
_FORM_SOURCES = {"web": "form", "api": "api", "cli": "import", "import": "import",
                 "system": "system"}


def _actor_or_none(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _batch(*, actor: Any, source: str, file_name: str = "", file_format: str = "") -> EntryBatch:
    actor = _actor_or_none(actor)
    return EntryBatch.objects.create(
        actor=actor, actor_username=actor.get_username() if actor else "", source=source,
        file_name=file_name[:300], file_format=file_format)


def _authorize_unless_system(actor: Any, permission: str, unit: OrgUnit) -> None:
    """Commands without --as run as the system (the operator owns the server)."""
    if actor is not None:
        authorize(actor, permission, unit)


# --- Enrolment -----------------------------------------------------------------------------

def _check_phase(phase: str) -> None:
    if phase not in PHASES:
        raise DomainError(UNKNOWN_PHASE.format(phase=phase, allowed=", ".join(PHASES)),
                          {"field": "phase"})


def _check_measures(measures: Iterable[Measure], area: TargetArea, unit: OrgUnit) -> list[Measure]:
    chosen = list(measures)
    for measure in chosen:
        local_here = measure.origin == "local" and measure.code.startswith(
            f"local.{unit.code.lower()}.")
        if measure.target_area_id != area.pk and not local_here:
            raise DomainError(MEASURE_NOT_IN_AREA.format(measure=measure.code, area=area.code),
                              {"field": "measures", "measure": measure.code})
    return chosen


@transaction.atomic
def enrolment_create(
    *, unit: OrgUnit, target_area: TargetArea, started: date, actor: Any,
    phase: str = "preparing", aim_text: str = "", target_value: float | None = None,
    target_date: date | None = None, measures: Iterable[Measure] | None = None,
    source: str = "web",
) -> Enrolment:
    """Enrol one unit; without chosen measures it reports every measure of the area."""
    _authorize_unless_system(actor, "enrolment.manage", unit)
    _check_phase(phase)
    if Enrolment.objects.filter(unit=unit, target_area=target_area).exists():
        raise DomainError(ALREADY_ENROLLED.format(unit=unit.name, area=target_area.name),
                          {"unit": unit.code, "target_area": target_area.code})
    chosen = _check_measures(measures or (), target_area, unit)
    enrolment = Enrolment(unit=unit, target_area=target_area, phase=phase, started=started,
                          aim_text=aim_text, target_value=target_value, target_date=target_date)
    enrolment.full_clean()
    enrolment.save()
    enrolment.measures.set(chosen)
    EnrolmentPhase.objects.create(enrolment=enrolment, phase=phase, since=started,
                                  set_by=_actor_or_none(actor))
    audit_record(actor=actor, action="measurement.enrolment.create", target=enrolment,
                 org_path=unit.path, after={**snapshot(enrolment),
                                            "measures": [m.code for m in chosen]},
                 source=source)
    return enrolment


@transaction.atomic
def enrolments_create_for_subtree(
    *, unit: OrgUnit, target_area: TargetArea, started: date, actor: Any,
    phase: str = "preparing", source: str = "web",
) -> list[Enrolment]:
    """A facility enrols all its care units (kind "unit" or leaf units) not yet enrolled."""
    _authorize_unless_system(actor, "enrolment.manage", unit)
    below = OrgUnit.objects.filter(path__startswith=unit.path, is_active=True)
    parents = set(below.exclude(parent=None).values_list("parent_id", flat=True))
    leaves = [u for u in below.order_by("path") if u.pk not in parents]
    done = set(Enrolment.objects.filter(unit__in=leaves, target_area=target_area)
               .values_list("unit_id", flat=True))
    todo = [u for u in leaves if u.pk not in done]
    if not todo:
        raise DomainError(NO_UNITS_TO_ENROL.format(unit=unit.name, area=target_area.name))
    return [enrolment_create(unit=u, target_area=target_area, started=started, actor=actor,
                             phase=phase, source=source) for u in todo]


@transaction.atomic
def enrolment_phase_set(*, enrolment: Enrolment, phase: str, since: date, actor: Any,
                        source: str = "web") -> Enrolment:
    """Move to a phase from a date; the earlier phases stay in the dated history."""
    _authorize_unless_system(actor, "enrolment.manage", enrolment.unit)
    _check_phase(phase)
    before = snapshot(enrolment, ["phase"])
    EnrolmentPhase.objects.create(enrolment=enrolment, phase=phase, since=since,
                                  set_by=_actor_or_none(actor))
    current = enrolment.phases.order_by("-since", "-id").first()
    enrolment.phase = current.phase
    enrolment.save(update_fields=["phase", "updated_at"])
    audit_record(actor=actor, action="measurement.enrolment.phase_set", target=enrolment,
                 org_path=enrolment.unit.path, before=before,
                 after={"phase": phase, "since": since}, source=source)
    return enrolment


@transaction.atomic
def enrolment_update(
    *, enrolment: Enrolment, actor: Any, aim_text: str, target_value: float | None,
    target_date: date | None, measures: Iterable[Measure], source: str = "web",
) -> Enrolment:
    """Change the local aim and the measures reported."""
    _authorize_unless_system(actor, "enrolment.manage", enrolment.unit)
    chosen = _check_measures(measures, enrolment.target_area, enrolment.unit)
    before = {**snapshot(enrolment, ["aim_text", "target_value", "target_date"]),
              "measures": sorted(enrolment.measures.values_list("code", flat=True))}
    enrolment.aim_text, enrolment.target_value = aim_text, target_value
    enrolment.target_date = target_date
    enrolment.full_clean()
    enrolment.save()
    enrolment.measures.set(chosen)
    audit_record(actor=actor, action="measurement.enrolment.update", target=enrolment,
                 org_path=enrolment.unit.path, before=before,
                 after={**snapshot(enrolment, ["aim_text", "target_value", "target_date"]),
                        "measures": sorted(m.code for m in chosen)}, source=source)
    return enrolment


@transaction.atomic
def local_measure_create(
    *, enrolment: Enrolment, slug: str, name: str, value_type: str, direction: str,
    numerator: str, denominator: str = "", actor: Any, frequency: str = "monthly",
    multiplier: float = 1, unit: str = "", source: str = "web",
) -> Measure:
    """A measure the unit adds for itself: a local catalogue measure, chosen by the enrolment."""
    _authorize_unless_system(actor, "enrolment.manage", enrolment.unit)
    code = f"local.{enrolment.unit.code.lower()}.{re.sub(r'[^a-z0-9_]+', '_', slug.lower())}"
    if Measure.objects.filter(code=code).exists():
        raise DomainError(LOCAL_CODE_TAKEN.format(code=code), {"field": "slug"})
    chart = {"proportion": "p", "rate": "u", "count": "c", "continuous": "i",
             "time_between": "t", "cases_between": "g"}.get(value_type, "run")
    measure = Measure(
        code=code, name=name, name_nb=name, target_area=enrolment.target_area, kind="process",
        value_type=value_type, numerator=numerator, denominator=denominator,
        multiplier=multiplier, direction=direction, chart=chart, frequency=frequency,
        unit=unit.strip(),
        sampling="Local choice.", source=f"Local measure of {enrolment.unit.code}",
        confidence="V", origin="local", is_default=False,
        position=1000)
    measure.full_clean()
    measure.save()
    enrolment.measures.add(measure)
    audit_record(actor=actor, action="measurement.local_measure.create", target=measure,
                 org_path=enrolment.unit.path, after=snapshot(measure), source=source)
    return measure


@transaction.atomic
def bundle_adaptation_set(*, enrolment: Enrolment, element: BundleElement, note: str,
                          actor: Any, source: str = "web") -> BundleAdaptation | None:
    """Note how the unit adapted an element; an empty note removes the adaptation."""
    _authorize_unless_system(actor, "enrolment.manage", enrolment.unit)
    if element.target_area_id != enrolment.target_area_id:
        raise DomainError(ELEMENT_NOT_IN_AREA.format(element=element.code,
                                                     area=enrolment.target_area.code))
    existing = BundleAdaptation.objects.filter(enrolment=enrolment, element=element).first()
    before = snapshot(existing) if existing else None
    if not note.strip():
        if existing:
            existing.delete()
        result = None
    else:
        result = existing or BundleAdaptation(enrolment=enrolment, element=element)
        result.note = note.strip()
        result.save()
    audit_record(actor=actor, action="measurement.adaptation.set", target=enrolment,
                 org_path=enrolment.unit.path, before=before,
                 after=snapshot(result) if result else None, source=source)
    return result


# --- What a unit may report, and what is locked --------------------------------------------

def allowed_measures(unit_ids: Iterable[int]) -> dict[int, set[int]]:
    """unit id -> ids of the measures it may report now (see the module decisions)."""
    enrolments = list(Enrolment.objects.filter(unit_id__in=list(unit_ids), ended__isnull=True)
                      .values_list("id", "unit_id", "target_area_id"))
    chosen: dict[int, set[int]] = defaultdict(set)
    for enrolment_id, measure_id in Enrolment.measures.through.objects.filter(
            enrolment_id__in=[e[0] for e in enrolments]).values_list("enrolment_id",
                                                                     "measure_id"):
        chosen[enrolment_id].add(measure_id)
    area_measures: dict[int, set[int]] = defaultdict(set)
    for measure_id, area_id in Measure.objects.filter(
            target_area_id__in={e[2] for e in enrolments}, origin="package",
            is_retired=False).values_list("id", "target_area_id"):
        area_measures[area_id].add(measure_id)
    allowed: dict[int, set[int]] = defaultdict(set)
    for enrolment_id, unit_id, area_id in enrolments:
        allowed[unit_id] |= chosen[enrolment_id] or area_measures[area_id]
    return allowed


def _enrolled_areas(unit_ids: Iterable[int]) -> dict[int, set[int]]:
    areas: dict[int, set[int]] = defaultdict(set)
    for unit_id, area_id in Enrolment.objects.filter(
            unit_id__in=list(unit_ids), ended__isnull=True).values_list("unit_id",
                                                                       "target_area_id"):
        areas[unit_id].add(area_id)
    return areas


@dataclass(frozen=True)
class _Lock:
    path: str
    start: date
    end: date


def _active_locks() -> list[_Lock]:
    return [_Lock(p, s, e) for p, s, e in PeriodLock.objects.filter(
        unlocked_at__isnull=True).values_list("unit__path", "start", "end")]


def _is_locked(locks: list[_Lock], path: str, start: date) -> bool:
    return any(path.startswith(lock.path) and lock.start <= start <= lock.end for lock in locks)


# --- One value -----------------------------------------------------------------------------

_NUMBER_FIELDS = ("numerator", "denominator", "value")


def _numbers_of(value: DataValue) -> dict[str, Any]:
    return {"numerator": value.numerator, "denominator": value.denominator,
            "value": value.value, "comment": value.comment}


def _value_problems(
    *, unit: OrgUnit, measure: Measure, period: str, numbers: rules.Numbers,
    allowed: dict[int, set[int]], areas: dict[int, set[int]], locks: list[_Lock], today: date,
) -> tuple[periods.Period | None, list[tuple[str, str]]]:
    found: list[tuple[str, str]] = []
    try:
        parsed = periods.validate(period, frequency=measure.frequency, today=today)
    except periods.PeriodError as error:
        parsed = None
        found.append(("period", str(error)))
    if measure.pk not in allowed.get(unit.pk, ()):
        if measure.target_area_id not in areas.get(unit.pk, ()):
            found.append(("measure", NOT_ENROLLED.format(unit=unit.name, measure=measure.code)))
        else:
            found.append(("measure", MEASURE_NOT_CHOSEN.format(unit=unit.name,
                                                               measure=measure.code)))
    if parsed is not None and _is_locked(locks, unit.path, parsed.start):
        found.append(("period", PERIOD_LOCKED.format(period=parsed.key, unit=unit.name)))
    found.extend(rules.problems(measure.value_type, numbers))
    return parsed, found


@transaction.atomic
def data_value_upsert(
    *, unit: OrgUnit, measure: Measure, period: str, numerator: Any = None,
    denominator: Any = None, value: Any = None, comment: str = "", actor: Any,
    source: str = "web", batch: EntryBatch | None = None, today: date | None = None,
    expected_version: int | None = None,
) -> DataValue:
    """Create or change one value. DomainError with per-field messages in extra["fields"].

    `expected_version` is the version the user saw (0: there was no value): when someone
    else saved a different value since, the save is refused with Conflict rather than
    silently overwriting theirs. Saving what is already there is never a conflict.
    """
    _authorize_unless_system(actor, "data.enter", unit)
    fields: dict[str, str] = {}
    parsed_numbers: dict[str, float | None] = {}
    for name, raw in (("numerator", numerator), ("denominator", denominator), ("value", value)):
        try:
            parsed_numbers[name] = rules.parse_number(raw)
        except ValueError as error:
            fields[name] = str(error)
            parsed_numbers[name] = None
    numbers = rules.Numbers(**parsed_numbers)
    parsed, found = _value_problems(
        unit=unit, measure=measure, period=period, numbers=numbers,
        allowed=allowed_measures([unit.pk]), areas=_enrolled_areas([unit.pk]),
        locks=_active_locks(), today=today or date.today())
    for name, message in found:
        fields.setdefault(name, message)
    if fields:
        raise DomainError(VALUES_INVALID, {"fields": fields, "unit": unit.code,
                                           "measure": measure.code, "period": period})
    comment = (comment or "").strip()
    batch = batch or _batch(actor=actor, source=_FORM_SOURCES.get(source, "form"))
    now = timezone.now()
    # Lock only the value's own row: the model's default ordering joins the unit and the
    # measure, and FOR UPDATE would lock those rows too, so writers of other values of the
    # same measure deadlocked against the subtree-totals update (found by `make load`).
    existing = DataValue.objects.select_for_update(of=("self",)).filter(
        unit=unit, measure=measure, period=parsed.key).order_by("pk").first()
    new = {**parsed_numbers, "comment": comment}
    _check_version(existing, new, expected_version)
    if existing is None:
        result = DataValue.objects.create(
            unit=unit, measure=measure, period=parsed.key, period_start=parsed.start,
            comment=comment, source=batch.source, batch=batch, updated_at=now,
            **parsed_numbers)
        batch.created += 1
        audit_record(actor=actor, action="measurement.data_value.create", target=result,
                     org_path=unit.path, after={**new, "period": parsed.key,
                                                "measure": measure.code}, source=source)
    else:
        old = _numbers_of(existing)
        if old == new:
            batch.unchanged += 1
            batch.save(update_fields=["created", "updated", "unchanged"])
            return existing
        for name, number in new.items():
            setattr(existing, name, number)
        existing.version += 1
        existing.source, existing.batch, existing.updated_at = batch.source, batch, now
        existing.save()
        DataValueHistory.objects.create(data_value=existing, version=existing.version,
                                        batch=batch, old=old, new=new)
        batch.updated += 1
        audit_record(actor=actor, action="measurement.data_value.update", target=existing,
                     org_path=unit.path, before=old, after=new, source=source)
        result = existing
    batch.save(update_fields=["created", "updated", "unchanged"])
    totals.refresh([(measure.pk, parsed.key)])
    return result


@transaction.atomic
def _check_version(existing: DataValue | None, new: dict[str, Any] | None,
                   expected_version: int | None) -> None:
    if expected_version is None:
        return
    now = existing.version if existing is not None else 0
    if now == expected_version or (existing is not None and new is not None
                                   and _numbers_of(existing) == new):
        return
    shown = "empty" if existing is None else ", ".join(
        f"{name} {rules.format_number(getattr(existing, name))}" for name in _NUMBER_FIELDS
        if getattr(existing, name) is not None)
    message = CHANGED_MEANWHILE.format(now=shown)
    raise Conflict(message, {"fields": {"version": message}, "version": now})


def data_value_delete(*, data_value: DataValue, actor: Any, source: str = "web",
                      expected_version: int | None = None) -> None:
    """Remove a value (a field emptied in the form); locked periods stay as they are."""
    unit = data_value.unit
    _authorize_unless_system(actor, "data.enter", unit)
    if expected_version is not None:
        data_value = DataValue.objects.select_for_update(of=("self",)).filter(
            pk=data_value.pk).order_by("pk").first() or data_value
        _check_version(data_value, None, expected_version)
    if _is_locked(_active_locks(), unit.path, data_value.period_start):
        raise Conflict(PERIOD_LOCKED.format(period=data_value.period, unit=unit.name),
                          {"fields": {"period": PERIOD_LOCKED.format(
                              period=data_value.period, unit=unit.name)}})
    before = {**_numbers_of(data_value), "period": data_value.period,
              "measure": data_value.measure.code, "version": data_value.version}
    # A deletion is a write too: its batch says who and when, and moves the data version.
    _batch(actor=actor, source=_FORM_SOURCES.get(source, "form"))
    audit_record(actor=actor, action="measurement.data_value.delete", target=data_value,
                 org_path=unit.path, before=before, source=source)
    data_value.delete()
    totals.refresh([(data_value.measure_id, data_value.period)])


# --- Bulk import ---------------------------------------------------------------------------

@dataclass
class ImportSummary:
    status: str  # "applied", "valid" (a dry run without conflicts) or "conflicts"
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ignored: int = 0
    conflicts: list[formats.Conflict] = field(default_factory=list)
    batch_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.conflicts

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "dry_run": self.dry_run,
            "counts": {"created": self.created, "updated": self.updated,
                       "unchanged": self.unchanged, "ignored": self.ignored},
            "conflicts": [c.as_dict() for c in self.conflicts],
        }


Progress = Callable[[str, int, int], None]
_CHUNK = 20_000


def data_values_import(
    *, text: str, fmt: str, actor: Any, strategy: str = "create_and_update",
    dry_run: bool = False, source: str = "import", file_name: str = "",
    progress: Progress | None = None, today: date | None = None,
) -> ImportSummary:
    """Check every row, then write all of them or none. Bulk queries only, never per row.

    Speed: a row that passes the quick checks (a cached verdict per unit and measure and per
    period, plain numbers) costs a few dictionary lookups; only a row that fails one goes
    through the detailed check that words its conflicts, so messages never differ.
    """
    if strategy not in STRATEGIES:
        raise DomainError(UNKNOWN_STRATEGY.format(strategy=strategy), {"field": "strategy"})
    if fmt not in formats.FORMATS:
        raise DomainError(formats.UNKNOWN_FORMAT.format(fmt=fmt), {"field": "format"})
    report = progress or (lambda stage, done, total: None)
    read = formats.read_rows(text, fmt)
    conflicts = list(read.conflicts)
    records = read.rows
    total = len(records)
    report("read", total, total)
    context = _ImportContext.load(records, actor=actor, today=today or date.today())
    report("lookups", total, total)

    seen: dict[tuple[str, str, str], int] = {}
    pending: list[tuple[int, int, str, date, tuple]] = []
    ignored = 0
    pair_ok = context.pair_ok
    period_ok = context.period_ok
    locks = context.locks
    ratio_types, whole_types = rules.RATIO_TYPES, rules.WHOLE_VALUE_TYPES
    for index, record in enumerate(records):
        row, unit_code, measure_code, period, raw_n, raw_d, raw_v, comment = record
        key = (unit_code, measure_code, period)
        first = seen.get(key)
        if first is not None:
            conflicts.append(formats.Conflict(row, "period", period,
                                              DUPLICATE_ROW.format(first=first)))
            conflicts.extend(context.row_conflicts(record)[0])
            continue
        seen[key] = row
        pair = pair_ok.get((unit_code, measure_code))
        if pair is None:
            pair = context.pair(unit_code, measure_code)
        fine = pair is not False
        if fine:
            unit_id, measure_id, value_type, frequency, path = pair
            when = period_ok.get((period, frequency))
            if when is None:
                when = context.period(period, frequency)
            fine = when is not False
        if fine:
            try:
                n = None if raw_n is None or raw_n == "" else float(raw_n)
                d = None if raw_d is None or raw_d == "" else float(raw_d)
                v = None if raw_v is None or raw_v == "" else float(raw_v)
            except (TypeError, ValueError):
                fine = False
        if fine:
            comment = comment.strip() if comment else ""
            if n is None and d is None and v is None:
                if not comment:
                    ignored += 1
                    continue
                fine = False
            elif value_type in ratio_types:
                fine = (v is None and n is not None and d is not None and n >= 0 and d > 0
                        and n.is_integer() and n == n and d == d
                        and (value_type != "proportion" or (d.is_integer() and n <= d)))
            else:
                fine = (n is None and d is None and v is not None and 0 <= v < 1e300
                        and (value_type not in whole_types or v.is_integer()))
            if fine and ((n is not None and n > 1e300) or (d is not None and d > 1e300)):
                fine = False
            if fine and locks and _is_locked(locks, path, when[1]):
                fine = False
        if fine:
            pending.append((unit_id, measure_id, when[0], when[1],
                            {"numerator": n, "denominator": d, "value": v, "comment": comment}))
        else:
            found, parsed = context.row_conflicts(record)
            if found:
                conflicts.extend(found)
            elif parsed is None:
                ignored += 1
            else:
                pending.append(parsed)
        if (index + 1) % _CHUNK == 0:
            report("check", index + 1, total)
    report("check", total, total)

    summary = ImportSummary(status="conflicts", dry_run=dry_run, ignored=ignored,
                            conflicts=conflicts)
    if conflicts:
        summary.conflicts.sort(key=lambda c: (c.row, c.field))
        return summary

    # Compare with what is stored, in bulk.
    existing = _existing_values(pending)
    to_create, to_update = [], []
    touched: set[tuple[int, str]] = set()  # (measure, period) pairs whose totals change
    for unit_id, measure_id, period_key, start, new in pending:
        current = existing.get((unit_id, measure_id, period_key))
        if current is None:
            if strategy == "update":
                summary.ignored += 1
            else:
                to_create.append((unit_id, measure_id, period_key, start, new))
                touched.add((measure_id, period_key))
        elif current[1] == new:
            summary.unchanged += 1
        elif strategy == "create":
            summary.ignored += 1
        else:
            to_update.append((current, new))
            touched.add((measure_id, period_key))
    report("compare", total, total)
    summary.created, summary.updated = len(to_create), len(to_update)
    if dry_run:
        summary.status = "valid"
        return summary
    with transaction.atomic():
        batch = _batch(actor=actor, source="import" if source in ("import", "cli") else source,
                       file_name=file_name, file_format=fmt)
        batch.created, batch.updated, batch.unchanged = (
            summary.created, summary.updated, summary.unchanged)
        batch.save()
        _write_created(to_create, batch, report)
        _write_updated(to_update, batch, report)
        totals.refresh(touched)
        report("totals", total, total)
        audit_record(actor=actor, action="measurement.data_values.import", target=batch,
                     after={**summary.as_dict()["counts"], "file": file_name, "format": fmt,
                            "strategy": strategy, "batch": batch.pk,
                            "units": sorted(context.units)[:200]},
                     source=source if source in ("web", "api", "cli", "import") else "import")
        report("audit", total, total)
    report("commit", total, total)
    summary.status = "applied"
    summary.batch_id = batch.pk
    return summary


class _ImportContext:
    """Everything an import checks rows against, fetched once; verdicts cached."""

    def __init__(self) -> None:
        self.units: dict[str, OrgUnit] = {}
        self.measures: dict[str, Measure] = {}
        self.allowed: dict[int, set[int]] = {}
        self.areas: dict[int, set[int]] = {}
        self.writable: dict[str, bool] = {}
        self.locks: list[_Lock] = []
        self.today = date.today()
        # (unit code, measure code) -> (unit id, measure id, value type, frequency, path)
        # or False when the pair cannot be written.
        self.pair_ok: dict[tuple[str, str], Any] = {}
        # (period key, frequency) -> (key, start) or False.
        self.period_ok: dict[tuple[str, str], Any] = {}

    @classmethod
    def load(cls, records: list[tuple], *, actor: Any, today: date) -> _ImportContext:
        self = cls()
        self.today = today
        unit_codes = {r[1] for r in records}
        measure_codes = {r[2] for r in records}
        self.units = {u.code: u for u in OrgUnit.objects.filter(code__in=unit_codes).only(
            "id", "code", "name", "path")}
        self.measures = {m.code: m for m in Measure.objects.filter(
            code__in=measure_codes).only("id", "code", "value_type", "frequency",
                                         "target_area_id")}
        unit_ids = [u.pk for u in self.units.values()]
        self.allowed = allowed_measures(unit_ids)
        self.areas = _enrolled_areas(unit_ids)
        self.locks = _active_locks()
        self.writable = {code: actor is None or can(actor, "data.enter", unit)
                         for code, unit in self.units.items()}
        return self

    def pair(self, unit_code: str, measure_code: str) -> Any:
        unit, measure = self.units.get(unit_code), self.measures.get(measure_code)
        verdict: Any = False
        if (unit is not None and measure is not None and self.writable[unit_code]
                and measure.pk in self.allowed.get(unit.pk, ())):
            verdict = (unit.pk, measure.pk, measure.value_type, measure.frequency, unit.path)
        self.pair_ok[(unit_code, measure_code)] = verdict
        return verdict

    def period(self, key: str, frequency: str) -> Any:
        try:
            parsed = periods.validate(key, frequency=frequency, today=self.today)
            verdict: Any = (parsed.key, parsed.start)
        except periods.PeriodError:
            verdict = False
        self.period_ok[(key, frequency)] = verdict
        return verdict

    def row_conflicts(self, record: tuple) -> tuple[list[formats.Conflict], Any]:
        """The detailed check of one row: its conflicts, or what it would write (None when
        the row carries nothing)."""
        row, unit_code, measure_code, period, raw_n, raw_d, raw_v, comment = record
        found: list[formats.Conflict] = []

        def bad(name: str, value: Any, message: str) -> None:
            found.append(formats.Conflict(row, name, "" if value is None else str(value),
                                          message))

        unit = self.units.get(unit_code)
        measure = self.measures.get(measure_code)
        if unit is None:
            bad("org_unit", unit_code, UNKNOWN_UNIT.format(code=unit_code))
        elif not self.writable[unit_code]:
            bad("org_unit", unit_code, NO_WRITE_ACCESS.format(unit=unit.name))
        if measure is None:
            bad("measure", measure_code, UNKNOWN_MEASURE.format(code=measure_code))
        parsed_numbers: dict[str, float | None] = {}
        for name, raw in (("numerator", raw_n), ("denominator", raw_d), ("value", raw_v)):
            try:
                parsed_numbers[name] = rules.parse_number(raw)
            except ValueError as error:
                bad(name, raw, str(error))
                parsed_numbers[name] = None
        numbers = rules.Numbers(**parsed_numbers)
        comment = (comment or "").strip()
        if numbers.empty and not found and not comment:
            return [], None
        parsed = None
        if measure is not None:
            try:
                parsed = periods.validate(period, frequency=measure.frequency,
                                          today=self.today)
            except periods.PeriodError as error:
                bad("period", period, str(error))
            raws = {"numerator": raw_n, "denominator": raw_d, "value": raw_v}
            for name, message in rules.problems(measure.value_type, numbers):
                bad(name, raws[name], message)
        if unit is not None and measure is not None and self.writable[unit_code]:
            if measure.pk not in self.allowed.get(unit.pk, ()):
                message = (MEASURE_NOT_CHOSEN
                           if measure.target_area_id in self.areas.get(unit.pk, ())
                           else NOT_ENROLLED)
                bad("measure", measure_code, message.format(unit=unit.name,
                                                            measure=measure.code))
            if parsed is not None and _is_locked(self.locks, unit.path, parsed.start):
                bad("period", period, PERIOD_LOCKED.format(period=parsed.key,
                                                           unit=unit.name))
        if found:
            return found, None
        return [], (unit.pk, measure.pk, parsed.key, parsed.start,
                    {**parsed_numbers, "comment": comment})


def _existing_values(
    pending: list[tuple[int, int, str, date, dict[str, Any]]],
) -> dict[tuple[int, int, str], tuple[int, dict[str, Any], int]]:
    """(unit id, measure id, period) -> (value id, numbers, version) for the rows given.

    Plain SQL and fetchall: a million stored values come back in seconds, where the ORM's
    model machinery would take minutes.
    """
    found: dict[tuple[int, int, str], tuple[int, dict[str, Any], int]] = {}
    if not pending:
        return found
    unit_ids = sorted({p[0] for p in pending})
    measure_ids = sorted({p[1] for p in pending})
    keys = {p[2] for p in pending}
    table = DataValue._meta.db_table
    with connection.cursor() as cursor:
        for start in range(0, len(unit_ids), 1000):
            chunk = unit_ids[start:start + 1000]
            cursor.execute(
                f"SELECT id, unit_id, measure_id, period, numerator, denominator, value, "
                f"comment, version FROM {table} WHERE unit_id IN "
                f"({', '.join(['%s'] * len(chunk))}) AND measure_id IN "
                f"({', '.join(['%s'] * len(measure_ids))})", [*chunk, *measure_ids])
            for pk, unit_id, measure_id, period, num, den, val, comment, version in (
                    cursor.fetchall()):
                if period in keys:
                    found[(unit_id, measure_id, period)] = (
                        pk, {"numerator": num, "denominator": den, "value": val,
                             "comment": comment}, version)
    return found


_INSERT_COLUMNS = ("unit_id", "measure_id", "period", "period_start", "numerator",
                   "denominator", "value", "comment", "source", "version", "batch_id",
                   "updated_at")


def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, float):
        return repr(value)
    text = str(value)
    if any(ch in text for ch in "\\\t\n\r"):
        text = (text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
                .replace("\r", "\\r"))
    return text


def _write_created(rows: list, batch: EntryBatch, report: Progress) -> None:
    now = timezone.now()
    total = len(rows)
    table = DataValue._meta.db_table
    columns = ", ".join(_INSERT_COLUMNS)
    if connection.vendor == "postgresql":
        # COPY is the database's own bulk path: an order of magnitude faster than INSERT.
        tail = f"\t{batch.source}\t1\t{batch.pk}\t{now.isoformat()}\n"
        days: dict[str, str] = {}  # period key -> "key\tfirst day", built once per period
        null = "\\N"
        with (connection.cursor() as cursor,
              cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy):
            for start in range(0, total, _CHUNK):
                lines = []
                for u, m, p, s, new in rows[start:start + _CHUNK]:
                    day = days.get(p)
                    if day is None:
                        day = days[p] = f"{p}\t{s.isoformat()}"
                    n, d, v, c = (new["numerator"], new["denominator"], new["value"],
                                  new["comment"])
                    lines.append(
                        f"{u}\t{m}\t{day}\t{null if n is None else repr(n)}\t"
                        f"{null if d is None else repr(d)}\t{null if v is None else repr(v)}\t"
                        f"{_copy_text(c) if c else ''}{tail}")
                copy.write("".join(lines))
                report("write", min(start + _CHUNK, total), total)
        if total > 50_000:
            # Fresh statistics, or the planner takes the grown table for an empty one.
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {table}")
        return
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(now)
    placeholders = ", ".join(["%s"] * len(_INSERT_COLUMNS))
    with connection.cursor() as cursor:
        for start in range(0, total, _CHUNK):
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",
                [(u, m, p, ops.adapt_datefield_value(s), new["numerator"], new["denominator"],
                  new["value"], new["comment"], batch.source, 1, batch.pk, stamp)
                 for u, m, p, s, new in rows[start:start + _CHUNK]])
            report("write", min(start + _CHUNK, total), total)
        if total > 50_000:
            # Without statistics SQLite may read a unit's series through the wrong index.
            cursor.execute(f"ANALYZE {table}")


def _write_updated(rows: list, batch: EntryBatch, report: Progress) -> None:
    now = timezone.now()
    total = len(rows)
    for start in range(0, total, 2000):
        chunk = rows[start:start + 2000]
        objects, history = [], []
        for (pk, old, version), new in chunk:
            objects.append(DataValue(pk=pk, version=version + 1, source=batch.source,
                                     batch=batch, updated_at=now, **new))
            history.append(DataValueHistory(data_value_id=pk, version=version + 1, batch=batch,
                                            old=old, new=new))
        DataValue.objects.bulk_update(objects, ["numerator", "denominator", "value", "comment",
                                                "version", "source", "batch", "updated_at"])
        DataValueHistory.objects.bulk_create(history)
        report("update", min(start + 2000, total), total)


# --- Locks ---------------------------------------------------------------------------------

@transaction.atomic
def period_lock(*, unit: OrgUnit, period: str, actor: Any, source: str = "web") -> PeriodLock:
    """Close a period for the unit and everything below it."""
    _authorize_unless_system(actor, "period.lock", unit)
    try:
        parsed = periods.parse(period)
    except periods.PeriodError as error:
        raise DomainError(str(error), {"field": "period"}) from None
    if PeriodLock.objects.filter(unit=unit, period=parsed.key,
                                 unlocked_at__isnull=True).exists():
        raise DomainError(ALREADY_LOCKED.format(period=parsed.key, unit=unit.name))
    lock = PeriodLock.objects.create(unit=unit, period=parsed.key, start=parsed.start,
                                     end=parsed.end, locked_by=_actor_or_none(actor))
    audit_record(actor=actor, action="measurement.period.lock", target=lock,
                 org_path=unit.path, after=snapshot(lock), source=source)
    return lock


@transaction.atomic
def period_unlock(*, lock: PeriodLock, reason: str, actor: Any,
                  source: str = "web") -> PeriodLock:
    """Open a locked period again; who, when and why go into the lock and the audit trail."""
    _authorize_unless_system(actor, "period.lock", lock.unit)
    if lock.unlocked_at is not None:
        raise DomainError(NOT_LOCKED)
    if not reason.strip():
        raise DomainError(UNLOCK_NEEDS_REASON, {"field": "reason"})
    before = snapshot(lock)
    lock.unlocked_at, lock.unlocked_by = timezone.now(), _actor_or_none(actor)
    lock.unlock_reason = reason.strip()
    lock.save()
    audit_record(actor=actor, action="measurement.period.unlock", target=lock,
                 org_path=lock.unit.path, before=before, after=snapshot(lock), source=source)
    return lock


# --- Annotations ---------------------------------------------------------------------------

@transaction.atomic
def annotation_create(*, unit: OrgUnit, on: date, text: str, actor: Any,
                      measure: Measure | None = None, source: str = "web") -> Annotation:
    """A PDSA change or an event, drawn on the unit's chart(s)."""
    _authorize_unless_system(actor, "data.enter", unit)
    if not text.strip():
        raise DomainError(TEXT_REQUIRED, {"fields": {"text": TEXT_REQUIRED}})
    note = Annotation(unit=unit, measure=measure, date=on, text=text.strip(),
                      created_by=_actor_or_none(actor))
    note.full_clean()
    note.save()
    audit_record(actor=actor, action="measurement.annotation.create", target=note,
                 org_path=unit.path, after=snapshot(note), source=source)
    return note


@transaction.atomic
def annotation_delete(*, annotation: Annotation, actor: Any, source: str = "web") -> None:
    _authorize_unless_system(actor, "data.enter", annotation.unit)
    audit_record(actor=actor, action="measurement.annotation.delete", target=annotation,
                 org_path=annotation.unit.path, before=snapshot(annotation), source=source)
    annotation.delete()


# --- Bundle audits -------------------------------------------------------------------------

def _bundle_elements(measure: Measure) -> dict[str, BundleElement]:
    return {e.code: e for e in measure.compliance_elements.all()}


@transaction.atomic
def bundle_audit_save(
    *, unit: OrgUnit, measure: Measure, period: str, reference: str,
    answers: dict[str, str], actor: Any, source: str = "web", today: date | None = None,
) -> BundleAudit:
    """Record (or correct) one sampled patient, then recompute the period's compliance value.

    answers: bundle element code -> "yes" | "no" | "na".
    """
    _authorize_unless_system(actor, "data.enter", unit)
    elements = _bundle_elements(measure)
    if not elements:
        raise DomainError(NOT_BUNDLE_MEASURE.format(measure=measure.code))
    if not reference.strip():
        raise DomainError(AUDIT_REFERENCE_REQUIRED, {"fields": {"reference":
                                                                AUDIT_REFERENCE_REQUIRED}})
    fields: dict[str, str] = {}
    for code, answer in answers.items():
        if code not in elements:
            fields[code] = ANSWER_ELEMENT_UNKNOWN.format(element=code, measure=measure.code)
        elif answer not in ("yes", "no", "na"):
            fields[code] = ANSWER_INVALID.format(answer=answer)
    for code in elements:
        if code not in answers:
            fields[code] = ANSWER_INVALID.format(answer="")
    if fields:
        raise DomainError(VALUES_INVALID, {"fields": fields})
    try:
        parsed = periods.validate(period, frequency=measure.frequency, today=today)
    except periods.PeriodError as error:
        raise DomainError(str(error), {"fields": {"period": str(error)}}) from None
    audit, _created = BundleAudit.objects.get_or_create(
        unit=unit, measure=measure, period=parsed.key, reference=reference.strip(),
        defaults={"created_by": _actor_or_none(actor)})
    before = {a.element.code: a.answer for a in audit.answers.select_related("element")}
    audit.answers.all().delete()
    BundleAuditAnswer.objects.bulk_create([
        BundleAuditAnswer(audit=audit, element=elements[code], answer=answer)
        for code, answer in answers.items()])
    audit_record(actor=actor, action="measurement.bundle_audit.save", target=audit,
                 org_path=unit.path, before=before or None, after=answers, source=source)
    _bundle_value_refresh(unit=unit, measure=measure, period=parsed.key, actor=actor,
                          source=source, today=today)
    return audit


@transaction.atomic
def bundle_audit_delete(*, audit: BundleAudit, actor: Any, source: str = "web",
                        today: date | None = None) -> None:
    _authorize_unless_system(actor, "data.enter", audit.unit)
    answers = {a.element.code: a.answer for a in audit.answers.select_related("element")}
    audit_record(actor=actor, action="measurement.bundle_audit.delete", target=audit,
                 org_path=audit.unit.path, before=answers, source=source)
    unit, measure, period = audit.unit, audit.measure, audit.period
    audit.delete()
    _bundle_value_refresh(unit=unit, measure=measure, period=period, actor=actor,
                          source=source, today=today)


def _bundle_value_refresh(*, unit: OrgUnit, measure: Measure, period: str, actor: Any,
                          source: str, today: date | None) -> None:
    """The all-or-none value follows the audits: recomputed after every audit change."""
    from safehands.measurement.bundles import all_or_none

    samples = [
        {a.element.code: a.answer for a in audit.answers.select_related("element")}
        for audit in BundleAudit.objects.filter(unit=unit, measure=measure, period=period)
    ]
    numerator, denominator = all_or_none(samples)
    existing = DataValue.objects.filter(unit=unit, measure=measure, period=period).first()
    if denominator == 0:
        if existing is not None:
            data_value_delete(data_value=existing, actor=actor, source=source)
        return
    batch = _batch(actor=actor, source="audit")
    data_value_upsert(unit=unit, measure=measure, period=period, numerator=numerator,
                      denominator=denominator, comment=existing.comment if existing else "",
                      actor=actor, source=source, batch=batch, today=today)


def org_units_moved(*, codes: list[str], **_: Any) -> None:
    """A move changes who is above whom: the subtree totals are rebuilt in the same
    transaction, and a batch marks the change so cached dashboards are computed afresh."""
    _batch(actor=None, source="system")
    totals.rebuild()


@transaction.atomic
def subtree_totals_rebuild(*, source: str = "cli") -> int:
    """Recompute every subtree total from the values: the server operator's repair tool (no
    page or endpoint offers it; totals are kept by every write)."""
    _batch(actor=None, source="system")
    written = totals.rebuild()
    audit_record(actor=None, action="measurement.subtree_totals.rebuild",
                 object_type="measurement.subtreetotal", after={"rows": written},
                 source=source)
    return written


# --- Ending an enrolment -------------------------------------------------------------------

END_BEFORE_START = "The end ({ended}) cannot be before the enrolment started ({started})."
END_IN_FUTURE = ("The end ({ended}) is in the future; end the enrolment on the day the unit "
                 "leaves.")


@transaction.atomic
def enrolment_end(*, enrolment: Enrolment, ended: date | None, actor: Any,
                  source: str = "web", today: date | None = None) -> Enrolment:
    """The unit leaves the target area on `ended`; None re-opens the enrolment.

    The end counts as the last day of taking part: the unit stays expected for every period
    that starts on or before it and drops out of completeness after. The end may not lie in
    the future, because an ended enrolment closes data entry for the area at once (a unit
    reports only while enrolled); a coordinator re-opens it to let late values in.
    """
    _authorize_unless_system(actor, "enrolment.manage", enrolment.unit)
    today = today or date.today()
    if ended is not None:
        if ended < enrolment.started:
            raise DomainError(END_BEFORE_START.format(ended=ended, started=enrolment.started),
                              {"fields": {"ended": END_BEFORE_START.format(
                                  ended=ended, started=enrolment.started)}})
        if ended > today:
            raise DomainError(END_IN_FUTURE.format(ended=ended),
                              {"fields": {"ended": END_IN_FUTURE.format(ended=ended)}})
    before = snapshot(enrolment, ["ended"])
    enrolment.ended = ended
    enrolment.full_clean()
    enrolment.save(update_fields=["ended", "updated_at"])
    audit_record(actor=actor, action=("measurement.enrolment.end" if ended is not None
                                      else "measurement.enrolment.reopen"),
                 target=enrolment, org_path=enrolment.unit.path, before=before,
                 after=snapshot(enrolment, ["ended"]), source=source)
    return enrolment
