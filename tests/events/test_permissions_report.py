"""Every reporting route, every user of the shared matrix and a visitor with no account.

Any signed-in user may report, on any unit; a visitor is sent to sign in. The public form
needs no account. A receipt opens only in the session that sent the report, once. The
follow-up link is its own key. My reports shows each user only their own named reports; the
detail of anyone else's report is the same 404 as for a report that does not exist, even for
the coordinators who handle it.
"""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from safehands.events import services
from safehands.events.models import Event
from tests.web.test_permission_matrix import USERS

VISITOR = "visitor"


@pytest.fixture
def people(tree, make_user, catalogue):
    return {name: make_user(name, *grants) for name, grants in USERS.items()}


def _client(people, username: str) -> Client:
    client = Client()
    if username != VISITOR:
        client.force_login(people[username])
    return client


def _when() -> dict[str, str]:
    at = timezone.localtime(timezone.now() - datetime.timedelta(hours=1))
    return {"occurred_date": at.date().isoformat(), "occurred_time": at.strftime("%H:%M")}


def _staff_form(unit: str) -> dict:
    return {"description": "A syringe was left in the bed.", **_when(), "org_unit": unit,
            "event_type": "staff_needlestick", "outcome": "none", "send": "1"}


def _public_form() -> dict:
    return {"reporter_kind": "patient", "org_unit": "N1", **_when(),
            "description": "Nobody came when I rang the bell at night.", "outcome": "low",
            "send": "1"}


def _named_report(tree, user, unit: str = "W1") -> Event:
    return services.event_report(
        org_unit=tree[unit], event_type="fall", outcome="none", actor=user,
        occurred_at=timezone.now() - datetime.timedelta(hours=1), description="A fall.").event


EVERYONE = [*sorted(USERS), VISITOR]


@pytest.mark.parametrize("username", EVERYONE)
def test_the_staff_form_answers_every_signed_in_user_on_any_unit(tree, people, username):
    client = _client(people, username)
    response = client.get("/events/report/")
    if username == VISITOR:
        assert response.status_code == 302 and response["Location"].startswith("/login/")
        assert client.post("/events/report/", _staff_form("W1")).status_code == 302
        assert not Event.objects.exists()
        return
    assert response.status_code == 200
    for unit in ("W1", "W3", "N1"):  # a report is not bound to the reporter's own units
        assert client.post("/events/report/", _staff_form(unit)).status_code == 302
        assert client.get("/events/receipt/").status_code == 200
    assert Event.objects.filter(reporter=people[username]).count() == 3


@pytest.mark.parametrize("username", EVERYONE)
def test_the_public_form_answers_everyone_and_files_no_reporter(tree, people, username):
    client = _client(people, username)
    assert client.get("/events/public/").status_code == 200
    assert client.post("/events/public/", _public_form()).status_code == 302
    event = Event.objects.get()
    assert event.reporter is None and event.source == "public"


@pytest.mark.parametrize("username", EVERYONE)
def test_a_receipt_opens_once_and_only_in_the_session_that_reported(tree, people, username):
    reporter = _client(people, username)
    someone_else = _client(people, "ward.reporter" if username != "ward.reporter" else
                           "no.role")
    assert reporter.get("/events/receipt/").status_code == 404  # nothing sent yet
    reporter.post("/events/public/", _public_form())
    assert someone_else.get("/events/receipt/").status_code == 404
    response = reporter.get("/events/receipt/")
    assert response.status_code == 200
    assert Event.objects.get().reference.encode() in response.content
    assert reporter.get("/events/receipt/").status_code == 404


@pytest.mark.parametrize("username", EVERYONE)
def test_the_follow_up_link_is_its_own_key(tree, people, username):
    receipt = services.event_report(
        org_unit=tree["H1"], event_type="other", outcome="none", actor=None,
        occurred_at=timezone.now() - datetime.timedelta(hours=1),
        description="Left in the corridor.", source="public", reporter_kind="patient")
    client = _client(people, username)
    assert client.get(f"/events/followup/{receipt.followup_token}/").status_code == 200
    wrong = receipt.followup_token[:-4] + "AAAA"
    assert client.get(f"/events/followup/{wrong}/").status_code == 404
    assert client.post(f"/events/followup/{wrong}/", {"text": "hi"}).status_code == 404
    assert not receipt.event.messages.exists()


@pytest.mark.parametrize("username", EVERYONE)
def test_my_reports_show_each_user_only_their_own(tree, people, username):
    reports = {name: _named_report(tree, people[name]) for name in USERS}
    client = _client(people, username)
    response = client.get("/events/mine/")
    if username == VISITOR:
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    else:
        listed = {name for name, event in reports.items()
                  if event.reference.encode() in response.content}
        assert response.status_code == 200 and listed == {username}
    for name, event in reports.items():
        response = client.get(f"/events/mine/{event.pk}/")
        if username == VISITOR:
            assert response.status_code == 302
        elif name == username:
            assert response.status_code == 200
        else:  # coordinators of W1 included: handling is another page
            assert response.status_code == 404, (username, name)
            assert event.reference.encode() not in response.content
