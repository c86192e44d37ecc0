"""Read-log fixtures: a GTT team on Hospital One with a drawn sample, and a survey round."""

from __future__ import annotations

import datetime

import pytest

DISCHARGES = "stay_id,admission_time,discharge_time,age,service\n" + "".join(
    f"S{i:02d},2025-03-0{1 + i % 5} 08:00,2025-03-0{5 + i % 5} 10:00,60,medicine\n"
    for i in range(1, 13))


@pytest.fixture
def gtt(tree, make_user):
    """The team GTT-H1 (population H1), ten sampled records, and its people."""
    from safehands.harm.services import (
        discharge_list_upload,
        gtt_member_add,
        gtt_team_create,
        sample_draw,
    )

    team = gtt_team_create(code="GTT-H1", population=tree["H1"], actor=None, source="system")
    summary = discharge_list_upload(team=team, text=DISCHARGES, actor=None, source="system")
    assert not summary.problems, summary.problems
    draw = sample_draw(team=team, start=datetime.date(2025, 3, 1), actor=None, seed=7,
                       source="system")
    people = {
        "nurse": make_user("nurse", ("H1", "reporter")),
        "coord": make_user("coord", ("H1", "coordinator")),
        "regional": make_user("regional", ("R1", "coordinator")),
    }
    gtt_member_add(team=team, user=people["nurse"], role="primary_reviewer", actor=None,
                   source="system")
    return {"team": team, "period": draw.period, "people": people,
            "records": list(draw.period.records.order_by("stay_id"))}


@pytest.fixture
def survey(tree, make_user):
    """An open SAQ round over H1 with six answers from W1 and an action plan for W1."""
    from safehands.culture.models import Instrument, RoundUnit
    from safehands.culture.services import (
        action_note_save,
        instruments_load_packaged,
        response_submit,
        round_open,
    )

    instruments_load_packaged()
    leader = make_user("culture.lead", ("H1", "coordinator"))
    today = datetime.date.today()
    survey_round = round_open(root=tree["H1"], instrument=Instrument.objects.get(code="saq"),
                              title="Culture 2026", opens_on=today - datetime.timedelta(days=1),
                              closes_on=today + datetime.timedelta(days=14), actor=leader)
    code = RoundUnit.objects.get(survey_round=survey_round, org_unit__code="W1").join_code
    for _ in range(6):
        answers = {f"SAQ{i}": 5 for i in range(1, 7)}
        answers["SAQ2"] = 1
        response_submit(survey_round=survey_round, answers=answers, join_code=code)
    action_note_save(survey_round=survey_round, org_unit=tree["W1"], keep="Huddles",
                     improve="=HYPERLINK(\"http://x\")", actor=leader)
    return {"round": survey_round, "leader": leader}
