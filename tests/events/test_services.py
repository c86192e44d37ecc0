"""Reporting, the workflow, follow-up and investigation: each rule and each refusal."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from safehands.assessment.models import Action
from safehands.audit.models import AuditEvent
from safehands.core.errors import AccessDenied, Conflict, DomainError, NotFound
from safehands.events import investigation as inv
from safehands.events import services
from safehands.events.identity import MASK
from safehands.events.models import Event, EventTransition, Status


def _valid_identity_number() -> str:
    from safehands.events.identity import is_identity_number

    for tail in range(100000):
        candidate = f"150385{tail:05d}"
        if is_identity_number(candidate):
            return candidate
    raise AssertionError("no valid number found")


def test_a_report_maps_its_type_to_a_target_area_and_gets_a_receipt(report):
    receipt = report()
    event = receipt.event
    assert event.status == Status.SUBMITTED
    assert event.target_area.code == "falls"
    assert event.category == "patient"
    assert len(event.reference) == 8
    assert services.event_followup(receipt.followup_token) == event
    assert event.followup_token_hash != receipt.followup_token  # only the hash is kept
    assert EventTransition.objects.filter(event=event, to_status="submitted").count() == 1


def test_staff_harm_is_its_own_category(report):
    event = report(event_type="staff_violence").event
    assert event.category == "staff" and event.target_area is None


def test_identity_numbers_are_masked_before_saving(report):
    number = _valid_identity_number()
    receipt = report(description=f"Pasient {number} falt. Ordre 12345678901 ikke berørt.")
    event = Event.objects.get(pk=receipt.event.pk)
    assert number not in event.description and MASK in event.description
    assert "12345678901" in event.description  # fails the check digits: left alone
    assert receipt.identity_numbers_masked == 1 == event.identity_numbers_masked


@pytest.mark.parametrize(("changes", "field"), [
    ({"description": "   "}, "description"),
    ({"occurred_at": timezone.now() + datetime.timedelta(days=1)}, "occurred_at"),
    ({"occurred_at": None}, "occurred_at"),
    ({"event_type": "alien_abduction"}, "event_type"),
    ({"outcome": "catastrophic"}, "outcome"),
    ({"factors": ["team.telepathy"]}, "factors"),
])
def test_a_bad_report_names_its_field_and_saves_nothing(report, changes, field):
    with pytest.raises(DomainError) as raised:
        report(**changes)
    assert raised.value.extra["field"] == field
    assert not Event.objects.exists()
    assert not AuditEvent.objects.filter(action="event.reported").exists()


def test_an_anonymous_report_leaves_no_trace_of_its_reporter(report, people):
    event = report(anonymous=True).event
    assert event.reporter is None and event.anonymous
    audit = AuditEvent.objects.get(action="event.reported")
    assert audit.actor is None and audit.actor_username == ""
    assert EventTransition.objects.get(event=event).actor is None


def test_a_public_report_needs_no_login(tree, catalogue):
    receipt = services.event_report(
        org_unit=tree["N1"], event_type="medication", outcome="none", reached_patient=False,
        occurred_at=timezone.now() - datetime.timedelta(days=1),
        description="My mother was given the wrong tablets; the nurse noticed in time.",
        reporter_kind="relative", source="public")
    assert receipt.event.reporter_kind == "relative" and receipt.event.anonymous
    assert receipt.event.near_miss


def test_a_severe_event_in_a_hospital_starts_the_statutory_notification(report):
    event = report(outcome="severe").event
    codes = set(event.deadlines.values_list("code", flat=True))
    assert codes == {"notify_specialist", "triage", "triage_serious", "close"}
    notify = event.deadlines.get(code="notify_specialist")
    assert notify.due_at == event.reported_at  # at once


def test_a_severe_event_in_a_nursing_home_notifies_under_the_municipal_act(report, tree):
    event = report(org_unit=tree["N1"], outcome="death").event
    assert event.deadlines.filter(code="notify_municipal").exists()
    assert not event.deadlines.filter(code="notify_specialist").exists()


def test_the_whole_workflow_with_actions_in_the_action_plan(report, people):
    handler = people["handler"]
    event = report().event
    event = services.event_step(event=event, step="triage", actor=handler, outcome="moderate")
    assert event.handler == handler and event.outcome == "moderate"
    assert event.outcome_reported == "low"
    assert event.deadlines.get(code="triage").met_at is not None
    event = services.event_step(event=event, step="investigate", actor=handler)
    inv.investigation_update(event=event, actor=handler, summary="Night light broken.",
                             factors=["environment.layout", "environment.staffing"])
    inv.timeline_add(event=event, actor=handler, at=event.occurred_at, what="Patient got up")
    inv.causal_statement_add(event=event, actor=handler, cause="No night light",
                             effect="the patient could not see the doorstep",
                             factor="environment.layout")
    with pytest.raises(DomainError) as raised:  # no actions yet
        services.event_step(event=event, step="open_actions", actor=handler)
    assert raised.value.extra["field"] == "actions"
    for what in ("Repair the night lights", "Check lights on every round"):
        inv.event_action_add(event=event, actor=handler, what=what, owner="Ward manager",
                             due_date=datetime.date.today() + datetime.timedelta(days=30),
                             strength="strong")
    plan = Action.objects.filter(org_unit=event.org_unit)
    assert plan.count() == 2 and all(a.target_area.code == "falls" for a in plan)
    event = services.event_step(event=event, step="open_actions", actor=handler)
    with pytest.raises(DomainError) as raised:
        services.event_step(event=event, step="request_approval", actor=handler)
    assert raised.value.extra["field"] == "feedback"
    event = services.event_step(event=event, step="request_approval", actor=handler,
                                feedback="Thank you. The night lights are being repaired.")
    event = services.event_step(event=event, step="close", actor=handler)
    assert event.status == Status.CLOSED and event.closed_at is not None
    assert event.deadlines.get(code="close").met_at is not None
    steps = list(EventTransition.objects.filter(event=event).values_list("to_status", flat=True))
    assert steps == ["submitted", "triaged", "investigating", "actions_open",
                     "awaiting_approval", "closed"]
    assert AuditEvent.objects.filter(action__startswith="event.", object_id=str(event.pk)
                                     ).count() >= 10
    reopened = services.event_step(event=event, step="reopen", actor=people["lead"],
                                   note="New information from the family")
    assert reopened.status == Status.INVESTIGATING and reopened.closed_at is None


def test_a_step_the_state_does_not_allow_is_refused_and_changes_nothing(report, people):
    event = report().event
    with pytest.raises(Conflict):
        services.event_step(event=event, step="close", actor=people["handler"])
    event.refresh_from_db()
    assert event.status == Status.SUBMITTED and event.version == 1


def test_handling_needs_the_coordinator_role_on_the_unit_or_its_line(report, people):
    event = report().event
    for who in ("nurse", "viewer", "other"):
        with pytest.raises(AccessDenied):
            services.event_step(event=event, step="triage", actor=people[who])
    event.refresh_from_db()
    assert event.status == Status.SUBMITTED
    services.event_step(event=event, step="triage", actor=people["lead"])  # the line above


def test_rejecting_needs_a_reason(report, people):
    event = report().event
    with pytest.raises(DomainError):
        services.event_step(event=event, step="reject", actor=people["handler"])
    rejected = services.event_step(event=event, step="reject", actor=people["handler"],
                                   note="Not a patient-safety event: a building complaint.")
    assert rejected.reason.startswith("Not a patient")


def test_a_duplicate_points_to_the_report_it_repeats(report, people):
    first, second = report().event, report().event
    with pytest.raises(DomainError):
        services.event_step(event=second, step="duplicate", actor=people["handler"],
                            duplicate_of=second)
    done = services.event_step(event=second, step="duplicate", actor=people["handler"],
                               duplicate_of=first)
    assert done.duplicate_of == first


def test_two_handlers_at_once_the_second_is_told_to_reload(report, people):
    event = report().event
    services.event_step(event=event, step="triage", actor=people["handler"],
                        expected_version=1)
    with pytest.raises(Conflict) as raised:
        services.event_step(event=event, step="reject", actor=people["lead"], note="x",
                            expected_version=1)
    assert raised.value.extra["field"] == "version"


def test_severe_harm_is_closed_by_someone_other_than_the_handler(report, people):
    handler = people["handler"]
    event = report(outcome="severe").event
    event = services.event_step(event=event, step="triage", actor=handler)
    event = services.event_step(event=event, step="request_approval", actor=handler,
                                feedback="We are sorry. We have changed the routine.")
    with pytest.raises(AccessDenied):
        services.event_step(event=event, step="close", actor=handler)
    closed = services.event_step(event=event, step="close", actor=people["lead"])
    assert closed.status == Status.CLOSED


def test_the_notification_is_recorded_with_its_reference(report, people):
    low = report().event
    with pytest.raises(Conflict):
        services.event_notify(event=low, actor=people["handler"], reference="HT-1")
    severe = report(outcome="death").event
    with pytest.raises(DomainError):
        services.event_notify(event=severe, actor=people["handler"], reference=" ")
    services.event_notify(event=severe, actor=people["handler"], reference="HT-2026-0042")
    assert severe.deadlines.get(code="notify_specialist").met_at is not None


def test_the_follow_up_link_opens_only_its_own_report(report, people):
    receipt = report(anonymous=True)
    other = report()
    with pytest.raises(NotFound):
        services.event_followup("not-the-token-at-all-xxxxxxxx")
    with pytest.raises(NotFound):
        services.message_add(event=other.event, text="hello", token=receipt.followup_token)
    services.message_add(event=receipt.event, text="Who can I call?",
                         token=receipt.followup_token)
    services.message_add(event=receipt.event, text="Call the ward manager.",
                         actor=people["handler"])
    kinds = list(receipt.event.messages.values_list("author_kind", flat=True))
    assert kinds == ["reporter", "handler"]
    with pytest.raises(AccessDenied):
        services.message_add(event=receipt.event, text="hi", actor=people["other"])


def test_an_expired_follow_up_link_is_refused(report):
    receipt = report()
    Event.objects.filter(pk=receipt.event.pk).update(
        followup_expires_at=timezone.now() - datetime.timedelta(seconds=1))
    with pytest.raises(NotFound) as raised:
        services.event_followup(receipt.followup_token)
    assert raised.value.message == services.FOLLOWUP_INVALID


def test_a_report_of_another_trust_is_not_found_rather_than_forbidden(report, people):
    event = report().event
    with pytest.raises(NotFound) as raised:
        services.event_for(people["other"], event.pk)
    with pytest.raises(NotFound) as missing:
        services.event_for(people["other"], event.pk + 1000)
    assert raised.value.message == missing.value.message
    assert services.event_for(people["handler"], event.pk) == event
    assert services.own_report_for(people["nurse"], event.pk) == event
    with pytest.raises(NotFound):
        services.own_report_for(people["other_nurse"], event.pk)


def _investigating(report, people):
    event = report().event
    event = services.event_step(event=event, step="triage", actor=people["handler"])
    return services.event_step(event=event, step="investigate", actor=people["handler"])


def test_attachments_are_checked_by_their_bytes_and_size(report, people, settings):
    event = _investigating(report, people)
    handler = people["handler"]
    settings.SAFEHANDS_EVENT_ATTACHMENT_MAX_BYTES = 1000
    ok = inv.attachment_add(event=event, actor=handler, name="scan.pdf", data=b"%PDF-1.7 ...")
    assert ok.content_type == "application/pdf" and ok.size == 12
    with pytest.raises(DomainError, match="at most"):
        inv.attachment_add(event=event, actor=handler, name="big.pdf", data=b"%PDF-" + b"x" * 2000)
    with pytest.raises(DomainError, match="not a PDF"):
        inv.attachment_add(event=event, actor=handler, name="report.pdf", data=b"MZ\x90\x00exe")
    with pytest.raises(DomainError, match="empty"):
        inv.attachment_add(event=event, actor=handler, name="x.png", data=b"")
    assert event.attachments.count() == 1


def test_investigation_work_waits_for_the_investigation_state(report, people):
    event = report().event
    with pytest.raises(Conflict):
        inv.investigation_update(event=event, actor=people["handler"], summary="x")
    with pytest.raises(AccessDenied):
        inv.investigation_update(event=_investigating(report, people), actor=people["other"],
                                 summary="x")
