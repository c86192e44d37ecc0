"""Demo self-assessments: Oslo University Hospital (Safer Together, a baseline and a re-score)
and Oslo municipality (the Norwegian action plan), each closed, with an action plan.

Idempotent: an assessment that exists (same unit and title) is left alone. The team members
are demo users made here (password: the demo password), each a reporter on the unit. The
ratings follow a fixed pattern so the demo report is the same on every machine.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from safehands.assessment.models import Action, Assessment, Instrument
from safehands.assessment.services import (
    action_create,
    assessment_close,
    assessment_start,
    consensus_record,
    instruments_load,
    ratings_save,
    team_member_invite,
)
from safehands.orgs.models import Membership
from safehands.orgs.queries import org_unit_get
from safehands.orgs.services import membership_grant

# The same password as the other demo users (safehands.demo.load.DEMO_PASSWORD); the demo
# package sits above the apps, so the value is repeated rather than imported.
DEMO_PASSWORD = "safehands-demo"

# username, full name, unit, profession
TEAM_USERS = [
    ("ous.nurse", "Nina Sykepleier", "OUS", "nurse"),
    ("ous.physician", "Lars Lege", "OUS", "physician"),
    ("ous.patient.adviser", "Berit Bruker", "OUS", "patient adviser"),
    ("oslo.nurse", "Hilde Hjemmesykepleier", "K0301", "nurse"),
    ("oslo.manager", "Geir Leder", "K0301", "nursing-home manager"),
]

# Dates are days before or after the day the demo loads, so the plan always looks current.
# (unit, coordinator, instrument, title, start (days from today), team, area levels)
DEMO_ASSESSMENTS = [
    ("OUS", "ous.coordinator", "safer-together", "Baseline", -600,
     ["ous.nurse", "ous.physician", "ous.patient.adviser"],
     {"safer-together.clg": 2, "safer-together.pfe": 1, "safer-together.ws": 2,
      "safer-together.ls": 2}),
    ("OUS", "ous.coordinator", "safer-together", "Re-assessment", -90,
     ["ous.nurse", "ous.physician", "ous.patient.adviser"],
     {"safer-together.clg": 3, "safer-together.pfe": 2, "safer-together.ws": 2,
      "safer-together.ls": 3}),
    ("K0301", "oslo.coordinator", "nap-2019-2023", "Baseline", -120,
     ["oslo.nurse", "oslo.manager"],
     {"nap-2019-2023.leadership_culture": 2, "nap-2019-2023.competence": 1,
      "nap-2019-2023.national_initiatives": 3, "nap-2019-2023.systems_structures": 2}),
]

# Each rater's offset from the area level on the n-th element of an area: the coordinator
# agrees with the level, others differ on some elements, the patient adviser is unsure about
# workforce questions. "U" means unsure.
OFFSETS = {
    0: [0, 0, 0, 0, 0, 0, 0, 0],
    1: [-1, 0, 1, 0, -1, 0, 0, 1],
    2: [1, 0, 0, 2, 0, -1, 0, 0],
    3: [0, -1, "U", 0, 1, 0, -1, 0],
}

# (unit, assessment title, what, owner, due (days from today), status, tactic, target area)
DEMO_ACTIONS = [
    ("OUS", "Re-assessment", "Appoint two patient advisers to the quality committee",
     "Director of quality", 45, "in_progress", "st.r06.advisers", None),
    ("OUS", "Re-assessment", "Family-activated escalation routine on all medical wards",
     "Head of medicine", -10, "planned", "st.r05.concerns", "deterioration"),
    ("OUS", "Re-assessment", "Peer support after serious events",
     "HR and occupational health", 120, "planned", "st.r10.peer_support", None),
    ("OUS", "Baseline", "Safety walk-rounds by the executive team every month",
     "Chief executive", -400, "done", "st.r01.walkrounds", None),
    ("K0301", "Baseline", "Improvement course for nursing-home leaders",
     "Municipal quality adviser", 60, "in_progress", "nap.co.training", None),
    ("K0301", "Baseline", "Enrol the long-term units in the falls target area",
     "Nursing-home managers", 20, "planned", "nap.ni.target_areas", "falls"),
]


def _user(username: str, name: str, unit_code: str) -> tuple[Any, bool]:
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    created = user is None
    if created:
        first, _, last = name.partition(" ")
        user = User.objects.create_user(username=username, password=DEMO_PASSWORD,
                                        first_name=first, last_name=last)
    unit = org_unit_get(code=unit_code)
    if not Membership.objects.filter(user=user, org_unit=unit, role="reporter").exists():
        membership_grant(user=user, org_unit=unit, role="reporter", actor=None, source="system")
    return user, created


def _value(level: int, offset: int | str) -> str:
    if offset == "U":
        return "unsure"
    return str(min(4, max(1, level + int(offset))))


def _agreed(values: list[str]) -> str:
    numbers = [int(v) for v in values if v != "unsure"]
    if not numbers:
        return "unsure"
    return str(int(sum(numbers) / len(numbers) + 0.5))  # the rounded mean, half up


def _assessment(unit_code: str, coordinator_name: str, instrument_code: str, title: str,
                start_day: int, team: list[str], levels: dict[str, int]) -> bool:
    unit = org_unit_get(code=unit_code)
    if Assessment.objects.filter(org_unit=unit, title=title).exists():
        return False
    User = get_user_model()
    coordinator = User.objects.get(username=coordinator_name)
    instrument = Instrument.objects.get(code=instrument_code)
    assessment = assessment_start(org_unit=unit, instrument=instrument, title=title,
                                  actor=coordinator, source="system")
    members = [coordinator]
    for username in team:
        profession = next(p for u, _, _, p in TEAM_USERS if u == username)
        team_member_invite(assessment=assessment, username=username, profession=profession,
                           actor=coordinator, source="system")
        members.append(User.objects.get(username=username))
    elements = list(instrument.elements.select_related("area").order_by("position"))
    by_area: dict[str, list[Any]] = {}
    for element in elements:
        by_area.setdefault(element.area.code, []).append(element)
    given: dict[str, list[str]] = {}
    for index, member in enumerate(members):
        ratings = {}
        for area_code, items in by_area.items():
            for n, element in enumerate(items):
                offset = OFFSETS[index % 4][n % 8]
                if offset == "U" and not area_code.endswith(".ws"):
                    offset = 0
                value = _value(levels[area_code], offset)
                ratings[element.code] = (value, "")
                given.setdefault(element.code, []).append(value)
        ratings_save(assessment=assessment, ratings=ratings, actor=member, source="system")
    consensus_record(assessment=assessment,
                     scores={code: (_agreed(values), "") for code, values in given.items()},
                     actor=coordinator, source="system")
    assessment_close(assessment=assessment, actor=coordinator, source="system",
                     note="Demo assessment")
    started = timezone.localdate() + datetime.timedelta(days=start_day)
    stamp = timezone.make_aware(datetime.datetime.combine(started, datetime.time(9)))
    Assessment.objects.filter(pk=assessment.pk).update(
        started_at=stamp, closed_at=stamp + datetime.timedelta(days=14))
    return True


@transaction.atomic
def demo_load() -> dict[str, int]:
    """The DEMO_STEPS entry: instruments, team users, assessments and action plans."""
    loaded = instruments_load(actor=None, source="system")
    users_created = sum(_user(u, name, unit)[1] for u, name, unit, _ in TEAM_USERS)
    created = sum(_assessment(*spec) for spec in DEMO_ASSESSMENTS)
    actions = 0
    for unit_code, title, what, owner, due, status, tactic, target in DEMO_ACTIONS:
        unit = org_unit_get(code=unit_code)
        if Action.objects.filter(org_unit=unit, what=what).exists():
            continue
        assessment = Assessment.objects.get(org_unit=unit, title=title)
        due_date = timezone.localdate() + datetime.timedelta(days=due)
        action_create(org_unit=unit, what=what, owner=owner, due_date=due_date, status=status,
                      tactic=tactic, target_area=target, assessment=assessment,
                      note=f"From {title}", actor=assessment.started_by, source="system")
        actions += 1
    return {"assessment_content_created": sum(loaded.created.values()),
            "assessment_users_created": users_created, "assessments_created": created,
            "actions_created": actions}
