"""Every write of the GTT module: validated, atomic, authorised and audited.

`actor=None` means the server operator on the command line (as in `safehands orgs import`):
no permission check, and the audit trail records the source.
"""

from __future__ import annotations

import csv
import random
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from safehands.audit.services import audit_record, snapshot
from safehands.core.csvtext import csv_open, csv_unreadable
from safehands.core.errors import AccessDenied, Conflict, DomainError
from safehands.harm.content import gtt_content
from safehands.harm.models import (
    AdverseEvent,
    DischargeUpload,
    GttMember,
    GttTeam,
    MemberRole,
    PrimaryReview,
    RecordStatus,
    ReviewPeriod,
    ReviewRecord,
    SampleDraw,
    Stay,
)
from safehands.orgs.access import authorize, can
from safehands.orgs.models import CODE_PATTERN, OrgUnit

MINUTES_LIMIT = 20

TEAM_CODE_INVALID = "'{value}' is not a valid team code: use 1-40 letters, digits, '.', '_' or '-'."
TEAM_CODE_TAKEN = "There is already a GTT team with code '{value}'."
POPULATION_OVERLAP = (
    "The population {unit} overlaps team {team}'s population {other}: populations must not "
    "overlap (no team's unit inside or above another's), so that every stay belongs to "
    "exactly one sampling population."
)
SAMPLE_SIZE_INVALID = "The sample size must be at least 1 stay per period."
PERIOD_DAYS_INVALID = "A review period lasts at least 1 day."
MEMBER_ROLE_INVALID = "'{value}' is not a GTT team role; use one of {roles}."
MEMBER_NEEDS_ACCESS = "{user} has no GTT review rights on {unit}; grant a role there first."
NOT_A_MEMBER = "You are not a {role} of GTT team {team}."
RECORDS_HIDDEN = "GTT records of team {team} are visible only to its members and coordinators."

PERIOD_LOCKED = "The review period {period} is locked; unlock it first."
PERIOD_ALREADY_DRAWN = "The sample for {period} was already drawn (seed {seed})."
PERIOD_OVERLAP = (
    "The period {start} to {end} overlaps the review period {other}; every stay belongs to one "
    "period, so start the next period the day after the last one ends."
)
PERIOD_NOT_OVER = (
    "The period ends on {end}: draw its sample once it is over, so that only closed stays "
    "are sampled."
)
PERIOD_NOT_LOCKED = "The review period {period} is not locked."
PERIOD_UNREVIEWED = "{count} record(s) of {period} are not confirmed yet; confirm them first."
UNLOCK_REASON_MISSING = "Say why the period is unlocked; the reason is kept in the audit trail."
NO_ELIGIBLE_STAYS = (
    "No eligible stays were discharged in {period}: upload the discharge list for these dates."
)

TRIGGER_UNKNOWN = "'{value}' is not a trigger of the {variant} trigger list."
MINUTES_INVALID = "Minutes must be a whole number from 1 upwards."
MINUTES_OVER = (
    "{minutes} minutes is more than the {limit}-minute limit per record; the GTT method stops "
    "the review at {limit} minutes."
)
SEVERITY_INVALID = "'{value}' is not a GTT severity; use E, F, G, H or I."
HARM_TYPE_MISSING = "Give the harm type."

# File checks (discharge lists and review imports)
FILE_MISSING_COLUMNS = "The file lacks the column(s) {columns}; it needs {required}."
FILE_EMPTY = "The file has no rows."
VALUE_MISSING = "The {field} is empty."
DATE_INVALID = "'{value}' is not a date (use YYYY-MM-DD)."
DATETIME_INVALID = "'{value}' is not a date and time (use YYYY-MM-DD HH:MM or YYYY-MM-DD)."
DATES_REVERSED = "The discharge ({discharge}) is before the admission ({admission})."
STAY_DUPLICATE = "Stay id '{value}' appears more than once in the file (first on row {first})."
STAY_ID_INVALID = (
    "Stay id '{value}' is not a pseudonymous id: use 1-64 letters, digits, '.', '_' or '-'."
)
STAY_ID_PERSONAL = (
    "Stay id '{value}' looks like a national identity number (11 digits); only pseudonymous "
    "stay ids may be stored."
)
AGE_INVALID = "'{value}' is not an age in whole years (0-130)."
DAYS_INVALID = "'{value}' is not a number of patient-days (0 or more)."
STAY_CHANGED = (
    "Stay '{value}' was uploaded before with other data and has been sampled; it cannot change."
)
EVENT_STAY_UNKNOWN = "Stay '{value}' is not in the records file."
RECORD_IN_LOCKED_PERIOD = "Stay '{value}' belongs to the locked review period {period}."

DISCHARGE_COLUMNS = ("stay_id", "admission_time", "discharge_time", "age", "service")
RECORD_COLUMNS = ("stay_id", "admission_date", "discharge_date", "patient_days")
EVENT_COLUMNS = ("stay_id", "severity", "harm_type", "triggers")

STAY_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
NATIONAL_ID_PATTERN = re.compile(r"^\d{11}$")


@dataclass(frozen=True)
class Problem:
    row: int
    field: str
    value: str
    message: str
    file: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "row": self.row, "field": self.field, "value": self.value,
                "message": self.message}


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    events: int = 0
    eligible: int = 0
    dry_run: bool = False
    problems: list[Problem] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "invalid" if self.problems else ("dry_run" if self.dry_run else "applied")

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "dry_run": self.dry_run,
                "counts": {"created": self.created, "updated": self.updated,
                           "unchanged": self.unchanged, "events": self.events,
                           "eligible": self.eligible},
                "problems": [p.as_dict() for p in self.problems]}


def _authorize(actor: Any, permission: str, unit: OrgUnit) -> None:
    if actor is not None:
        authorize(actor, permission, unit)


def _audit_source(actor: Any, source: str) -> str:
    return source if actor is not None or source != "web" else "system"


# --- Teams --------------------------------------------------------------------------------

def _overlapping_team(unit: OrgUnit, *, exclude: GttTeam | None = None) -> GttTeam | None:
    for team in GttTeam.objects.select_related("population"):
        if exclude is not None and team.pk == exclude.pk:
            continue
        other = team.population.path
        if unit.path.startswith(other) or other.startswith(unit.path):
            return team
    return None


@transaction.atomic
def gtt_team_create(*, code: str, population: OrgUnit, actor: Any, name: str = "",
                    sample_size: int = 10, period_days: int = 14,
                    excluded_services: list[str] | None = None,
                    trigger_variant: str | None = None, source: str = "web") -> GttTeam:
    """A team for one sampling population; populations may not overlap (PROGRAMME_FACTS §2.2)."""
    _authorize(actor, "gtt.manage", population)
    if not re.match(CODE_PATTERN, code or ""):
        raise DomainError(TEAM_CODE_INVALID.format(value=code), {"field": "code"})
    if GttTeam.objects.filter(code=code).exists():
        raise DomainError(TEAM_CODE_TAKEN.format(value=code), {"field": "code"})
    if sample_size < 1:
        raise DomainError(SAMPLE_SIZE_INVALID, {"field": "sample_size"})
    variant = trigger_variant or gtt_content().default_variant
    if variant not in gtt_content().variants:
        raise DomainError(f"'{variant}' is not a trigger list.", {"field": "trigger_variant"})
    other = _overlapping_team(population)
    if other is not None:
        raise DomainError(POPULATION_OVERLAP.format(
            unit=population.code, team=other.code, other=other.population.code),
            {"field": "population", "team": other.code})
    team = GttTeam(code=code, name=name, population=population, sample_size=sample_size,
                   period_days=period_days, trigger_variant=variant)
    if excluded_services is not None:
        team.excluded_services = [s.strip().lower() for s in excluded_services if s.strip()]
    team.full_clean()
    team.save()
    audit_record(actor=actor, action="harm.team.create", target=team,
                 org_path=population.path, after=snapshot(team), source=source)
    return team


@transaction.atomic
def gtt_team_update(*, team: GttTeam, actor: Any, sample_size: int, period_days: int,
                    excluded_services: list[str], trigger_variant: str,
                    source: str = "web") -> GttTeam:
    """Change the sampling settings. Periods already drawn keep their sample and seed."""
    _authorize(actor, "gtt.manage", team.population)
    if sample_size < 1:
        raise DomainError(SAMPLE_SIZE_INVALID, {"field": "sample_size"})
    if period_days < 1:
        raise DomainError(PERIOD_DAYS_INVALID, {"field": "period_days"})
    if trigger_variant not in gtt_content().variants:
        raise DomainError(f"'{trigger_variant}' is not a trigger list.",
                          {"field": "trigger_variant"})
    fields = ["sample_size", "period_days", "excluded_services", "trigger_variant"]
    before = snapshot(team, fields)
    team.sample_size = sample_size
    team.period_days = period_days
    team.excluded_services = [s.strip().lower() for s in excluded_services if s.strip()]
    team.trigger_variant = trigger_variant
    after = snapshot(team, fields)
    if after != before:
        team.full_clean()
        team.save(update_fields=fields)
        audit_record(actor=actor, action="harm.team.update", target=team,
                     org_path=team.population.path, before=before, after=after, source=source)
    return team


@transaction.atomic
def gtt_member_add(*, team: GttTeam, user: Any, role: str, actor: Any,
                   source: str = "web") -> GttMember:
    """Add a primary reviewer, physician or coordinator. They need gtt.review on the unit."""
    _authorize(actor, "gtt.manage", team.population)
    if role not in MemberRole.values:
        raise DomainError(MEMBER_ROLE_INVALID.format(value=role, roles=", ".join(
            MemberRole.values)), {"field": "role"})
    if not can(user, "gtt.review", team.population):
        raise DomainError(MEMBER_NEEDS_ACCESS.format(user=user, unit=team.population.code),
                          {"field": "user"})
    member, created = GttMember.objects.get_or_create(team=team, user=user, role=role)
    if created:
        audit_record(actor=actor, action="harm.member.add", target=member,
                     org_path=team.population.path, after=snapshot(member), source=source)
    return member


def is_member(user: Any, team: GttTeam, role: str | None = None) -> bool:
    members = GttMember.objects.filter(team=team, user_id=getattr(user, "pk", None))
    if role is not None:
        members = members.filter(role=role)
    return members.exists()


def records_authorize(user: Any, team: GttTeam) -> None:
    """GTT records: team members (with review rights) or coordinators and admins above."""
    authorize(user, "gtt.review", team.population)
    if user.is_superuser or can(user, "gtt.manage", team.population) or is_member(user, team):
        return
    raise AccessDenied(RECORDS_HIDDEN.format(team=team.code),
                       {"permission": "gtt.review", "org_unit": team.population.code})


def _require_role(user: Any, team: GttTeam, role: str) -> None:
    records_authorize(user, team)
    if user.is_superuser or is_member(user, team, role):
        return
    raise AccessDenied(NOT_A_MEMBER.format(role=MemberRole(role).label.lower(), team=team.code),
                       {"permission": "gtt.review", "org_unit": team.population.code})


# --- Periods ------------------------------------------------------------------------------

def locked_period_for(team: GttTeam, day: date) -> ReviewPeriod | None:
    return ReviewPeriod.objects.filter(team=team, start__lte=day, end__gte=day,
                                       locked_at__isnull=False).first()


def _check_unlocked(period: ReviewPeriod | None) -> None:
    if period is not None and period.is_locked:
        raise Conflict(PERIOD_LOCKED.format(period=period), {"period": str(period)})


@transaction.atomic
def review_period_lock(*, period: ReviewPeriod, actor: Any, source: str = "web") -> ReviewPeriod:
    """Lock a completed period: every record confirmed; nothing changes after this."""
    _authorize(actor, "gtt.manage", period.team.population)
    if period.is_locked:
        return period
    open_count = period.records.exclude(status=RecordStatus.CONFIRMED).count()
    if open_count:
        raise DomainError(PERIOD_UNREVIEWED.format(count=open_count, period=period))
    before = snapshot(period, ["locked_at", "locked_by"])
    period.locked_at = timezone.now()
    period.locked_by = actor if actor is not None and actor.is_authenticated else None
    if period.locked_by is None:
        raise DomainError("Locking needs a signed-in user.")
    period.save(update_fields=["locked_at", "locked_by"])
    audit_record(actor=actor, action="harm.period.lock", target=period,
                 org_path=period.team.population.path, before=before,
                 after=snapshot(period, ["locked_at", "locked_by"]), source=source)
    return period


@transaction.atomic
def review_period_unlock(*, period: ReviewPeriod, reason: str, actor: Any,
                         source: str = "web") -> ReviewPeriod:
    _authorize(actor, "gtt.manage", period.team.population)
    if not period.is_locked:
        raise DomainError(PERIOD_NOT_LOCKED.format(period=period))
    if not reason.strip():
        raise DomainError(UNLOCK_REASON_MISSING, {"field": "reason"})
    before = snapshot(period, ["locked_at", "locked_by"])
    period.locked_at = None
    period.locked_by = None
    period.save(update_fields=["locked_at", "locked_by"])
    audit_record(actor=actor, action="harm.period.unlock", target=period,
                 org_path=period.team.population.path, before=before,
                 after={"locked_at": None, "locked_by": None, "reason": reason.strip()},
                 source=source)
    return period


# --- Discharge lists and sampling ----------------------------------------------------------

def _read_csv(text: str, required: tuple[str, ...], filename: str
              ) -> tuple[list[tuple[int, dict[str, str]]], list[Problem]]:
    reader = csv.DictReader(csv_open(text))
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in required if c not in header]
        if missing:
            return [], [Problem(1, ",".join(missing), "", FILE_MISSING_COLUMNS.format(
                columns=", ".join(missing), required=", ".join(required)), filename)]
        reader.fieldnames = header
        # Row numbers count the header as row 1, as a spreadsheet shows them.
        rows = [(number, {k: (v or "").strip() for k, v in raw.items() if k is not None})
                for number, raw in enumerate(reader, start=2)]
    except csv.Error as error:
        return [], [Problem(reader.line_num, "", "", csv_unreadable(error, reader.line_num),
                            filename)]
    if not rows:
        return [], [Problem(1, "", "", FILE_EMPTY, filename)]
    return rows, []


def _parse_datetime(value: str) -> datetime | None:
    try:
        if len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), time())
        else:
            parsed = datetime.fromisoformat(value.replace(" ", "T", 1))
    except ValueError:
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _stay_id_problem(number: int, value: str, seen: dict[str, int], filename: str
                     ) -> Problem | None:
    if not value:
        return Problem(number, "stay_id", "", VALUE_MISSING.format(field="stay_id"), filename)
    if NATIONAL_ID_PATTERN.match(value):
        return Problem(number, "stay_id", "", STAY_ID_PERSONAL.format(value=value[:2] + "…"),
                       filename)
    if not STAY_ID_PATTERN.match(value):
        return Problem(number, "stay_id", value, STAY_ID_INVALID.format(value=value), filename)
    if value in seen:
        return Problem(number, "stay_id", value, STAY_DUPLICATE.format(
            value=value, first=seen[value]), filename)
    seen[value] = number
    return None


def stay_is_eligible(*, admission: datetime, discharge: datetime, age: int, service: str,
                     excluded_services: list[str]) -> bool:
    """Closed adult stay of at least 24 hours outside excluded services (PROGRAMME_FACTS §2.2)."""
    return (discharge - admission >= timedelta(hours=24) and age >= 18
            and service.strip().lower() not in {s.lower() for s in excluded_services})


@transaction.atomic
def discharge_list_upload(*, team: GttTeam, text: str, actor: Any, filename: str = "",
                          dry_run: bool = False, source: str = "web") -> ImportSummary:
    """Store a discharge list (stay_id, admission_time, discharge_time, age, service).

    All or nothing. Stays already uploaded with the same data are unchanged; a changed stay is
    updated unless it was sampled already.
    """
    _authorize(actor, "gtt.manage", team.population)
    summary = ImportSummary(dry_run=dry_run)
    rows, summary.problems = _read_csv(text, DISCHARGE_COLUMNS, filename)
    if summary.problems:
        return summary
    seen: dict[str, int] = {}
    parsed = []
    for number, row in rows:
        problems = []
        stay_problem = _stay_id_problem(number, row["stay_id"], seen, filename)
        if stay_problem:
            problems.append(stay_problem)
        times = {}
        for name in ("admission_time", "discharge_time"):
            value = row[name]
            if not value:
                problems.append(Problem(number, name, "", VALUE_MISSING.format(field=name),
                                        filename))
                continue
            times[name] = _parse_datetime(value)
            if times[name] is None:
                problems.append(Problem(number, name, value, DATETIME_INVALID.format(
                    value=value), filename))
        if len(times) == 2 and None not in times.values() and (
                times["discharge_time"] < times["admission_time"]):
            problems.append(Problem(number, "discharge_time", row["discharge_time"],
                                    DATES_REVERSED.format(discharge=row["discharge_time"],
                                                          admission=row["admission_time"]),
                                    filename))
        age = None
        if not row["age"].isdigit() or int(row["age"]) > 130:
            problems.append(Problem(number, "age", row["age"], AGE_INVALID.format(
                value=row["age"]), filename))
        else:
            age = int(row["age"])
        if problems:
            summary.problems.extend(problems)
            continue
        parsed.append((number, row["stay_id"], times["admission_time"],
                       times["discharge_time"], age, row["service"]))
    if summary.problems:
        return summary
    existing = {s.stay_id: s for s in Stay.objects.filter(
        team=team, stay_id__in=[p[1] for p in parsed])}
    sampled = set(ReviewRecord.objects.filter(team=team, stay_id__in=list(existing))
                  .values_list("stay_id", flat=True))
    new, changed = [], []
    for number, stay_id, admission, discharge, age, service in parsed:
        eligible = stay_is_eligible(admission=admission, discharge=discharge, age=age,
                                    service=service, excluded_services=team.excluded_services)
        summary.eligible += eligible
        old = existing.get(stay_id)
        values = {"admission_time": admission, "discharge_time": discharge, "age": age,
                  "service": service, "eligible": eligible}
        if old is None:
            new.append(Stay(team=team, stay_id=stay_id, **values))
        elif any(getattr(old, k) != v for k, v in values.items()):
            if stay_id in sampled:
                summary.problems.append(Problem(number, "stay_id", stay_id, STAY_CHANGED.format(
                    value=stay_id), filename))
            changed.append((old, values))
        else:
            summary.unchanged += 1
    summary.created, summary.updated = len(new), len(changed)
    if summary.problems or dry_run:
        return summary
    upload = DischargeUpload.objects.create(
        team=team, filename=filename[:300], rows=len(parsed), eligible=summary.eligible,
        uploaded_by=actor if actor is not None and actor.is_authenticated else None)
    for stay in new:
        stay.upload = upload
    Stay.objects.bulk_create(new)
    for old, values in changed:
        for k, v in values.items():
            setattr(old, k, v)
        old.upload = upload
        old.save()
    audit_record(actor=actor, action="harm.discharge_list.upload", target=upload,
                 org_path=team.population.path,
                 after={"filename": filename, "rows": len(parsed), "created": summary.created,
                        "updated": summary.updated, "unchanged": summary.unchanged,
                        "eligible": summary.eligible,
                        "changed_stays": [old.stay_id for old, _ in changed]},
                 source=source)
    return summary


def _patient_days(admission: date, discharge: date) -> Decimal:
    """Length of stay in days: days between admission and discharge dates (midnights), at
    least 1 (an eligible stay lasted 24 hours or more)."""
    return Decimal(max(1, (discharge - admission).days))


@transaction.atomic
def sample_draw(*, team: GttTeam, start: date, actor: Any, seed: int | None = None,
                source: str = "web") -> SampleDraw:
    """Draw the period's random sample of eligible stays discharged from `start` for
    `team.period_days` days. The seed is recorded and audited, so the draw can be repeated:
    the eligible stays are sorted by stay id and `random.Random(seed).sample` picks them."""
    _authorize(actor, "gtt.manage", team.population)
    end = start + timedelta(days=team.period_days - 1)
    if end >= timezone.localdate():
        raise DomainError(PERIOD_NOT_OVER.format(end=end), {"field": "start"})
    overlapping = ReviewPeriod.objects.filter(team=team, start__lte=end, end__gte=start).exclude(
        start=start).first()
    if overlapping is not None:
        raise DomainError(PERIOD_OVERLAP.format(start=start, end=end, other=overlapping),
                          {"field": "start"})
    period, _ = ReviewPeriod.objects.get_or_create(team=team, start=start,
                                                   defaults={"end": end})
    _check_unlocked(period)
    draw = SampleDraw.objects.filter(period=period).first()
    if draw is not None:
        raise DomainError(PERIOD_ALREADY_DRAWN.format(period=period, seed=draw.seed))
    stays = sample_eligible_stays(team=team, start=period.start, end=period.end)
    if not stays:
        raise DomainError(NO_ELIGIBLE_STAYS.format(period=period))
    if seed is None:
        seed = secrets.randbits(48)
    chosen = sample_choose(stays, size=team.sample_size, seed=seed)
    draw = SampleDraw.objects.create(
        period=period, seed=seed, eligible=len(stays), sample_size=team.sample_size,
        drawn_by=actor if actor is not None and actor.is_authenticated else None)
    ReviewRecord.objects.bulk_create([
        ReviewRecord(team=team, period=period, stay_id=s.stay_id,
                     admission_date=timezone.localdate(s.admission_time),
                     discharge_date=timezone.localdate(s.discharge_time),
                     patient_days=_patient_days(timezone.localdate(s.admission_time),
                                                timezone.localdate(s.discharge_time)))
        for s in chosen])
    audit_record(actor=actor, action="harm.sample.draw", target=draw,
                 org_path=team.population.path,
                 after={"period": str(period), "seed": seed, "eligible": len(stays),
                        "sample_size": team.sample_size,
                        "stays": [s.stay_id for s in chosen]}, source=source)
    return draw


def sample_eligible_stays(*, team: GttTeam, start: date, end: date) -> list[Stay]:
    """Eligible stays discharged within [start, end] (local dates), sorted by stay id."""
    tz = timezone.get_current_timezone()
    lower = datetime.combine(start, time(), tzinfo=tz)
    upper = datetime.combine(end + timedelta(days=1), time(), tzinfo=tz)
    return list(Stay.objects.filter(team=team, eligible=True, discharge_time__gte=lower,
                                    discharge_time__lt=upper).exclude(
        stay_id__in=ReviewRecord.objects.filter(team=team).values("stay_id")
    ).order_by("stay_id"))


def sample_choose(stays: list[Any], *, size: int, seed: int) -> list[Any]:
    """The reproducible choice: same stays, same seed -> same sample."""
    ordered = sorted(stays, key=lambda s: s.stay_id)
    if len(ordered) <= size:
        return ordered
    return sorted(random.Random(seed).sample(ordered, size), key=lambda s: s.stay_id)


# --- Two-stage review ---------------------------------------------------------------------

def _check_triggers(team: GttTeam, triggers: list[str]) -> list[str]:
    variant = gtt_content().variant(team.trigger_variant)
    cleaned = []
    for code in triggers:
        code = code.strip().upper()
        if not code:
            continue
        if variant.trigger(code) is None:
            raise DomainError(TRIGGER_UNKNOWN.format(value=code, variant=variant.code),
                              {"field": "triggers", "value": code})
        if code not in cleaned:
            cleaned.append(code)
    return cleaned


@transaction.atomic
def primary_review_save(*, record: ReviewRecord, actor: Any, triggers: list[str],
                        minutes: int, candidate_count: int = 0, candidate_events: str = "",
                        source: str = "web") -> tuple[PrimaryReview, list[str]]:
    """Stage 1: a primary reviewer's own screening. Returns the review and any warnings
    (more than 20 minutes is allowed but flagged: the method caps a review at 20)."""
    team = record.team
    _require_role(actor, team, MemberRole.PRIMARY_REVIEWER)
    _check_unlocked(record.period or locked_period_for(team, record.discharge_date))
    if not isinstance(minutes, int) or minutes < 1:
        raise DomainError(MINUTES_INVALID, {"field": "minutes"})
    cleaned = _check_triggers(team, triggers)
    review = PrimaryReview.objects.filter(record=record, reviewer=actor).first()
    before = snapshot(review) if review else None
    if review is None:
        review = PrimaryReview(record=record, reviewer=actor)
    review.triggers = cleaned
    review.minutes = minutes
    review.candidate_count = max(0, int(candidate_count))
    review.candidate_events = candidate_events.strip()
    review.save()
    if record.status == RecordStatus.TO_REVIEW:
        record.status = RecordStatus.SCREENED
        record.save(update_fields=["status"])
    audit_record(actor=actor, action="harm.primary_review." + ("update" if before else "create"),
                 target=review, org_path=team.population.path, before=before,
                 after=snapshot(review), source=source)
    warnings = []
    if minutes > MINUTES_LIMIT:
        warnings.append(MINUTES_OVER.format(minutes=minutes, limit=MINUTES_LIMIT))
    return review, warnings


@dataclass(frozen=True)
class EventInput:
    severity: str
    harm_type: str
    description: str = ""
    triggers: tuple[str, ...] = ()


def _event_rows(team: GttTeam, events: list[EventInput]) -> list[dict[str, Any]]:
    content = gtt_content()
    rows = []
    for event in events:
        severity = event.severity.strip().upper()
        if severity not in content.severity_codes:
            raise DomainError(SEVERITY_INVALID.format(value=event.severity),
                              {"field": "severity"})
        if not event.harm_type.strip():
            raise DomainError(HARM_TYPE_MISSING, {"field": "harm_type"})
        code, text = content.harm_type_match(event.harm_type)
        rows.append({"severity": severity, "harm_type": code, "harm_type_text": text,
                     "description": event.description.strip(),
                     "triggers": _check_triggers(team, list(event.triggers))})
    return rows


@transaction.atomic
def record_confirm(*, record: ReviewRecord, events: list[EventInput], actor: Any,
                   source: str = "web") -> ReviewRecord:
    """Stage 2: the physician's decision settles the record: its adverse events (none is a
    decision too) replace whatever was there."""
    team = record.team
    _require_role(actor, team, MemberRole.PHYSICIAN)
    _check_unlocked(record.period or locked_period_for(team, record.discharge_date))
    rows = _event_rows(team, events)
    before = {"status": record.status, "events": _events_snapshot(record)}
    record.events.all().delete()
    AdverseEvent.objects.bulk_create([AdverseEvent(record=record, confirmed_by=actor, **row)
                                      for row in rows])
    record.status = RecordStatus.CONFIRMED
    record.confirmed_at = timezone.now()
    record.confirmed_by = actor
    record.save(update_fields=["status", "confirmed_at", "confirmed_by"])
    audit_record(actor=actor, action="harm.record.confirm", target=record,
                 org_path=team.population.path, before=before,
                 after={"status": record.status, "events": rows}, source=source)
    return record


def _events_snapshot(record: ReviewRecord) -> list[dict[str, Any]]:
    return [{"severity": e.severity, "harm_type": e.harm_type,
             "harm_type_text": e.harm_type_text, "description": e.description,
             "triggers": e.triggers} for e in record.events.all()]


# --- Import of completed reviews ----------------------------------------------------------

def _event_key(row: dict[str, Any]) -> tuple:
    return (row["severity"], row["harm_type"], row["harm_type_text"], tuple(row["triggers"]))


@transaction.atomic
def reviews_import(*, team: GttTeam, records_text: str, events_text: str | None = None,
                   actor: Any, dry_run: bool = False, records_filename: str = "RECORDS.csv",
                   events_filename: str = "EVENTS.csv", source: str = "import"
                   ) -> ImportSummary:
    """Import completed reviews (records and their confirmed adverse events).

    All or nothing: any problem in either file and nothing changes. A stay already imported
    with the same dates, patient-days and events is unchanged, so re-importing the same files
    changes nothing; a stay with different data is updated. Stays in a locked period are
    conflicts. A stay in RECORDS.csv without a row in EVENTS.csv had no adverse event.
    """
    _authorize(actor, "gtt.manage", team.population)
    summary = ImportSummary(dry_run=dry_run)
    content = gtt_content()
    variant = content.variant(team.trigger_variant)
    rows, problems = _read_csv(records_text, RECORD_COLUMNS, records_filename)
    summary.problems.extend(problems)
    seen: dict[str, int] = {}
    records: dict[str, dict[str, Any]] = {}
    for number, row in rows:
        before = len(summary.problems)
        stay_problem = _stay_id_problem(number, row["stay_id"], seen, records_filename)
        if stay_problem:
            summary.problems.append(stay_problem)
        dates = {}
        for name in ("admission_date", "discharge_date"):
            value = row[name]
            if not value:
                summary.problems.append(Problem(number, name, "", VALUE_MISSING.format(
                    field=name), records_filename))
                continue
            try:
                dates[name] = date.fromisoformat(value)
            except ValueError:
                summary.problems.append(Problem(number, name, value, DATE_INVALID.format(
                    value=value), records_filename))
        if len(dates) == 2 and dates["discharge_date"] < dates["admission_date"]:
            summary.problems.append(Problem(
                number, "discharge_date", row["discharge_date"], DATES_REVERSED.format(
                    discharge=row["discharge_date"], admission=row["admission_date"]),
                records_filename))
        try:
            days = Decimal(row["patient_days"])
            if not days.is_finite() or days < 0 or days >= Decimal("1e6"):
                raise InvalidOperation
            days = days.quantize(Decimal("0.01"))
        except InvalidOperation:
            summary.problems.append(Problem(number, "patient_days", row["patient_days"],
                                            DAYS_INVALID.format(value=row["patient_days"]),
                                            records_filename))
        if len(summary.problems) == before:
            records[row["stay_id"]] = {"row": number, "admission_date": dates["admission_date"],
                                       "discharge_date": dates["discharge_date"],
                                       "patient_days": days, "events": []}
    if events_text is not None:
        erows, problems = _read_csv(events_text, EVENT_COLUMNS, events_filename)
        summary.problems.extend(problems)
        for number, row in erows:
            stay_id = row["stay_id"]
            bad = False
            if stay_id not in seen:
                summary.problems.append(Problem(number, "stay_id", stay_id,
                                                EVENT_STAY_UNKNOWN.format(value=stay_id),
                                                events_filename))
                bad = True
            severity = row["severity"].upper()
            if severity not in content.severity_codes:
                summary.problems.append(Problem(number, "severity", row["severity"],
                                                SEVERITY_INVALID.format(value=row["severity"]),
                                                events_filename))
                bad = True
            if not row["harm_type"]:
                summary.problems.append(Problem(number, "harm_type", "", HARM_TYPE_MISSING,
                                                events_filename))
                bad = True
            triggers = [t.strip().upper() for t in row["triggers"].split(";") if t.strip()]
            for code in triggers:
                if variant.trigger(code) is None:
                    summary.problems.append(Problem(number, "triggers", code,
                                                    TRIGGER_UNKNOWN.format(
                                                        value=code, variant=variant.code),
                                                    events_filename))
                    bad = True
            if not bad and stay_id in records:
                code, text = content.harm_type_match(row["harm_type"])
                records[stay_id]["events"].append({
                    "severity": severity, "harm_type": code, "harm_type_text": text,
                    "description": "", "triggers": list(dict.fromkeys(triggers))})
    if summary.problems:
        return summary
    existing = {r.stay_id: r for r in ReviewRecord.objects.filter(
        team=team, stay_id__in=list(records)).prefetch_related("events")}
    locked = list(ReviewPeriod.objects.filter(team=team, locked_at__isnull=False))
    to_create, to_update = [], []
    for stay_id, data in records.items():
        old = existing.get(stay_id)
        period = next((p for p in locked if p.start <= data["discharge_date"] <= p.end), None)
        if old is not None:
            same = (old.admission_date == data["admission_date"]
                    and old.discharge_date == data["discharge_date"]
                    and old.patient_days == data["patient_days"]
                    and old.status == RecordStatus.CONFIRMED
                    and Counter(_event_key(e) for e in _events_snapshot(old))
                    == Counter(_event_key(e) for e in data["events"]))
            if same:
                summary.unchanged += 1
                continue
            if old.period is not None and old.period.is_locked:
                period = old.period
        if period is not None:
            summary.problems.append(Problem(data["row"], "discharge_date", stay_id,
                                            RECORD_IN_LOCKED_PERIOD.format(value=stay_id,
                                                                           period=period),
                                            records_filename))
            continue
        (to_update if old is not None else to_create).append((stay_id, data, old))
    summary.created, summary.updated = len(to_create), len(to_update)
    summary.events = sum(len(d["events"]) for _, d, _ in to_create + to_update)
    if summary.problems or dry_run or not (to_create or to_update):
        return summary
    now = timezone.now()
    user = actor if actor is not None and actor.is_authenticated else None
    changes = []
    for stay_id, data, old in to_create + to_update:
        record = old or ReviewRecord(team=team, stay_id=stay_id, source="import")
        before = None if old is None else {
            "admission_date": old.admission_date, "discharge_date": old.discharge_date,
            "patient_days": old.patient_days, "status": old.status,
            "events": _events_snapshot(old)}
        record.admission_date = data["admission_date"]
        record.discharge_date = data["discharge_date"]
        record.patient_days = data["patient_days"]
        record.status = RecordStatus.CONFIRMED
        record.confirmed_at = now
        record.confirmed_by = user
        record.save()
        record.events.all().delete()
        AdverseEvent.objects.bulk_create([AdverseEvent(record=record, confirmed_by=user, **e)
                                          for e in data["events"]])
        changes.append({"stay_id": stay_id, "before": before, "after": {
            k: data[k] for k in ("admission_date", "discharge_date", "patient_days", "events")}})
    audit_record(actor=actor, action="harm.reviews.import", object_type="harm.gttteam",
                 object_id=str(team.pk), object_repr=team.code, org_path=team.population.path,
                 after={"records_file": records_filename, "events_file": events_filename,
                        "created": summary.created, "updated": summary.updated,
                        "unchanged": summary.unchanged, "changes": changes}, source=source)
    return summary
