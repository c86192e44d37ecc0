"""Demo survey data: two closed SAQ rounds at Rikshospitalet with realistic answers.

Answers are simulated (seeded, so every demo looks the same): each ward has its own climate,
the second round is a little better than the first, and one small ward has too few
respondents so that protection shows. Idempotent: a second run creates nothing.
"""

from __future__ import annotations

import datetime
import random

from django.contrib.auth import get_user_model
from django.db import transaction

from safehands.culture.models import Instrument, RoundUnit, SurveyRound
from safehands.culture.services import (
    action_note_save,
    instruments_load_packaged,
    response_submit,
    round_close,
    round_open,
)
from safehands.orgs.models import OrgUnit

DEMO_ROOT = "OUS-RH"
DEMO_COORDINATOR = "ous.coordinator"
DEMO_ROUNDS = [  # title, opens, closes, improvement over the first round
    ("Safety culture survey 2024 (demo)", datetime.date(2024, 10, 1),
     datetime.date(2024, 10, 21), 0.0),
    ("Safety culture survey 2025 (demo)", datetime.date(2025, 10, 1),
     datetime.date(2025, 10, 21), 0.25),
]
# unit code suffix -> (respondents, climate: mean answer on the 1-5 scale)
WARDS = {"MED": (14, 3.9), "SUR": (11, 3.6), "ORT": (9, 4.1), "ED": (12, 3.3),
         "ICU": (16, 4.2), "GER": (7, 3.8), "STR": (3, 4.0), "CAR": (10, 3.7), "PSY": (6, 3.4)}


def _answers(rng: random.Random, items: list[tuple[str, bool]], climate: float) -> dict:
    answers = {}
    for code, reverse in items:
        if rng.random() < 0.04:
            continue                                   # skipped
        if rng.random() < 0.02:
            answers[code] = 9                          # does not apply
            continue
        value = min(5, max(1, round(rng.gauss(climate, 0.9))))
        answers[code] = 6 - value if reverse else value
    return answers


@transaction.atomic
def demo_load() -> dict[str, int]:
    instruments = instruments_load_packaged(source="system")
    root = OrgUnit.objects.filter(code=DEMO_ROOT).first()
    actor = get_user_model().objects.filter(username=DEMO_COORDINATOR).first()
    if root is None or actor is None:
        return {**instruments, "rounds_created": 0, "responses_created": 0}
    saq = Instrument.objects.get(code="saq")
    items = list(saq.items.values_list("code", "reverse"))
    rounds = responses = 0
    for title, opens_on, closes_on, lift in DEMO_ROUNDS:
        if SurveyRound.objects.filter(title=title, root=root).exists():
            continue
        today = datetime.date.today()
        survey_round = round_open(root=root, instrument=saq, title=title, opens_on=today,
                                  closes_on=today, actor=actor, source="system")
        rng = random.Random(f"{title}")
        for ru in RoundUnit.objects.filter(survey_round=survey_round).select_related(
                "org_unit"):
            suffix = ru.org_unit.code.removeprefix(DEMO_ROOT + "-")
            if suffix not in WARDS:
                continue
            count, climate = WARDS[suffix]
            for _ in range(count):
                response_submit(survey_round=survey_round, join_code=ru.join_code,
                                answers=_answers(rng, items, climate + lift))
                responses += 1
        round_close(survey_round=survey_round, actor=actor, source="system")
        # The demo rounds ran in the past: give them their historical dates.
        SurveyRound.objects.filter(pk=survey_round.pk).update(opens_on=opens_on,
                                                              closes_on=closes_on)
        rounds += 1
    latest = SurveyRound.objects.filter(title=DEMO_ROUNDS[-1][0], root=root).first()
    med = OrgUnit.objects.filter(code=f"{DEMO_ROOT}-MED").first()
    if latest and med and rounds:
        action_note_save(survey_round=latest, org_unit=med, actor=actor, source="system",
                         keep="Daily safety huddle at 08:15; open talk about near misses.",
                         improve="Handover at shift change: try a shared checklist (PDSA).")
    return {**instruments, "rounds_created": rounds, "responses_created": responses}
