"""Services: each exit condition, the audit trail, and closed assessments staying closed."""

from __future__ import annotations

import datetime

import pytest

from safehands.assessment import services
from safehands.assessment.models import Action, Assessment, Consensus, Element, Rating, Tactic
from safehands.assessment.services import (
    action_create,
    action_update,
    assessment_close,
    assessment_start,
    consensus_record,
    content_item_save,
    instruments_load,
    ratings_save,
    team_member_invite,
)
from safehands.audit.models import AuditEvent
from safehands.core.errors import AccessDenied, DomainError


@pytest.fixture
def team(tree, make_user, nap):
    coordinator = make_user("coord", ("H1", "coordinator"))
    nurse = make_user("nurse", ("W1", "reporter"), ("H1", "reporter"))
    doctor = make_user("doctor", ("H1", "reporter"))
    assessment = assessment_start(org_unit=tree["H1"], instrument=nap, title="Baseline 2026",
                                  actor=coordinator)
    team_member_invite(assessment=assessment, username="nurse", profession="nurse",
                       actor=coordinator)
    team_member_invite(assessment=assessment, username="doctor", profession="physician",
                       actor=coordinator)
    return {"assessment": assessment, "coord": coordinator, "nurse": nurse, "doctor": doctor,
            "codes": list(nap.elements.values_list("code", flat=True))}


def test_instruments_load_is_idempotent_and_keeps_local_edits(content, make_user):
    assert Element.objects.count() == 27 + 12
    assert Tactic.objects.filter(recommendation__isnull=False).count() >= 17
    element = Element.objects.get(code="st.clg.01")
    assert list(element.recommendations.values_list("code", flat=True)) == [
        "safer-together.r01"]
    events = AuditEvent.objects.count()
    again = instruments_load(actor=None, source="system")
    assert not again.created and not again.updated
    assert AuditEvent.objects.count() == events
    admin = make_user("padmin", is_programme_admin=True)
    element.name = "Our local wording"
    content_item_save(actor=admin, item=element)
    assert AuditEvent.objects.filter(action="assessment.element.edited").exists()
    summary = instruments_load(actor=None, source="system")
    assert summary.kept_local == 1
    assert Element.objects.get(code="st.clg.01").name == "Our local wording"


def test_content_edit_needs_a_programme_administrator(content, tree, make_user):
    element = Element.objects.get(code="st.clg.01")
    with pytest.raises(AccessDenied):
        content_item_save(actor=make_user("someone", ("NO", "admin")), item=element)


def test_start_needs_a_coordinator(tree, make_user, nap):
    reporter = make_user("rep", ("H1", "reporter"))
    with pytest.raises(AccessDenied):
        assessment_start(org_unit=tree["H1"], instrument=nap, title="x", actor=reporter)
    coordinator = make_user("c", ("H1", "coordinator"))
    with pytest.raises(DomainError) as caught:
        assessment_start(org_unit=tree["H1"], instrument=nap, title=" ", actor=coordinator)
    assert caught.value.message == services.TITLE_REQUIRED
    assessment = assessment_start(org_unit=tree["H1"], instrument=nap, title="T",
                                  actor=coordinator)
    assert assessment.members.get().user == coordinator
    assert AuditEvent.objects.filter(action="assessment.assessment.started",
                                     org_path=tree["H1"].path).exists()


def test_invite_refuses_unknown_users_outsiders_and_twice(team, make_user):
    a, coord = team["assessment"], team["coord"]
    with pytest.raises(DomainError) as caught:
        team_member_invite(assessment=a, username="ghost", actor=coord)
    assert caught.value.message == services.UNKNOWN_USER.format(username="ghost")
    make_user("outsider", ("H2", "reporter"))
    with pytest.raises(DomainError) as caught:
        team_member_invite(assessment=a, username="outsider", actor=coord)
    assert caught.value.message == services.MEMBER_HAS_NO_ACCESS.format(
        user="outsider", unit="Hospital One")
    with pytest.raises(DomainError) as caught:
        team_member_invite(assessment=a, username="nurse", actor=coord)
    assert caught.value.message == services.ALREADY_MEMBER.format(user="nurse")


def test_members_rate_independently_with_comments_and_changes_are_audited(team):
    a, nurse, doctor = team["assessment"], team["nurse"], team["doctor"]
    code = team["codes"][0]
    assert ratings_save(assessment=a, ratings={code: ("2", "Only some units")}, actor=nurse) == 1
    assert ratings_save(assessment=a, ratings={code: ("unsure", "")}, actor=doctor) == 1
    assert ratings_save(assessment=a, ratings={code: ("2", "Only some units")}, actor=nurse) == 0
    ratings_save(assessment=a, ratings={code: (3, "Better after all")}, actor=nurse)
    stored = {r.rater.username: (r.value, r.comment) for r in Rating.objects.filter(assessment=a)}
    assert stored == {"nurse": (3, "Better after all"), "doctor": (None, "")}
    event = AuditEvent.objects.filter(action="assessment.rating.saved").order_by("pk").last()
    assert event.before == {"value": 2, "comment": "Only some units"}
    assert event.after == {"value": 3, "comment": "Better after all"}


def test_ratings_are_all_or_nothing(team):
    a, nurse = team["assessment"], team["nurse"]
    first, second = team["codes"][:2]
    with pytest.raises(DomainError) as caught:
        ratings_save(assessment=a, ratings={first: ("2", ""), second: ("7", "")}, actor=nurse)
    assert caught.value.message == services.OFF_SCALE.format(value="7")
    assert caught.value.extra == {"element": second, "field": "value"}
    with pytest.raises(DomainError) as caught:
        ratings_save(assessment=a, ratings={first: ("2", ""), "st.clg.01": ("2", "")},
                     actor=nurse)
    assert caught.value.message == services.ELEMENT_NOT_IN_INSTRUMENT.format(code="st.clg.01")
    assert not Rating.objects.exists()


def test_only_team_members_rate(team, make_user):
    other = make_user("other", ("H1", "reporter"))
    with pytest.raises(DomainError) as caught:
        ratings_save(assessment=team["assessment"], ratings={team["codes"][0]: ("1", "")},
                     actor=other)
    assert caught.value.message == services.NOT_A_MEMBER


def test_close_needs_consensus_on_every_element_then_nothing_changes(team):
    a, coord, nurse = team["assessment"], team["coord"], team["nurse"]
    consensus_record(assessment=a, scores={team["codes"][0]: ("2", "agreed")}, actor=coord)
    with pytest.raises(DomainError) as caught:
        assessment_close(assessment=a, actor=coord)
    assert caught.value.message.startswith("Record an agreed score for every element")
    assert caught.value.extra["missing"] == team["codes"][1:]
    with pytest.raises(AccessDenied):
        consensus_record(assessment=a, scores={team["codes"][0]: ("3", "")}, actor=nurse)
    consensus_record(assessment=a, scores={c: ("unsure", "") for c in team["codes"][1:]},
                     actor=coord)
    closed = assessment_close(assessment=a, actor=coord)
    assert closed.status == Assessment.Status.CLOSED and closed.closed_by == coord
    for attempt in (
        lambda: ratings_save(assessment=a, ratings={team["codes"][0]: ("4", "")}, actor=nurse),
        lambda: consensus_record(assessment=a, scores={team["codes"][0]: ("4", "")},
                                 actor=coord),
        lambda: team_member_invite(assessment=a, username="doctor", actor=coord),
        lambda: assessment_close(assessment=a, actor=coord),
    ):
        with pytest.raises(DomainError) as caught:
            attempt()
        assert caught.value.message == services.ASSESSMENT_CLOSED
    assert Consensus.objects.get(assessment=a, element__code=team["codes"][0]).value == 2
    assert not Rating.objects.exists()


def test_action_create_links_codes_and_refuses_unknown_ones(team, tree):
    nurse = team["nurse"]
    action = action_create(org_unit=tree["W1"], what="Start walk-rounds", owner="Ward manager",
                           due_date=datetime.date(2026, 1, 31), tactic="st.r01.walkrounds",
                           recommendation="safer-together.r01", target_area="falls",
                           note="From the culture survey", actor=nurse)
    assert action.tactic.code == "st.r01.walkrounds" and action.target_area.code == "falls"
    assert AuditEvent.objects.filter(action="assessment.action.created").exists()
    with pytest.raises(DomainError) as caught:
        action_create(org_unit=tree["W1"], what="x", owner="y", target_area="nope", actor=nurse)
    assert caught.value.message == services.UNKNOWN_LINK.format(kind="target area", code="nope")
    with pytest.raises(DomainError) as caught:
        action_create(org_unit=tree["W1"], what=" ", owner="y", actor=nurse)
    assert caught.value.message == services.WHAT_REQUIRED
    with pytest.raises(AccessDenied):
        action_create(org_unit=tree["W3"], what="x", owner="y", actor=nurse)
    assert Action.objects.count() == 1


def test_action_update_stamps_completion_and_overdue_is_computed(team, tree):
    nurse = team["nurse"]
    action = action_create(org_unit=tree["W1"], what="Audit", owner="Kari",
                           due_date=datetime.date(2020, 1, 1), actor=nurse)
    assert action.is_overdue(datetime.date(2026, 1, 1))
    done = action_update(action=action, status="done", actor=nurse)
    assert done.completed_on is not None and not done.is_overdue()
    with pytest.raises(DomainError) as caught:
        action_update(action=action, status="finished", actor=nurse)
    assert caught.value.message.startswith("Unknown status 'finished'")
    reopened = action_update(action=action, status="in_progress", actor=nurse)
    assert reopened.completed_on is None


def test_ratings_import_maps_usernames_and_comments(team):
    a, coord = team["assessment"], team["coord"]
    text = ("rater,element,rating,comment\n"
            "nurse,nap.lc.01,2,Only in some wards\n"
            "doctor,nap.lc.01,unsure,\n"
            "coord,nap.co.01,4,\n")
    assert services.ratings_import(assessment=a, text=text, actor=coord) == 3
    stored = {(r.rater.username, r.element.code): (r.value, r.comment)
              for r in Rating.objects.filter(assessment=a)}
    assert stored == {("nurse", "nap.lc.01"): (2, "Only in some wards"),
                      ("doctor", "nap.lc.01"): (None, ""), ("coord", "nap.co.01"): (4, "")}
    assert AuditEvent.objects.filter(action="assessment.rating.imported",
                                     source="import").count() == 3
    assert services.ratings_import(assessment=a, text=text, actor=coord) == 0


def test_ratings_import_is_all_or_nothing_with_row_and_field(team):
    a, coord = team["assessment"], team["coord"]
    with pytest.raises(DomainError) as caught:
        services.ratings_import(assessment=a, text="rater,element,rating\nnurse,nap.lc.01,2\n"
                                "stranger,nap.lc.01,3\n", actor=coord, file="team.csv")
    assert "row 3, field rater: " + services.NOT_ON_TEAM.format(rater="stranger") in \
        caught.value.message
    with pytest.raises(DomainError) as caught:
        services.ratings_import(assessment=a, text="rater,element,rating\nnurse,nap.lc.01,2\n"
                                "nurse,nap.lc.01,3\n", actor=coord, file="team.csv")
    assert caught.value.message.startswith("team.csv: 1 problem(s), nothing was scored:")
    assert "row 3, field element: rater 'nurse' already rated element nap.lc.01 on row 2" in \
        caught.value.message
    assert not Rating.objects.exists()
    with pytest.raises(AccessDenied):
        services.ratings_import(assessment=a, text="rater,element,rating\n",
                                actor=team["nurse"])
