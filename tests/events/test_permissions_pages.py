"""Every route of the handling pages, role by role and unit by unit.

The queue answers 403 outside the user's coordinator subtree (it names a unit the user
asked for by code). A report's routes answer exactly like a report that does not exist
(404, the same page) to anyone who may not handle it, so a URL reveals nothing; writes by
them change nothing.
"""

from __future__ import annotations

import pytest

from safehands.events import investigation as inv
from safehands.events import services
from safehands.events.models import Event, EventMessage, EventTransition

PDF = b"%PDF-1.4\n%%EOF\n"

# Who has which role where (coordinator and admin handle reports; the rest do not).
USERS: dict[str, tuple[tuple[str, str], ...]] = {
    "ward.coordinator": (("W1", "coordinator"),),
    "hospital.coordinator": (("H1", "coordinator"),),
    "trust.coordinator": (("T1", "coordinator"),),
    "region.coordinator": (("R1", "coordinator"),),
    "other.trust.coordinator": (("T2", "coordinator"),),
    "municipality.admin": (("M1", "admin"),),
    "hospital.viewer": (("H1", "viewer"),),
    "ward.nurse": (("W1", "reporter"),),
    "other.trust.nurse": (("W3", "reporter"),),
    "national.viewer": (("NO", "viewer"),),
    "no.role": (),
}
HANDLING_ROLES = {"coordinator", "admin"}
EVENT_UNITS = ("W1", "W2", "W3", "N1")

GET_ROUTES = (
    "/events/{id}/",
    "/events/{id}/investigation/",
    "/events/{id}/attachments/{attachment}/",
)
POST_ROUTES = (
    ("/events/{id}/step/", {"step": "reject", "reject-note": "x", "reject-expected_version": 3}),
    ("/events/{id}/notify/", {"notify-reference": "N-1"}),
    ("/events/{id}/messages/", {"message-text": "Hello"}),
    ("/events/{id}/investigation/review/", {"summary-summary": "Found"}),
    ("/events/{id}/investigation/timeline/", {"timeline-at": "2026-01-01T10:00",
                                              "timeline-what": "x"}),
    ("/events/{id}/investigation/causes/", {"cause-cause": "a", "cause-effect": "b"}),
    ("/events/{id}/attachments/", {}),
    ("/events/{id}/actions/", {"action-what": "x", "action-owner": "y",
                               "action-strength": "weak"}),
    ("/events/{id}/actions/{action}/status/", {"status": "done"}),
)
# The routes of this file, as the permission matrix lists them.
ROUTES = {
    "events/units/<str:code>/queue/", "events/<int:event_id>/", "events/<int:event_id>/step/",
    "events/<int:event_id>/notify/", "events/<int:event_id>/messages/",
    "events/<int:event_id>/investigation/", "events/<int:event_id>/investigation/review/",
    "events/<int:event_id>/investigation/timeline/",
    "events/<int:event_id>/investigation/causes/", "events/<int:event_id>/attachments/",
    "events/<int:event_id>/attachments/<int:attachment_id>/",
    "events/<int:event_id>/actions/", "events/<int:event_id>/actions/<int:action_id>/status/",
}


def test_every_handling_route_is_proven_here_and_in_the_matrix():
    from tests.web.test_permission_matrix import ROUTES as MATRIX
    from tests.web.test_permission_matrix import _all_routes

    served = {r for r in _all_routes() if r.startswith("events/") and (
        r.startswith("events/units/<str:code>/queue") or r.startswith("events/<int:event_id>/"))}
    assert served == ROUTES
    assert {r for r in ROUTES if MATRIX.get(r) == "events"} == ROUTES
    assert len(GET_ROUTES) + len(POST_ROUTES) + 1 == len(ROUTES)


@pytest.fixture
def users(tree, make_user, catalogue):
    return {name: make_user(name, *grants) for name, grants in USERS.items()}


@pytest.fixture
def events(tree, users, make_user):
    """One report under investigation per unit, each with an attachment and an action."""
    boss = make_user("boss", is_superuser=True)
    made = {}
    for code in EVENT_UNITS:
        event = services.event_report(org_unit=tree[code], event_type="fall", outcome="severe",
                                      occurred_at=_an_hour_ago(),
                                      description=f"Fall on {code}", actor=boss).event
        event = services.event_step(event=event, step="triage", actor=boss)
        event = services.event_step(event=event, step="investigate", actor=boss)
        attachment = inv.attachment_add(event=event, actor=boss, name="a.pdf", data=PDF)
        link = inv.event_action_add(event=event, actor=boss, what="Alarm", owner="Manager",
                                    due_date=None, strength="strong")
        made[code] = {"event": event, "attachment": attachment.pk, "action": link.action_id}
    return made


def _an_hour_ago():
    import datetime

    from django.utils import timezone

    return timezone.now() - datetime.timedelta(hours=1)


def _handles(tree, username: str, code: str) -> bool:
    return any(role in HANDLING_ROLES and tree[code].path.startswith(tree[grant].path)
               for grant, role in USERS[username])


def _main(response) -> str:
    text = response.content.decode()
    return text.split('<main id="content">')[1].split("</main>")[0]


def _url(template: str, made: dict) -> str:
    return template.format(id=made["event"].pk, attachment=made["attachment"],
                           action=made["action"])


@pytest.mark.parametrize("username", sorted(USERS))
def test_queue_answers_exactly_on_the_users_coordinator_subtree(client, tree, users, username):
    client.force_login(users[username])
    for code, unit in tree.items():
        response = client.get(f"/events/units/{code}/queue/")
        if _handles(tree, username, code):
            assert response.status_code == 200, (username, code)
        else:
            assert response.status_code == 403, (username, code)
            assert unit.name.encode() not in response.content or any(
                tree[code].path.startswith(tree[g].path) for g, _r in USERS[username])


@pytest.mark.parametrize("username", sorted(USERS))
def test_report_pages_open_only_for_its_handlers_and_say_not_found_otherwise(
        client, tree, users, events, username):
    client.force_login(users[username])
    for code, made in events.items():
        for template in GET_ROUTES:
            url = _url(template, made)
            response = client.get(url)
            if _handles(tree, username, code):
                assert response.status_code == 200, (username, url)
            else:
                assert response.status_code == 404, (username, url)
                assert f"Fall on {code}".encode() not in response.content
                if "attachments" not in url:
                    missing = client.get(template.format(id=999999, attachment=1, action=1))
                    assert _main(response) == _main(missing)


def _state() -> tuple:
    return (list(Event.objects.order_by("pk").values_list("pk", "status", "version",
                                                            "notified_at")),
            EventTransition.objects.count(), EventMessage.objects.count())


@pytest.mark.parametrize("username", sorted(USERS))
def test_writes_to_a_report_by_anyone_but_its_handlers_are_not_found_and_change_nothing(
        client, tree, users, events, username):
    from safehands.assessment.models import Action
    from safehands.events.models import EventAttachment, Investigation

    client.force_login(users[username])
    for code, made in events.items():
        if _handles(tree, username, code):
            continue
        before = (_state(), list(Action.objects.values_list("pk", "status")),
                  EventAttachment.objects.count(),
                  list(Investigation.objects.values_list("summary", flat=True)))
        for template, data in POST_ROUTES:
            url = _url(template, made)
            assert client.post(url, data).status_code == 404, (username, url)
        after = (_state(), list(Action.objects.values_list("pk", "status")),
                 EventAttachment.objects.count(),
                 list(Investigation.objects.values_list("summary", flat=True)))
        assert after == before, (username, code)


@pytest.mark.parametrize("username", ["ward.coordinator", "hospital.coordinator"])
def test_handlers_reach_the_write_routes_of_their_reports(client, tree, users, events,
                                                          username):
    client.force_login(users[username])
    made = events["W1"]
    for template, data in POST_ROUTES:
        url = _url(template, made)
        assert client.post(url, data).status_code in (200, 302, 400, 409), url
    assert EventMessage.objects.filter(event=made["event"]).count() == 1


def test_a_unit_nurse_of_another_trust_cannot_open_a_report_by_url(client, tree, users, events):
    client.force_login(users["other.trust.nurse"])
    response = client.get(f"/events/{events['W1']['event'].pk}/")
    assert response.status_code == 404
    assert b"There is no such report, or you do not have access to it." in response.content


def test_signed_out_callers_are_sent_to_sign_in(client, events):
    made = events["W1"]
    for template in (*GET_ROUTES, "/events/units/W1/queue/"):
        response = client.get(_url(template, made))
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    for template, data in POST_ROUTES:
        response = client.post(_url(template, made), data)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
