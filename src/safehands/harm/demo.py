"""Demo GTT data for `safehands setup --demo`: two teams with two years of reviews.

The harm level is shaped on the Norwegian national figures (PROGRAMME_FACTS §2.7): about 13%
of stays with at least one adverse event, mostly categories E and F (2020: F 7.6%, E 5.5%,
G 0.65%, H 0.30%, I 0.15% of stays). Everything goes through the services, so the demo has
the same audit trail, seeds and locks as real use. Idempotent: a second run creates nothing.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from safehands.harm.models import GttTeam, RecordStatus
from safehands.harm.services import (
    EventInput,
    discharge_list_upload,
    gtt_member_add,
    primary_review_save,
    record_confirm,
    review_period_lock,
    sample_draw,
)
from safehands.orgs.models import Membership, OrgUnit

# The same password as the other demo users (safehands.demo.load.DEMO_PASSWORD); the demo
# package sits above this app, so the constant is repeated rather than imported.
DEMO_PASSWORD = "safehands-demo"

# team code, population unit, eligible-sized discharge list per period, seed
TEAMS = (
    ("GTT-OUS", "OUS", "GTT-team Oslo universitetssykehus", 70, 2024),
    ("GTT-AHUS", "AHUS", "GTT-team Akershus universitetssykehus", 40, 2025),
)
# username, full name, team, GTT role
PEOPLE = (
    ("gtt.nurse1", "Anne Gjennomgang", "GTT-OUS", "primary_reviewer"),
    ("gtt.nurse2", "Berit Journal", "GTT-OUS", "primary_reviewer"),
    ("gtt.doctor", "Lars Lege", "GTT-OUS", "physician"),
    ("ahus.nurse1", "Hanne Trigger", "GTT-AHUS", "primary_reviewer"),
    ("ahus.nurse2", "Eva Screening", "GTT-AHUS", "primary_reviewer"),
    ("ahus.doctor", "Jon Overlege", "GTT-AHUS", "physician"),
)
LOCKED_BY = "hso.coordinator"
# Two years of reviewed two-week periods, then one sampled and waiting for review, then one
# whose discharge list is uploaded and waits for its draw.
PERIODS = 54
SCREENED_PERIODS = 4  # the latest completed periods also carry both nurses' screenings

P_HARMED = 0.13
EVENTS_PER_HARMED = ((1, 0.80), (2, 0.17), (3, 0.03))
SEVERITY_WEIGHTS = (("E", 0.385), ("F", 0.53), ("G", 0.045), ("H", 0.025), ("I", 0.015))
HARM_TYPES = (
    ("medication", 0.22, ("M3", "M4", "M9")), ("uti", 0.15, ("C11",)),
    ("other_surgical", 0.14, ("S1", "S11")), ("lower_respiratory_infection", 0.10, ("C11",)),
    ("other_infection", 0.09, ("C4", "C11")), ("surgical_infection", 0.08, ("C11", "S11")),
    ("pressure_ulcer", 0.07, ("C8",)), ("fall", 0.06, ("C7",)), ("other", 0.09, ("C15",)),
)
SERVICES = (("medicine", 0.45), ("surgery", 0.3), ("orthopaedics", 0.12), ("psychiatry", 0.05),
            ("paediatrics", 0.05), ("rehabilitation", 0.03))


def _pick(rng: random.Random, weighted) -> Any:
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


def _first_period_start(today: date) -> date:
    """Periods start on Mondays; the last one ended before today (its stays are closed)."""
    monday = today - timedelta(days=today.weekday())
    last_start = monday - timedelta(days=14)
    return last_start - timedelta(days=14 * (PERIODS - 1))


def _discharge_csv(rng: random.Random, start: date, size: int, team: str, number: int) -> str:
    lines = ["stay_id,admission_time,discharge_time,age,service"]
    tz = timezone.get_current_timezone()
    for i in range(size):
        discharge = datetime.combine(start + timedelta(days=rng.randrange(14)),
                                     time(rng.randrange(8, 20), rng.choice((0, 15, 30, 45))),
                                     tzinfo=tz)
        hours = max(4, int(rng.lognormvariate(4.4, 0.8)))  # median about 3.4 days
        admission = discharge - timedelta(hours=hours)
        age = rng.randrange(1, 18) if rng.random() < 0.04 else rng.randrange(18, 98)
        lines.append(f"{team}-{number:03d}-{i:03d},{admission:%Y-%m-%d %H:%M},"
                     f"{discharge:%Y-%m-%d %H:%M},{age},{_pick(rng, SERVICES)}")
    return "\n".join(lines) + "\n"


def _events(rng: random.Random) -> list[EventInput]:
    if rng.random() >= P_HARMED:
        return []
    count = _pick(rng, EVENTS_PER_HARMED)
    events = []
    for _ in range(count):
        harm_type, _weight, triggers = rng.choices(HARM_TYPES,
                                                   weights=[h[1] for h in HARM_TYPES])[0]
        events.append(EventInput(severity=_pick(rng, SEVERITY_WEIGHTS), harm_type=harm_type,
                                 description="Demo adverse event",
                                 triggers=(rng.choice(triggers),)))
    return events


def _user(username: str, name: str, unit: OrgUnit) -> Any:
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        first, _, last = name.partition(" ")
        user = User.objects.create_user(username=username, password=DEMO_PASSWORD,
                                        first_name=first, last_name=last)
    if not Membership.objects.filter(user=user, org_unit=unit).exists():
        Membership.objects.create(user=user, org_unit=unit, role="reporter")
    return user


@transaction.atomic
def demo_load(today: date | None = None) -> dict[str, int]:
    """Create the demo GTT teams and their reviews; nothing when they exist already."""
    counts = {"gtt_teams_created": 0, "gtt_periods_sampled": 0, "gtt_records_confirmed": 0,
              "gtt_adverse_events": 0}
    today = min(today or timezone.localdate(), timezone.localdate())
    for code, unit_code, name, size, seed in TEAMS:
        unit = OrgUnit.objects.filter(code=unit_code).first()
        if unit is None or GttTeam.objects.filter(code=code).exists():
            continue
        team = _create_team(code=code, unit=unit, name=name)
        counts["gtt_teams_created"] += 1
        rng = random.Random(seed)
        members = {role: [] for role in ("primary_reviewer", "physician")}
        for username, full_name, team_code, role in PEOPLE:
            if team_code == code:
                user = _user(username, full_name, unit)
                gtt_member_add(team=team, user=user, role=role, actor=None, source="system")
                members[role].append(user)
        doctor = members["physician"][0]
        # Completed periods are locked by the region's demo quality adviser, when present.
        locker = get_user_model().objects.filter(username=LOCKED_BY).first()
        start = _first_period_start(today)
        for number in range(PERIODS):
            period_start = start + timedelta(days=14 * number)
            discharge_list_upload(team=team, text=_discharge_csv(
                rng, period_start, size, code, number), actor=None,
                filename=f"discharges-{period_start:%Y-%m-%d}.csv", source="system")
            if number == PERIODS - 1:
                break  # the latest period's list is uploaded; drawing it is left to the team
            draw = sample_draw(team=team, start=period_start, actor=None,
                               seed=rng.randrange(2**40), source="system")
            counts["gtt_periods_sampled"] += 1
            if number == PERIODS - 2:
                continue  # the period before waits for the team's review
            screened = number >= PERIODS - 2 - SCREENED_PERIODS
            for record in draw.period.records.all():
                events = _events(rng)
                if screened:
                    for nurse in members["primary_reviewer"]:
                        primary_review_save(
                            record=record, actor=nurse,
                            triggers=[t for e in events for t in e.triggers]
                            if rng.random() < 0.85 else [], minutes=rng.randrange(6, 22),
                            candidate_count=len(events), source="system")
                record_confirm(record=record, events=events, actor=doctor, source="system")
                counts["gtt_records_confirmed"] += 1
                counts["gtt_adverse_events"] += len(events)
            if locker is not None and number < PERIODS - 3 and not draw.period.records.exclude(
                    status=RecordStatus.CONFIRMED).exists():
                review_period_lock(period=draw.period, actor=locker, source="system")
    return counts


def _create_team(*, code: str, unit: OrgUnit, name: str) -> GttTeam:
    from safehands.harm.services import gtt_team_create

    return gtt_team_create(code=code, population=unit, name=name, actor=None, source="system")
