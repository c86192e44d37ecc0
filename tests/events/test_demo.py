"""The events demo step: two years of plausible reports, the worked cases through the real
services, the anonymous follow-up conversation, and a second run that creates nothing."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.utils import timezone

from safehands.assessment.models import Action
from safehands.audit.models import AuditEvent
from safehands.events import demo as events_demo
from safehands.events import services
from safehands.events.models import OPEN_STATUSES, Event, Status


@pytest.fixture
def loaded(db):
    from safehands.catalogue.services import catalogue_load
    from safehands.demo.load import demo_load as orgs_and_users

    catalogue_load(actor=None, source="system")
    orgs_and_users()
    now = timezone.now()
    return now, events_demo.demo_load(now=now)


def _months_back(now: datetime.datetime, count: int) -> list[tuple[int, int]]:
    today = timezone.localdate(now)
    months = []
    for back in range(1, count + 1):
        year, month = divmod(today.year * 12 + today.month - 1 - back, 12)
        months.append((year, month + 1))
    return months


def test_two_years_of_reports_with_plausible_volumes_and_mix(loaded):
    now, counts = loaded
    assert counts["events_created"] == Event.objects.count() > 2000
    per_month = Counter((timezone.localtime(at).year, timezone.localtime(at).month)
                        for at in Event.objects.filter(org_unit__code="OUS-RH-MED")
                        .values_list("occurred_at", flat=True))
    whole_months = _months_back(now, 24)
    assert all(10 <= per_month[m] <= 40 for m in whole_months), per_month
    earliest = Event.objects.order_by("occurred_at").first().occurred_at
    assert earliest.date() >= (now - datetime.timedelta(days=25 * 31)).date()
    assert Event.objects.filter(reported_at__gt=now).count() == 0
    units = Counter(Event.objects.values_list("org_unit__code", flat=True))
    assert units["OUS-RH-MED"] == max(units.values())
    assert 0 < units["K0301-NH1-LT"] < units["OUS-RH-MED"] / 2  # a nursing home: fewer
    outcomes = Counter(Event.objects.values_list("outcome", flat=True))
    total = sum(outcomes.values())
    assert (outcomes["none"] + outcomes["low"]) / total > 0.75
    assert 0.05 < outcomes["moderate"] / total < 0.2
    assert 0 < outcomes["severe"] + outcomes["death"] < 0.02 * total
    near = Event.objects.filter(reached_patient=False).count()
    assert 0.08 < near / total < 0.3
    types = Counter(Event.objects.values_list("event_type", flat=True))
    assert {"fall", "medication", "pressure_ulcer", "deterioration"} <= set(types)
    assert types.most_common(2)[0][0] in {"fall", "medication"}
    assert Event.objects.filter(category="staff").count() > 20


def test_texts_are_norwegian_and_english_and_name_nobody(loaded):
    from safehands.demo.load import demo_users

    texts = list(Event.objects.values_list("description", flat=True))
    assert any(t.startswith("Pasient") for t in texts)
    assert any(t.startswith("Patient") for t in texts)
    names = {part for user in demo_users() for part in user.name.split()}
    names |= {"Nina", "Lars", "Berit", "Hilde", "Geir"}  # the other demo steps' people
    assert not [t for t in texts if any(name in t.split() for name in names)]
    assert not Event.objects.exclude(reporter=None).filter(
        reporter__username__contains="staff").exclude(reporter__first_name="").exists()


def test_old_reports_are_closed_with_feedback_and_recent_ones_open(loaded):
    now, _counts = loaded
    old = Event.objects.filter(reported_at__lt=now - datetime.timedelta(days=150))
    closed = old.filter(status=Status.CLOSED)
    assert closed.count() / old.count() > 0.9
    assert not closed.filter(feedback="").exists()
    assert not closed.filter(closed_at=None).exists()
    assert set(old.exclude(status=Status.CLOSED).values_list("status", flat=True)) <= {
        Status.REJECTED, Status.DUPLICATE, *OPEN_STATUSES}
    assert not old.filter(status=Status.DUPLICATE, duplicate_of=None).exists()
    recent = Event.objects.filter(reported_at__gt=now - datetime.timedelta(days=30))
    assert recent.filter(status__in=OPEN_STATUSES).count() > recent.count() / 2
    statuses = set(recent.values_list("status", flat=True))
    assert {Status.SUBMITTED, Status.TRIAGED, Status.INVESTIGATING} <= statuses
    for event in Event.objects.filter(status=Status.CLOSED)[:50]:
        steps = list(event.transitions.values_list("to_status", flat=True))
        assert steps[0] == "submitted" and steps[-1] == "closed"
        assert event.deadlines.filter(code="close").exclude(met_at=None).exists()


def test_worked_cases_went_through_the_services(loaded):
    severe = Event.objects.get(org_unit__code="OUS-RH-MED", outcome="severe",
                               status=Status.ACTIONS_OPEN)
    assert severe.notified_at and severe.notification_reference.startswith("Varsel ")
    assert severe.deadlines.get(code="notify_specialist").met_at == severe.notified_at
    review = severe.investigation
    assert review.timeline.count() == 4 and review.causes.count() == 2
    assert severe.factors.filter(stage="investigation").count() == 3
    plan = Action.objects.filter(org_unit__code="OUS-RH-MED", event_link__event=severe)
    assert plan.count() == 2 and {a.target_area.code for a in plan} == {"falls"}
    assert set(severe.event_actions.values_list("strength", flat=True)) == {
        "strong", "intermediate"}
    actions = set(AuditEvent.objects.filter(object_id=str(severe.pk)).values_list(
        "action", flat=True))
    assert {"event.reported", "event.triage", "event.notified", "event.investigate",
            "event.timeline.added", "event.cause.added", "event.action.added",
            "event.open_actions"} <= actions
    assert Event.objects.filter(status=Status.INVESTIGATING, event_type="medication",
                                org_unit__code="OUS-RH-MED",
                                event_actions__isnull=False).exists()
    # The bulk history's serious events were notified too, before their deadline's end.
    for event in Event.objects.filter(outcome__in=("severe", "death")).exclude(pk=severe.pk):
        assert event.notified_at is not None, event.reference


def test_the_anonymous_report_has_a_follow_up_conversation(loaded, client):
    _now, counts = loaded
    event = services.event_followup(events_demo.DEMO_FOLLOWUP_TOKEN)
    assert event.anonymous and event.reporter is None and event.near_miss
    assert event.org_unit.code == "K0301-NH1-LT"
    messages = list(event.messages.values_list("author_kind", "author__username"))
    assert messages == [("reporter", None), ("handler", "oslo.coordinator")]
    reported = AuditEvent.objects.get(action="event.reported", object_id=str(event.pk))
    assert reported.actor is None  # the audit trail keeps the anonymity too
    link = events_demo.followup_link()
    assert counts["links"] and counts["links"][0].startswith(link)
    page = client.get(link)
    assert page.status_code == 200
    assert "leser vi navn og fødselsdato høyt" in page.content.decode()


def test_a_second_run_creates_nothing_and_the_history_is_the_same_every_time(loaded):
    now, counts = loaded
    again = events_demo.demo_load(now=now)
    assert {k: v for k, v in again.items() if k != "links"} == {
        "events_created": 0, "investigations_created": 0, "cases_created": 0,
        "actions_created": 0}
    assert again["links"] == counts["links"]
    assert Event.objects.count() == counts["events_created"]

    def fingerprint() -> list[tuple]:
        return sorted(Event.objects.values_list("org_unit__code", "event_type", "outcome",
                                                "status", "occurred_at"))

    first = fingerprint()
    Event.objects.all().delete()
    events_demo.demo_load(now=now)
    assert fingerprint() == first  # seeded: the same reports on every machine


def test_setup_prints_the_follow_up_link_with_the_logins(db, monkeypatch):
    from click.testing import CliRunner

    from safehands.cli.main import cli
    from safehands.demo import load

    # Only this step of the registry: the whole demo through `setup` is tested in tests/cli.
    monkeypatch.setattr(load, "DEMO_STEPS", ["safehands.events.demo:demo_load"])
    result = CliRunner().invoke(cli, ["setup", "--demo"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "events: " in result.output and " events_created" in result.output
    tail = result.output.split("Demo logins", 1)[1]
    assert f"  {events_demo.followup_link()}  (follow-up link of the anonymous report" in tail
