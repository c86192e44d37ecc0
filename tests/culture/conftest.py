"""Culture fixtures: the packaged instruments and an open round over Hospital One."""

from __future__ import annotations

import datetime

import pytest


@pytest.fixture
def instruments(db):
    from safehands.culture.models import Instrument
    from safehands.culture.services import instruments_load_packaged

    instruments_load_packaged()
    return {i.code: i for i in Instrument.objects.all()}


@pytest.fixture
def coordinator(tree, make_user):
    return make_user("hospital.coordinator", ("H1", "coordinator"))


@pytest.fixture
def open_round(tree, instruments, coordinator):
    from safehands.culture.services import round_open

    today = datetime.date.today()
    return round_open(root=tree["H1"], instrument=instruments["saq"], title="Culture 2026",
                      opens_on=today - datetime.timedelta(days=1),
                      closes_on=today + datetime.timedelta(days=14), actor=coordinator)


def team_answers(value: int = 5) -> dict[str, int]:
    """SAQ teamwork climate answers all at `value` (item 2 reversed to match)."""
    answers = {f"SAQ{i}": value for i in range(1, 7)}
    answers["SAQ2"] = 6 - value
    return answers


def answer(survey_round, unit_code: str, n: int, value: int = 5) -> None:
    from safehands.culture.models import RoundUnit
    from safehands.culture.services import response_submit

    code = RoundUnit.objects.get(survey_round=survey_round, org_unit__code=unit_code).join_code
    for _ in range(n):
        response_submit(survey_round=survey_round, answers=team_answers(value), join_code=code)
