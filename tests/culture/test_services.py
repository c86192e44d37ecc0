"""Culture services: instruments, rounds, invitations, anonymous responses, action plans."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core import mail
from django.db import connection

from safehands.audit.models import AuditEvent
from safehands.core.errors import AccessDenied, DomainError
from safehands.culture import services
from safehands.culture.models import (
    ActionNote,
    Instrument,
    Invitation,
    Item,
    Response,
    RoundUnit,
    SurveyRound,
)
from tests.culture.conftest import answer, team_answers


def test_packaged_instruments_load_once(instruments):
    assert set(instruments) == {"saq", "sops-hospital-2"}
    saq = instruments["saq"]
    assert saq.wording == "demo" and saq.items.count() == 41 and saq.scales.count() == 6
    assert services.instruments_load_packaged() == {"instruments_created": 0}
    assert saq.spec().items["SAQ2"].reverse


def test_round_open_gives_every_unit_of_the_subtree_a_join_code(open_round, tree):
    units = RoundUnit.objects.filter(survey_round=open_round)
    assert {u.org_unit.code for u in units} == {"H1", "W1", "W2"}
    assert len({u.join_code for u in units}) == 3
    assert open_round.min_respondents == 5
    assert AuditEvent.objects.filter(action="culture.round.open").count() == 1


def test_round_open_needs_the_coordinator_role(tree, instruments, make_user):
    reporter = make_user("ward.reporter", ("W1", "reporter"))
    with pytest.raises(AccessDenied):
        services.round_open(root=tree["W1"], instrument=instruments["saq"], title="x",
                            opens_on=datetime.date.today(), closes_on=datetime.date.today(),
                            actor=reporter)


def test_round_open_rejects_dates_out_of_order(tree, instruments, coordinator):
    with pytest.raises(DomainError, match=services.ROUND_DATES):
        services.round_open(root=tree["H1"], instrument=instruments["saq"], title="x",
                            opens_on=datetime.date(2026, 3, 2),
                            closes_on=datetime.date(2026, 3, 1), actor=coordinator)


def test_round_takes_the_programme_minimum(tree, instruments, coordinator, make_user):
    from safehands.catalogue.models import Programme
    from safehands.catalogue.services import catalogue_load

    catalogue_load(actor=None, source="system")
    programme = Programme.objects.first()
    admin = make_user("prog.admin", is_programme_admin=True)
    services.programme_min_respondents_set(programme=programme, value=8, actor=admin)
    r = services.round_open(root=tree["H1"], instrument=instruments["saq"], title="x",
                            opens_on=datetime.date.today(), closes_on=datetime.date.today(),
                            actor=coordinator, programme=programme)
    assert r.min_respondents == 8
    with pytest.raises(AccessDenied):
        services.programme_min_respondents_set(programme=programme, value=3, actor=coordinator)


def test_invitation_link_counts_once(open_round, tree, coordinator):
    [link] = services.invitations_create(survey_round=open_round, org_unit=tree["W1"],
                                         actor=coordinator, recipients=["a@example.org"])
    assert len(mail.outbox) == 1 and link.token in mail.outbox[0].body
    services.response_submit(survey_round=open_round, answers=team_answers(),
                             invitation_token=link.token)
    with pytest.raises(DomainError, match=services.INVITATION_USED):
        services.response_submit(survey_round=open_round, answers=team_answers(),
                                 invitation_token=link.token)
    assert Response.objects.count() == 1


def test_unknown_link_is_refused(open_round):
    with pytest.raises(DomainError, match=services.INVITATION_UNKNOWN):
        services.response_submit(survey_round=open_round, answers=team_answers(),
                                 invitation_token="nope")


def test_bad_answer_stores_nothing_and_leaves_the_link_unused(open_round, tree, coordinator):
    [link] = services.invitations_create(survey_round=open_round, org_unit=tree["W1"],
                                         actor=coordinator, count=1)
    with pytest.raises(DomainError, match="Answer to SAQ1: 7 is not an answer"):
        services.response_submit(survey_round=open_round, answers={"SAQ1": 7},
                                 invitation_token=link.token)
    with pytest.raises(DomainError, match="'SAQ99' is not an item of saq"):
        services.response_submit(survey_round=open_round, answers={"SAQ99": 3},
                                 invitation_token=link.token)
    with pytest.raises(DomainError, match=services.NO_ANSWERS):
        services.response_submit(survey_round=open_round, answers={},
                                 invitation_token=link.token)
    assert Response.objects.count() == 0
    assert not Invitation.objects.get().used


def test_closed_round_is_frozen(open_round, tree, coordinator):
    [link] = services.invitations_create(survey_round=open_round, org_unit=tree["W1"],
                                         actor=coordinator, count=1)
    services.round_close(survey_round=open_round, actor=coordinator)
    with pytest.raises(DomainError, match=services.ROUND_CLOSED):
        services.response_submit(survey_round=open_round, answers=team_answers(),
                                 invitation_token=link.token)
    with pytest.raises(DomainError, match=services.ROUND_CLOSED):
        services.invitations_create(survey_round=open_round, org_unit=tree["W1"],
                                    actor=coordinator, count=1)
    with pytest.raises(DomainError, match=services.ROUND_CLOSED):
        services.reminders_send(survey_round=open_round, actor=coordinator)
    with pytest.raises(DomainError, match=services.ROUND_ALREADY_CLOSED):
        services.round_close(survey_round=open_round, actor=coordinator)
    assert Response.objects.count() == 0 and not Invitation.objects.get().used


def test_round_past_its_closing_date_takes_no_answers(open_round):
    SurveyRound.objects.filter(pk=open_round.pk).update(
        opens_on=datetime.date(2020, 1, 1), closes_on=datetime.date(2020, 1, 31))
    open_round.refresh_from_db()
    with pytest.raises(DomainError, match=services.ROUND_CLOSED):
        answer(open_round, "W1", 1)


def test_join_code_answers_for_the_unit(open_round):
    answer(open_round, "W2", 2)
    assert list(Response.objects.values_list("org_unit__code", flat=True)) == ["W2", "W2"]
    with pytest.raises(DomainError, match="There is no unit with the code 'XXXX'"):
        services.response_submit(survey_round=open_round, answers=team_answers(),
                                 join_code="XXXX")


def test_reminders_go_only_to_unused_links_with_a_fresh_link(open_round, tree, coordinator):
    links = services.invitations_create(
        survey_round=open_round, org_unit=tree["W1"], actor=coordinator,
        recipients=["a@example.org", "b@example.org", "c@example.org"])
    services.response_submit(survey_round=open_round, answers=team_answers(),
                             invitation_token=links[0].token)
    mail.outbox.clear()
    assert services.reminders_send(survey_round=open_round, actor=coordinator) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["b@example.org", "c@example.org"]
    assert all(m.subject.startswith("Reminder") for m in mail.outbox)
    assert SurveyRound.objects.get(pk=open_round.pk).reminders_sent == 2
    with pytest.raises(DomainError, match=services.INVITATION_UNKNOWN):  # old link replaced
        services.response_submit(survey_round=open_round, answers=team_answers(),
                                 invitation_token=links[1].token)


def test_invitations_need_an_address_or_a_count(open_round, tree, coordinator):
    with pytest.raises(DomainError, match=services.NO_RECIPIENTS):
        services.invitations_create(survey_round=open_round, org_unit=tree["W1"],
                                    actor=coordinator)
    with pytest.raises(DomainError, match="Line 1: 'not an address'"):
        services.invitations_create(survey_round=open_round, org_unit=tree["W1"],
                                    actor=coordinator, recipients=["not an address"])
    with pytest.raises(DomainError, match="Ward Three is not part of this survey round"):
        services.invitations_create(survey_round=open_round, org_unit=tree["W3"],
                                    actor=_superuser(), count=1)


def _superuser():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("root", password="x")


def test_anonymity_nothing_in_the_database_links_a_response_to_its_invitation(
        open_round, tree, coordinator, make_user):
    """Inspect every table after submissions: no path from a response to a person."""
    links = services.invitations_create(
        survey_round=open_round, org_unit=tree["W1"], actor=coordinator,
        recipients=[f"person{i}@example.org" for i in range(6)])
    events_before = AuditEvent.objects.count()
    for link in links[:4]:
        services.response_submit(survey_round=open_round, answers=team_answers(),
                                 invitation_token=link.token)
    # 1. The response table has no column that could point at an invitation, user or time.
    columns = {f.column for f in Response._meta.concrete_fields}
    assert columns == {"id", "survey_round_id", "org_unit_id", "answers"}
    with connection.cursor() as cursor:
        described = {c.name for c in connection.introspection.get_table_description(
            cursor, Response._meta.db_table)}
    assert described == columns
    # 2. Invitations record only that they were used: no date, no response id.
    inv_columns = {f.column for f in Invitation._meta.concrete_fields}
    assert inv_columns == {"id", "survey_round_id", "org_unit_id", "token_hash", "recipient",
                           "used"}
    assert Invitation.objects.filter(used=True).count() == 4
    # 3. Response keys are random, so their order says nothing about the order of answering.
    ids = [str(r.pk) for r in Response.objects.all()]
    assert all(len(i) == 36 for i in ids)
    # 4. No audit event was written by answering, and none names a response.
    assert AuditEvent.objects.count() == events_before
    for event in AuditEvent.objects.all():
        text = json.dumps([event.before, event.after, event.object_id, event.object_repr])
        assert not any(i in text for i in ids)
        assert "person" not in text
    # 5. No other table refers to a response.
    for model in (Invitation, ActionNote, RoundUnit, SurveyRound):
        assert not any(f.related_model is Response for f in model._meta.concrete_fields)


def test_local_instrument_defined_by_a_programme_admin(make_user, db):
    admin = make_user("prog.admin", is_programme_admin=True)
    text = """
code: local-pulse
name: Local pulse
method: saq
response_scales:
  agree5:
    not_applicable: 9
    options: [{value: 1, label: "No"}, {value: 2, label: Rather not}, {value: 3, label: Unsure},
              {value: 4, label: Rather yes}, {value: 5, label: "Yes"}]
scales: [{code: pulse, name: Pulse}]
items:
  - {code: P1, scale: pulse, text: We talk about safety every day.}
  - {code: P2, scale: pulse, reverse: true, text: I keep concerns to myself.}
"""
    instrument = services.instrument_define(text=text, actor=admin)
    assert instrument.origin == "local" and instrument.wording == "local"
    assert instrument.spec().items["P2"].reverse
    with pytest.raises(DomainError, match="already an instrument"):
        services.instrument_define(text=text, actor=admin)
    with pytest.raises(DomainError, match="names scale 'nope'"):
        services.instrument_define(text=text.replace("scale: pulse, reverse", "scale: nope, "
                                                     "reverse").replace("local-pulse", "x"),
                                   actor=admin)
    with pytest.raises(AccessDenied):
        services.instrument_define(text=text, actor=make_user("plain"))


def test_official_wording_import_from_csv(instruments, make_user):
    admin = make_user("prog.admin", is_programme_admin=True)
    saq = instruments["saq"]
    n = services.instrument_wording_import(
        instrument=saq, text="code,text,text_nb\nSAQ1,Licensed text one,Lisensiert en\n",
        fmt="csv", actor=admin)
    assert n == 1 and Item.objects.get(instrument=saq, code="SAQ1").text == "Licensed text one"
    assert Instrument.objects.get(pk=saq.pk).wording == "official"


def test_official_wording_import_is_all_or_nothing(instruments, make_user):
    admin = make_user("prog.admin", is_programme_admin=True)
    saq = instruments["saq"]
    with pytest.raises(DomainError, match="row 3: 'SAQ99' is not an item of saq"):
        services.instrument_wording_import(
            instrument=saq, text="code,text\nSAQ1,New\nSAQ99,Other\n", fmt="csv", actor=admin)
    assert Item.objects.get(instrument=saq, code="SAQ1").text != "New"


def test_official_wording_import_from_fhir_questionnaire(instruments, make_user):
    admin = make_user("prog.admin", is_programme_admin=True)
    sops = instruments["sops-hospital-2"]
    q = {"resourceType": "Questionnaire", "status": "active", "item": [
        {"linkId": "section-a", "type": "group", "text": "Your unit", "item": [
            {"linkId": "A1", "type": "choice", "text": "Official A1"},
            {"linkId": "A2", "type": "choice", "text": "Official A2"}]}]}
    assert services.instrument_wording_import(instrument=sops, text=json.dumps(q), fmt="fhir",
                                              actor=admin) == 2
    assert Item.objects.get(instrument=sops, code="A2").text == "Official A2"
    with pytest.raises(DomainError, match="resourceType is not Questionnaire"):
        services.instrument_wording_import(instrument=sops, text='{"resourceType": "x"}',
                                           fmt="fhir", actor=admin)


def test_action_note_saved_by_the_unit_team_and_audited(open_round, tree, make_user):
    reporter = make_user("w1.reporter", ("W1", "reporter"))
    note = services.action_note_save(survey_round=open_round, org_unit=tree["W1"],
                                     keep="Safety huddles", improve="Handovers",
                                     actor=reporter)
    assert (note.keep, note.improve) == ("Safety huddles", "Handovers")
    assert AuditEvent.objects.filter(action="culture.action_note.save").exists()
    viewer = make_user("w1.viewer", ("W1", "viewer"))
    with pytest.raises(AccessDenied):
        services.action_note_save(survey_round=open_round, org_unit=tree["W1"], keep="",
                                  improve="", actor=viewer)


def test_paper_answers_import_all_or_nothing(open_round, coordinator):
    text = "unit,SAQ1,SAQ2R,SAQ3\nW1,5,1,4\nW1,4,2,\nW2,3,3,3\nW2,,,\n"
    counts = services.responses_import(survey_round=open_round, text=text, actor=coordinator)
    assert counts == {"W1": 2, "W2": 1}                  # the empty row is left out
    assert Response.objects.count() == 3
    assert sorted(len(r.answers) for r in Response.objects.all()) == [2, 3, 3]
    event = AuditEvent.objects.get(action="culture.response.import")
    assert event.after == {"responses": 3, "units": {"W1": 2, "W2": 1}}
    with pytest.raises(DomainError, match="row 3, column SAQ3: 6 is not an answer"):
        services.responses_import(survey_round=open_round, actor=coordinator,
                                  text="unit,SAQ1,SAQ3\nW1,4,4\nW1,4,6\n")
    with pytest.raises(DomainError, match="Unit 'W3' is not part of this survey round"):
        services.responses_import(survey_round=open_round, actor=coordinator,
                                  text="unit,SAQ1\nW1,4\nW3,4\n")
    with pytest.raises(DomainError, match="there is no column 'unit'"):
        services.responses_import(survey_round=open_round, actor=coordinator, text="SAQ1\n4\n")
    assert Response.objects.count() == 3


def test_paper_answers_need_an_open_round_and_a_coordinator(open_round, coordinator, make_user):
    with pytest.raises(AccessDenied):
        services.responses_import(survey_round=open_round, text="unit,SAQ1\nW1,4\n",
                                  actor=make_user("w1.rep", ("W1", "reporter")))
    services.round_close(survey_round=open_round, actor=coordinator)
    with pytest.raises(DomainError, match=services.ROUND_CLOSED):
        services.responses_import(survey_round=open_round, text="unit,SAQ1\nW1,4\n",
                                  actor=coordinator)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL row bookkeeping")
def test_postgresql_transaction_ids_do_not_tell_which_invitation_was_used(
        open_round, tree, coordinator, transactional_db):
    links = services.invitations_create(survey_round=open_round, org_unit=tree["W1"],
                                        actor=coordinator, count=5)
    for link in links[:3]:
        services.response_submit(survey_round=open_round, answers=team_answers(),
                                 invitation_token=link.token)
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT xmin::text FROM culture_invitation "
                       "WHERE survey_round_id = %s", [open_round.pk])
        invitation_xmins = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT xmin::text FROM culture_response WHERE survey_round_id = %s",
                       [open_round.pk])
        response_xmins = [row[0] for row in cursor.fetchall()]
    # Every invitation, used or not, carries the same (latest) transaction id ...
    assert len(invitation_xmins) == 1
    # ... so at most the latest answer shares it, and it points at all invitations alike.
    assert sum(x in invitation_xmins for x in response_xmins) == 1
