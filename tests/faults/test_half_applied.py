"""A database error in the middle of an import or a survey answer leaves nothing behind."""

from __future__ import annotations

import datetime

import pytest
from django.db import OperationalError

from safehands.audit.models import AuditEvent
from safehands.culture.models import Invitation, Response
from safehands.culture.services import invitations_create, response_submit
from safehands.measurement import periods
from safehands.measurement.models import DataValue, EntryBatch, SubtreeTotal
from safehands.measurement.services import data_values_import
from tests.faults.conftest import INJECTED, database_fails_on


@pytest.fixture
def falls_csv(tree, catalogue_loaded):
    from safehands.catalogue.models import TargetArea
    from safehands.measurement.services import enrolment_create

    falls = TargetArea.objects.get(code="falls")
    for code in ("W1", "W2"):
        enrolment_create(unit=for_code(tree, code), target_area=falls,
                         started=datetime.date(2023, 1, 1), actor=None, source="system")
    months = periods.latest("monthly", count=13)[:-1]
    rows = [f"{code},falls.rate,{month},{i % 7},1000,"
            for code in ("W1", "W2") for i, month in enumerate(months)]
    return "org_unit,measure,period,numerator,denominator,comment\n" + "\n".join(rows) + "\n"


def for_code(tree, code):
    return tree[code]


@pytest.fixture
def catalogue_loaded(db):
    from safehands.catalogue.services import catalogue_load

    catalogue_load(actor=None, source="system")


@pytest.mark.parametrize("statement", [
    r'^DELETE FROM "?measurement_subtreetotal',  # the roll-up totals, after the values
    r'^INSERT INTO "audit_auditevent"',
])
def test_an_import_that_fails_late_writes_nothing(falls_csv, statement):
    audits = AuditEvent.objects.count()
    written: list[int] = []
    with database_fails_on(statement, on_fault=lambda: written.append(
            DataValue.objects.count())), pytest.raises(OperationalError, match=INJECTED):
        data_values_import(text=falls_csv, fmt="csv", actor=None, source="cli")
    assert written == [24]  # the fault hit after every value was written, before the commit
    assert DataValue.objects.count() == 0
    assert EntryBatch.objects.count() == 0 and SubtreeTotal.objects.count() == 0
    assert AuditEvent.objects.count() == audits
    # The same file goes in whole once the database is back.
    summary = data_values_import(text=falls_csv, fmt="csv", actor=None, source="cli")
    assert summary.status == "applied" and DataValue.objects.count() == 24


def test_a_survey_answer_that_fails_late_stores_nothing_and_keeps_the_link(
        tree, make_user, db):
    from safehands.culture.models import Instrument
    from safehands.culture.services import instruments_load_packaged, round_open

    instruments_load_packaged()
    coordinator = make_user("coord", ("H1", "coordinator"))
    today = datetime.date.today()
    survey_round = round_open(root=tree["H1"], instrument=Instrument.objects.get(code="saq"),
                              title="Culture", opens_on=today, closes_on=today,
                              actor=coordinator)
    [link] = invitations_create(survey_round=survey_round, org_unit=tree["W1"],
                                actor=coordinator, count=1)
    answers = {f"SAQ{i}": 4 for i in range(1, 7)}
    # The response row is written first; marking the link used then fails.
    written: list[int] = []
    with database_fails_on(r'^UPDATE "culture_invitation"', on_fault=lambda: written.append(
            Response.objects.count())), pytest.raises(OperationalError, match=INJECTED):
        response_submit(survey_round=survey_round, answers=answers, invitation_token=link.token)
    assert written == [1]  # the response was stored when marking the link used failed
    assert Response.objects.count() == 0
    invitation = Invitation.objects.get(survey_round=survey_round)
    assert not invitation.used
    response_submit(survey_round=survey_round, answers=answers, invitation_token=link.token)
    invitation.refresh_from_db()
    assert Response.objects.count() == 1 and invitation.used
