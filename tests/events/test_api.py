"""The events API: each endpoint role by role and unit by unit, bad input refused with the
field named and nothing saved, the workflow, the read log, counts with small cells hidden."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from safehands.assessment.models import Action
from safehands.audit.models import AuditEvent, ReadEvent, ReadKind, ReadPurpose
from safehands.events import services
from safehands.events.models import Event, EventSource, Status

JSON = "application/json"


def _post(client, url, body):
    return client.post(url, body, content_type=JSON)


def _report_body(**changes):
    body = {"event_type": "fall", "outcome": "low", "reached_patient": True,
            "occurred_at": (timezone.now() - datetime.timedelta(hours=2)).isoformat(),
            "description": "Patient slipped in the shower room; small bruise on the arm."}
    body.update(changes)
    return body


@pytest.fixture
def users(people, make_user):
    """The events fixtures' people, plus a national viewer and a region one."""
    return {**people, "national": make_user("national", ("NO", "viewer")),
            "region": make_user("region", ("R1", "viewer"))}


# --------------------------------------------------------------------------- reporting

def test_reporting_returns_the_reference_and_the_follow_up_token_once(client, users, tree):
    client.force_login(users["nurse"])
    response = _post(client, "/api/v1/events/units/W1/reports",
                     _report_body(factors=["team.handover"]))
    assert response.status_code == 201, response.json()
    body = response.json()
    event = Event.objects.get(pk=body["id"])
    assert body["reference"] == event.reference and body["status"] == "submitted"
    assert event.source == EventSource.API and event.reporter == users["nurse"]
    assert services.event_followup(body["followup_token"]) == event
    assert body["followup_url"] == f"/events/followup/{body['followup_token']}/"
    assert client.get(body["followup_url"]).status_code == 200
    assert list(event.factors.values_list("code", flat=True)) == ["team.handover"]
    assert AuditEvent.objects.get(action="event.reported").source == "api"
    client.force_login(users["handler"])
    detail = client.get(f"/api/v1/events/reports/{event.pk}").json()
    assert body["followup_token"] not in str(detail)  # given once, never again


def test_anyone_signed_in_may_report_for_any_unit_but_not_anonymous_callers(client, users):
    for name in ("other_nurse", "viewer", "national"):
        client.force_login(users[name])
        assert _post(client, "/api/v1/events/units/W1/reports",
                     _report_body()).status_code == 201, name
    client.logout()
    assert _post(client, "/api/v1/events/units/W1/reports", _report_body()).status_code == 401
    assert Event.objects.count() == 3


def test_an_anonymous_report_through_the_api_keeps_no_reporter(client, users):
    client.force_login(users["nurse"])
    body = _post(client, "/api/v1/events/units/W1/reports", _report_body(anonymous=True)).json()
    event = Event.objects.get(pk=body["id"])
    assert event.anonymous and event.reporter is None
    assert AuditEvent.objects.get(action="event.reported").actor is None
    client.force_login(users["handler"])
    assert client.get(f"/api/v1/events/reports/{event.pk}").json()["reporter"] is None


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"description": None}, "description", None),
    ({"description": "   "}, "description", None),
    ({"occurred_at": (timezone.now() + datetime.timedelta(days=2)).isoformat()},
     "occurred_at", "is in the future"),
    ({"occurred_at": "1999-12-31T12:00:00+00:00"}, "occurred_at", "before 2000"),
    ({"occurred_at": "yesterday"}, "occurred_at", None),
    ({"occurred_at": "0001-01-01T00:00:00+14:00"}, "occurred_at", None),
    ({"occurred_at": "9999-12-31T23:00:00-05:00"}, "occurred_at", None),
    ({"event_type": "alien_abduction"}, "event_type", None),
    ({"outcome": "catastrophic"}, "outcome", None),
    ({"factors": ["team.telepathy"]}, "factors", None),
    ({"reporter_email": "not an address"}, "reporter_email", None),
])
def test_a_bad_report_is_refused_naming_its_field_and_nothing_is_saved(
        client, users, changes, field, message):
    client.force_login(users["nurse"])
    body = _report_body(**changes)
    body = {k: v for k, v in body.items() if v is not None}
    response = _post(client, "/api/v1/events/units/W1/reports", body)
    assert response.status_code == 400
    answer = response.json()
    if message:  # a rule of the service: its message and the field
        assert message in answer["message"] and answer["extra"]["field"] == field
    else:  # the schema's or the service's refusal: either names the field
        assert answer["extra"].get("field") == field or any(
            field in problem["loc"] for problem in answer["extra"]["errors"]), answer
    assert not Event.objects.exists()
    assert not AuditEvent.objects.filter(action="event.reported").exists()


def test_reporting_for_an_unknown_unit_is_404(client, users):
    client.force_login(users["nurse"])
    response = _post(client, "/api/v1/events/units/NOPE/reports", _report_body())
    assert response.status_code == 404 and "NOPE" in response.json()["message"]


# --------------------------------------------------------------------------- the list

# Where each person may handle reports (coordinator on the unit or above), and where they may
# read counts (any role on the unit or above): stated, not derived from the code under test.
HANDLES = {"nurse": set(), "viewer": set(), "other_nurse": set(), "national": set(),
           "region": set(), "handler": {"H1", "W1", "W2"}, "lead": {"T1", "H1", "W1", "W2"},
           "other": {"T2", "H2", "W3"}}
VIEWS = {**HANDLES, "nurse": {"W1"}, "viewer": {"H1", "W1", "W2"}, "other_nurse": {"W3"},
         "national": {"NO", "R1", "R2", "T1", "H1", "W1", "W2", "T2", "H2", "W3", "M1", "N1"},
         "region": {"R1", "T1", "H1", "W1", "W2"}}


def test_the_list_answers_handlers_of_the_unit_exactly_on_their_subtree(
        client, users, tree, report):
    report()  # W1
    report(org_unit=tree["W3"], actor=users["other_nurse"])
    report(org_unit=tree["N1"])
    for username, units in HANDLES.items():
        client.force_login(users[username])
        for code, unit in tree.items():
            response = client.get(f"/api/v1/events/units/{code}/reports")
            if code in units:
                assert response.status_code == 200, (username, code)
                listed = {row["org_unit"] for row in response.json()["items"]}
                expected = {c for c in ("W1", "W3", "N1")
                            if tree[c].path.startswith(unit.path)}
                assert listed == expected, (username, code)
            else:
                assert response.status_code == 403, (username, code)


def test_the_list_has_no_free_text_and_filters_and_pages(client, users, report):
    report(description="Secret details of the fall")
    report(event_type="medication", outcome="none", reached_patient=False)
    third = report(outcome="moderate").event
    services.event_step(event=third, step="triage", actor=users["handler"])
    client.force_login(users["handler"])
    page = client.get("/api/v1/events/units/H1/reports?limit=2").json()
    assert page["count"] == 3 and len(page["items"]) == 2 and page["limit"] == 2
    assert "Secret" not in str(page) and "description" not in page["items"][0]
    rest = client.get("/api/v1/events/units/H1/reports?limit=2&offset=2").json()
    assert len(rest["items"]) == 1
    ids = {r["id"] for r in page["items"]} | {r["id"] for r in rest["items"]}
    assert len(ids) == 3
    triaged = client.get("/api/v1/events/units/H1/reports?status=triaged").json()
    assert [r["id"] for r in triaged["items"]] == [third.pk]
    assert triaged["items"][0]["handler"] == "handler"
    meds = client.get("/api/v1/events/units/H1/reports?event_type=medication").json()
    assert [r["event_type"] for r in meds["items"]] == ["medication"]
    assert meds["items"][0]["reached_patient"] is False
    assert client.get("/api/v1/events/units/H1/reports?outcome=moderate").json()["count"] == 1
    for bad in ("status=lost", "event_type=alien", "outcome=awful", "limit=0", "offset=-1"):
        response = client.get(f"/api/v1/events/units/H1/reports?{bad}")
        assert response.status_code == 400, bad
        assert bad.split("=")[0] in str(response.json()["extra"]["errors"][0]["loc"])


# --------------------------------------------------------------------------- one report

ENDPOINTS = ["", "/fhir"]
WHO_MAY = {"handler", "lead"}


def test_a_report_and_its_export_answer_only_its_handlers_others_get_404(
        client, users, report):
    event = report().event
    for username in HANDLES:
        client.force_login(users[username])
        missing = client.get(f"/api/v1/events/reports/{event.pk + 999}")
        assert missing.status_code == 404
        for suffix in ENDPOINTS:
            response = client.get(f"/api/v1/events/reports/{event.pk}{suffix}")
            if username in WHO_MAY:
                assert response.status_code == 200, (username, suffix)
            else:
                assert response.status_code == 404, (username, suffix)
                # the same answer as for no report at all
                assert response.json()["message"] == missing.json()["message"]
                assert b"bathroom" not in response.content
    assert ReadEvent.objects.count() == 2 * len(WHO_MAY)  # refusals read nothing


def test_reading_a_report_is_logged_and_shows_everything(client, users, report):
    receipt = report(factors=["patient.cognition"], immediate_actions="Checked by doctor.")
    event = receipt.event
    services.message_add(event=event, text="Did anyone see it?", token=receipt.followup_token)
    client.force_login(users["handler"])
    body = client.get(f"/api/v1/events/reports/{event.pk}").json()
    assert body["description"] == event.description
    assert body["immediate_actions"] == "Checked by doctor."
    assert body["reporter"] == "nurse" and body["factors"] == [
        {"code": "patient.cognition", "stage": "reported"}]
    assert [t["to_status"] for t in body["transitions"]] == ["submitted"]
    assert [m["author_kind"] for m in body["messages"]] == ["reporter"]
    assert {d["code"] for d in body["deadlines"]} == {"triage", "close"}
    assert body["investigation"] is None and body["actions"] == []
    assert set(body["steps"]) == {"triage", "reject", "duplicate"}
    read = ReadEvent.objects.get()
    assert (read.kind, read.purpose, read.source) == (
        ReadKind.EVENT_REPORT, ReadPurpose.EVENTS_API, "api")
    assert read.actor == users["handler"] and read.object_id == str(event.pk)


def test_the_fhir_export_is_an_adverse_event_and_its_read_is_logged(client, users, report):
    event = report().event
    client.force_login(users["handler"])
    response = client.get(f"/api/v1/events/reports/{event.pk}/fhir")
    assert response["Content-Type"].startswith("application/fhir+json")
    resource = response.json()
    assert resource["resourceType"] == "AdverseEvent"
    assert resource["identifier"]["value"] == event.reference
    read = ReadEvent.objects.get()
    assert (read.purpose, read.source) == (ReadPurpose.EVENT_EXPORT, "api")


# --------------------------------------------------------------------------- workflow

def _step(client, event, **body):
    return _post(client, f"/api/v1/events/reports/{event.pk}/steps", body)


def test_workflow_steps_through_the_api_with_the_version_guard(client, users, report):
    event = report(outcome="moderate").event
    client.force_login(users["handler"])
    response = _step(client, event, step="triage", expected_version=1, outcome="low")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "triaged" and body["version"] == 2 and body["outcome"] == "low"
    assert body["handler"] == "handler"
    stale = _step(client, event, step="investigate", expected_version=1)
    assert stale.status_code == 409 and stale.json()["extra"]["field"] == "version"
    event.refresh_from_db()
    assert event.status == Status.TRIAGED
    wrong = _step(client, event, step="close", expected_version=2)
    assert wrong.status_code == 409 and "cannot be moved" in wrong.json()["message"]
    assert _step(client, event, step="investigate", expected_version=2).status_code == 200
    approval = _step(client, event, step="request_approval", expected_version=3,
                     feedback="Thank you: the shower room gets a non-slip floor.")
    assert approval.status_code == 200
    closed = _step(client, event, step="close", expected_version=4)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert AuditEvent.objects.filter(action="event.close").get().source == "api"


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"step": "fly", "expected_version": 1}, 400, "step"),
    ({"step": "reject", "expected_version": 1}, 400, "note"),
    ({"step": "reject", "expected_version": 1, "note": "  "}, 400, "note"),
    ({"step": "triage"}, 400, "expected_version"),
    ({"step": "duplicate", "expected_version": 1}, 400, "duplicate_of"),
    ({"step": "duplicate", "expected_version": 1, "duplicate_of": 999999}, 404,
     "duplicate_of"),
    ({"step": "triage", "expected_version": 1, "handler": "nobody"}, 404, "handler"),
    ({"step": "triage", "expected_version": 1, "handler": "nurse"}, 400, "handler"),
    ({"step": "request_approval", "expected_version": 1}, 400, "feedback"),
    ({"step": "open_actions", "expected_version": 1}, 409, "status"),
])
def test_a_wrong_step_is_refused_naming_the_field_and_changes_nothing(
        client, users, report, body, status, field):
    event = report().event
    client.force_login(users["handler"])
    response = _step(client, event, **body)
    assert response.status_code == status, response.json()
    answer = response.json()
    assert field in _named(answer), answer
    event.refresh_from_db()
    assert event.status == Status.SUBMITTED and event.version == 1
    assert not AuditEvent.objects.filter(action__startswith="event.").exclude(
        action="event.reported").exists()


def test_a_duplicate_names_the_report_it_repeats_by_id(client, users, report):
    first, second = report().event, report().event
    client.force_login(users["handler"])
    response = _step(client, second, step="duplicate", expected_version=1,
                     duplicate_of=first.pk)
    assert response.status_code == 200 and response.json()["duplicate_of"] == first.pk


# --------------------------------------------------------------------------- writes: who may

WRITES = [
    ("steps", {"step": "triage", "expected_version": 1}),
    ("notification", {"reference": "HT-2026-0001"}),
    ("messages", {"text": "Thank you, we are looking at it."}),
    ("actions", {"what": "Non-slip mats", "owner": "Ward manager", "strength": "strong"}),
]


@pytest.mark.parametrize(("endpoint", "body"), WRITES)
def test_writes_on_a_report_are_404_for_everyone_but_its_handlers(
        client, users, report, endpoint, body):
    event = report(outcome="severe").event
    for username in ("nurse", "viewer", "other", "other_nurse", "national", "region"):
        client.force_login(users[username])
        response = _post(client, f"/api/v1/events/reports/{event.pk}/{endpoint}", body)
        assert response.status_code == 404, (username, endpoint)
        assert response.json()["message"] == services.NOT_FOUND
    event.refresh_from_db()
    assert event.version == 1 and not event.messages.exists() and event.notified_at is None
    assert not Action.objects.exists()


@pytest.mark.parametrize("username", sorted(WHO_MAY))
def test_handlers_of_the_unit_and_its_line_may_notify_write_and_act(
        client, users, report, username):
    receipt = report(outcome="severe")
    event = receipt.event
    client.force_login(users[username])
    notified = _post(client, f"/api/v1/events/reports/{event.pk}/notification",
                     {"reference": "HT-2026-0001"})
    assert notified.status_code == 200
    assert notified.json()["notification_reference"] == "HT-2026-0001"
    assert event.deadlines.get(code="notify_specialist").met_at is not None
    message = _post(client, f"/api/v1/events/reports/{event.pk}/messages",
                    {"text": "Thank you, we are looking at it."})
    assert message.status_code == 201 and message.json()["author_kind"] == "handler"
    followed = services.event_followup(receipt.followup_token)
    assert [m.text for m in followed.messages.all()] == ["Thank you, we are looking at it."]
    not_yet = _post(client, f"/api/v1/events/reports/{event.pk}/actions",
                    {"what": "Non-slip mats", "owner": "Ward manager", "strength": "strong"})
    assert not_yet.status_code == 409  # actions come from an investigation
    event.refresh_from_db()
    for step in ("triage", "investigate"):
        event.refresh_from_db()
        assert _step(client, event, step=step,
                     expected_version=event.version).status_code == 200
    action = _post(client, f"/api/v1/events/reports/{event.pk}/actions",
                   {"what": "Non-slip mats", "owner": "Ward manager", "strength": "strong",
                    "due_date": "2030-01-31"})
    assert action.status_code == 201, action.json()
    planned = Action.objects.get()
    assert planned.org_unit.code == "W1" and planned.target_area.code == "falls"
    assert action.json() == {"action": planned.pk, "what": "Non-slip mats",
                             "owner": "Ward manager", "due_date": "2030-01-31",
                             "status": "planned", "strength": "strong"}


def _named(answer: dict) -> str:
    return answer["extra"].get("field") or str(answer["extra"].get("errors"))


def test_bad_notes_messages_and_actions_name_their_field(client, users, report):
    low = report().event
    client.force_login(users["handler"])
    nothing_due = _post(client, f"/api/v1/events/reports/{low.pk}/notification",
                        {"reference": "HT-1"})
    assert nothing_due.status_code == 409
    assert nothing_due.json()["message"] == services.NOTHING_TO_NOTIFY
    low = services.event_step(event=low, step="triage", actor=users["handler"])
    low = services.event_step(event=low, step="investigate", actor=users["handler"])
    for endpoint, body, field in [
            ("notification", {"reference": " "}, "reference"),
            ("messages", {"text": ""}, "text"),
            ("messages", {"text": " \n "}, "text"),
            ("actions", {"what": "x", "owner": "y", "strength": "mighty"}, "strength"),
            ("actions", {"what": " ", "owner": "y", "strength": "weak"}, "what"),
            ("actions", {"what": "x", "owner": "y", "strength": "weak", "due_date": "soon"},
             "due_date")]:
        response = _post(client, f"/api/v1/events/reports/{low.pk}/{endpoint}", body)
        assert response.status_code == 400, (endpoint, body)
        assert field in _named(response.json()), response.json()
    low.refresh_from_db()
    assert low.notified_at is None and not low.messages.exists()
    assert not Action.objects.exists()


# --------------------------------------------------------------------------- counts

def _counts(client, code, query=""):
    return client.get(f"/api/v1/events/units/{code}/counts{query}")


def test_counts_answer_viewers_exactly_on_their_subtree(client, users, tree):
    for username, units in VIEWS.items():
        client.force_login(users[username])
        for code in tree:
            expected = 200 if code in units else 403
            assert _counts(client, code).status_code == expected, (username, code)


def test_counts_are_whole_inside_the_organisation_and_small_cells_hidden_across(
        client, users, report, tree):
    for _ in range(6):
        report()
    report(event_type="medication", outcome="none", reached_patient=False)
    rejected = report(event_type="surgery").event
    services.event_step(event=rejected, step="reject", actor=users["handler"],
                        note="Reported twice by mistake")
    client.force_login(users["viewer"])  # a viewer of the hospital: own organisation
    own = _counts(client, "W1").json()
    assert own["suppressed"] is False and own["total"] == 7 and own["near_misses"] == 1
    by_type = {c["code"]: c["count"] for c in own["by_type"]}
    assert by_type["fall"] == 6 and by_type["medication"] == 1 and by_type["surgery"] == 0
    assert {c["code"]: c["count"] for c in own["by_outcome"]}["none"] == 1
    client.force_login(users["national"])  # reading a trust from above it
    across = _counts(client, "T1").json()
    assert across["suppressed"] is True and across["threshold"] == 5
    cells = {c["code"]: c for c in across["by_type"]}
    assert cells["fall"]["count"] == 6 and not cells["fall"]["suppressed"]
    assert cells["medication"]["count"] is None and cells["medication"]["suppressed"]
    assert sum(c["suppressed"] for c in across["by_type"]) >= 2  # and its complement
    assert across["total"] == 7
    assert across["near_misses"] is None  # one near miss is a small cell
    client.force_login(users["region"])  # a region's counts cross trusts
    region = _counts(client, "R1").json()
    assert region["suppressed"] is True
    assert {c["code"]: c["count"] for c in region["by_type"]}["medication"] is None
    client.force_login(users["lead"])  # handlers see the reports themselves
    assert _counts(client, "T1").json()["suppressed"] is False


def test_counts_below_the_threshold_hide_everything_across_a_boundary(client, users, report):
    report()
    client.force_login(users["national"])
    body = _counts(client, "T1").json()
    assert body["total"] is None
    assert all(c["count"] is None for c in body["by_type"] + body["by_outcome"])


def test_counts_filter_by_the_day_it_happened(client, users, report):
    now = timezone.now()
    report(occurred_at=now - datetime.timedelta(days=40))
    report(occurred_at=now - datetime.timedelta(days=1))
    client.force_login(users["viewer"])
    since = (now - datetime.timedelta(days=10)).date().isoformat()
    assert _counts(client, "W1", f"?date_from={since}").json()["total"] == 1
    until = (now - datetime.timedelta(days=10)).date().isoformat()
    assert _counts(client, "W1", f"?date_to={until}").json()["total"] == 1
    everything = _counts(client, "W1", "?date_from=0001-01-01&date_to=9999-12-31").json()
    assert everything["total"] == 2  # days beyond the calendar's ends count nothing more
    reversed_ = _counts(client, "W1", f"?date_from={since}&date_to=2020-01-01")
    assert reversed_.status_code == 400 and reversed_.json()["extra"]["field"] == "date_from"
