"""The handler's pages through the full stack: the queue, the report and each workflow step,
the notification, the conversation and the investigation. Each form: it works, it is refused,
bad input names the problem and saves nothing, and a stale form meets the version guard."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from safehands.assessment.models import Action
from safehands.audit.models import ReadEvent
from safehands.events import investigation as inv
from safehands.events import services
from safehands.events.models import (
    CausalStatement,
    Event,
    EventAttachment,
    EventMessage,
    EventTransition,
    Status,
    TimelineEntry,
)

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _login(client, user):
    client.force_login(user)
    return client


def _step(client, event, step, **fields):
    event.refresh_from_db()
    data = {"step": step, f"{step}-expected_version": fields.pop("version", event.version)}
    data.update({f"{step}-{k}": v for k, v in fields.items()})
    return client.post(f"/events/{event.pk}/step/", data)


def _text(response) -> str:
    return response.content.decode()


def _main(response) -> str:
    """The page's main region: what differs between pages (not the CSRF tokens)."""
    return _text(response).split('<main id="content">')[1].split("</main>")[0]


def _investigating(report, people):
    event = report().event
    services.event_step(event=event, step="triage", actor=people["handler"])
    return services.event_step(event=event, step="investigate", actor=people["handler"])


# -- the queue --------------------------------------------------------------------------------

def test_queue_lists_the_subtrees_open_reports_with_counts(client, report, people, tree):
    open_one = report().event
    elsewhere = report(org_unit=tree["W2"]).event
    rejected = report().event
    services.event_step(event=rejected, step="reject", actor=people["handler"], note="Spam")
    other_trust = report(org_unit=tree["W3"], actor=people["other_nurse"]).event
    page = _text(_login(client, people["handler"]).get("/events/units/H1/queue/"))
    assert open_one.reference in page and elsewhere.reference in page
    assert rejected.reference not in page  # open ones by default
    assert other_trust.reference not in page
    assert "2 reports" in page
    assert 'Rejected <span class="count">1</span>' in page
    every = _text(client.get("/events/units/H1/queue/?status=all"))
    assert rejected.reference in every and "3 reports" in every


def test_queue_filters_by_unit_type_outcome_mine_and_reference(client, report, people, tree):
    fall = report().event
    medication = report(event_type="medication", outcome="moderate",
                        org_unit=tree["W2"]).event
    services.event_step(event=medication, step="triage", actor=people["handler"],
                        handler=people["lead"])
    _login(client, people["handler"])
    assert fall.reference not in _text(client.get("/events/units/H1/queue/?unit=W2"))
    page = _text(client.get("/events/units/H1/queue/?event_type=medication"))
    assert medication.reference in page and fall.reference not in page
    page = _text(client.get("/events/units/H1/queue/?outcome=low"))
    assert fall.reference in page and medication.reference not in page
    assert medication.reference not in _text(client.get("/events/units/H1/queue/?mine=on"))
    client.force_login(people["lead"])
    assert medication.reference in _text(client.get("/events/units/T1/queue/?mine=on"))
    page = _text(client.get(f"/events/units/T1/queue/?q={fall.reference[2:6].lower()}"))
    assert fall.reference in page and medication.reference not in page


def test_queue_shows_overdue_deadlines_and_filters_on_them(client, report, people):
    late = report(reported_at=timezone.now() - datetime.timedelta(days=4),
                  occurred_at=timezone.now() - datetime.timedelta(days=5)).event
    fresh = report().event
    _login(client, people["handler"])
    page = _text(client.get("/events/units/H1/queue/"))
    assert page.count('class="overdue"') == 1 and "badge overdue" in page
    page = _text(client.get("/events/units/H1/queue/?overdue=on"))
    assert late.reference in page and fresh.reference not in page


def test_queue_names_a_bad_filter_and_still_answers(client, report, people):
    report()
    _login(client, people["handler"])
    response = client.get("/events/units/H1/queue/?unit=W3&outcome=catastrophic&page=x")
    assert response.status_code == 200
    page = _text(response)
    assert "There is no unit &#x27;W3&#x27; at or below Hospital One." in page
    assert "Outcome: Select a valid choice." in page
    assert "Page: Enter a whole number." in page
    assert 'role="alert"' in page


def test_queue_pages_by_fifty_newest_first(client, report, people):
    now = timezone.now()
    events = [report(reported_at=now - datetime.timedelta(minutes=i),
                     occurred_at=now - datetime.timedelta(hours=1, minutes=i)).event
              for i in range(53)]
    _login(client, people["handler"])
    first = _text(client.get("/events/units/H1/queue/"))
    assert events[0].reference in first and events[49].reference in first
    assert events[50].reference not in first and 'rel="next"' in first
    assert "Page 1 of 2" in first
    second = _text(client.get("/events/units/H1/queue/?page=2"))
    assert events[52].reference in second and events[0].reference not in second


@pytest.mark.parametrize("who", ["nurse", "viewer", "other"])
def test_queue_is_refused_without_the_handler_role(client, report, people, who):
    report()
    response = _login(client, people[who]).get("/events/units/H1/queue/")
    assert response.status_code == 403
    assert b"Hospital One" not in response.content or who == "viewer"


# -- the report page --------------------------------------------------------------------------

def test_report_page_shows_the_report_and_logs_the_read(client, report, people):
    event = report().event
    response = _login(client, people["handler"]).get(f"/events/{event.pk}/")
    assert response.status_code == 200
    page = _text(response)
    assert "Patient fell on the way to the bathroom at night." in page
    assert 'id="reporter">nurse<' in page
    assert 'id="step-triage"' in page and 'id="step-reject"' in page
    assert 'id="step-close"' not in page
    assert "Triage the report" in page  # the deadline
    read = ReadEvent.objects.get()
    assert (read.kind, read.purpose, read.actor_username) == (
        "event_report", "event_handling", "handler")
    assert read.where == f"/events/{event.pk}/"


@pytest.mark.parametrize(("changes", "shown"), [
    ({"anonymous": True}, "Anonymous"),
    ({"source": "public", "actor": None, "reporter_kind": "patient"}, "A patient (public form)"),
    ({"source": "public", "actor": None, "reporter_kind": "relative",
      "reporter_email": "kari@example.org"}, "A relative (public form)"),
])
def test_report_page_says_no_more_of_the_reporter_than_their_kind(client, report, people,
                                                                   changes, shown):
    event = report(**changes).event
    page = _text(_login(client, people["handler"]).get(f"/events/{event.pk}/"))
    assert f'id="reporter">{shown}<' in page
    assert "kari@example.org" not in page and "nurse" not in page.split('id="reporter"')[1][:40]


@pytest.mark.parametrize("who", ["nurse", "viewer", "other", "other_nurse"])
def test_report_page_is_not_found_for_those_who_may_not_handle_it(client, report, people, who):
    event = report().event
    response = _login(client, people[who]).get(f"/events/{event.pk}/")
    missing = client.get("/events/999999/")
    assert response.status_code == 404 == missing.status_code
    assert _main(response) == _main(missing)
    assert b"Patient fell" not in response.content
    assert not ReadEvent.objects.exists()


def test_report_page_is_printable(client, report, people):
    event = report().event
    page = _text(_login(client, people["handler"]).get(f"/events/{event.pk}/"))
    assert "data-print" in page and 'class="no-print"' in page


# -- the workflow steps -----------------------------------------------------------------------

def test_triage_assigns_a_handler_and_corrects_type_and_outcome(client, report, people):
    event = report().event
    _login(client, people["handler"])
    response = _step(client, event, "triage", handler=people["lead"].pk,
                     event_type="medication", outcome="moderate", reached_patient="no",
                     note="Checked with the ward")
    assert response.status_code == 302 and response["Location"] == f"/events/{event.pk}/"
    event.refresh_from_db()
    assert (event.status, event.handler, event.event_type, event.outcome,
            event.reached_patient) == (Status.TRIAGED, people["lead"], "medication",
                                       "moderate", False)
    page = _text(client.get(f"/events/{event.pk}/"))
    assert "Triage: done." in page and "Checked with the ward" in page
    assert 'id="step-investigate"' in page


def test_triage_refuses_a_handler_who_may_not_handle_and_saves_nothing(client, report, people):
    event = report().event
    _login(client, people["handler"])
    response = _step(client, event, "triage", handler=people["nurse"].pk, event_type="fall",
                     outcome="low")
    assert response.status_code == 400
    assert "Select a valid choice" in _text(response)
    event.refresh_from_db()
    assert event.status == Status.SUBMITTED and event.handler is None


def test_reject_needs_a_reason_named_on_its_field(client, report, people):
    event = report().event
    _login(client, people["handler"])
    response = _step(client, event, "reject", note="  ")
    assert response.status_code == 400
    page = _text(response)
    assert 'id="id_reject-note_error"' in page
    assert str(services.REASON_REQUIRED).replace("'", "&#x27;") in page
    event.refresh_from_db()
    assert event.status == Status.SUBMITTED
    assert _step(client, event, "reject", note="Not a patient-safety event").status_code == 302
    event.refresh_from_db()
    assert event.status == Status.REJECTED and event.reason == "Not a patient-safety event"


def test_duplicate_finds_the_other_report_by_reference(client, report, people, tree):
    first = report().event
    again = report(org_unit=tree["W2"]).event
    _login(client, people["handler"])
    response = _step(client, again, "duplicate", duplicate_of="NOPE1234")
    assert response.status_code == 400
    assert "There is no report NOPE1234 in this organisation" in _text(response)
    response = _step(client, again, "duplicate", duplicate_of=again.reference)
    assert str(services.DUPLICATE_ITSELF) in _text(response)
    assert _step(client, again, "duplicate",
                 duplicate_of=first.reference.lower()).status_code == 302
    again.refresh_from_db()
    assert again.status == Status.DUPLICATE and again.duplicate_of == first


def test_duplicate_of_another_trusts_report_is_not_found(client, report, people, tree):
    theirs = report(org_unit=tree["W3"], actor=people["other_nurse"]).event
    ours = report().event
    _login(client, people["handler"])
    response = _step(client, ours, "duplicate", duplicate_of=theirs.reference)
    assert response.status_code == 400
    ours.refresh_from_db()
    assert ours.status == Status.SUBMITTED


def test_a_stale_form_gets_the_changed_meanwhile_message(client, report, people):
    event = report().event
    _login(client, people["handler"])
    seen = event.version
    changed = services.event_step(event=event, step="triage", actor=people["lead"])
    response = _step(client, changed, "reject", note="Duplicate of a phone call",
                     version=seen)
    assert response.status_code == 409
    page = _text(response)
    assert "Someone else changed this report while you had it open" in page
    assert 'role="alert"' in page
    event.refresh_from_db()
    assert event.status == Status.TRIAGED and event.reason == ""


def test_a_step_the_state_does_not_allow_is_refused(client, report, people):
    event = report().event
    _login(client, people["handler"])
    response = _step(client, event, "close", feedback="Done")
    assert response.status_code == 409
    assert "cannot be moved with" in _text(response)
    response = client.post(f"/events/{event.pk}/step/", {"step": "explode"})
    assert response.status_code == 400
    assert "That is not a step this report can take." in _text(response)
    event.refresh_from_db()
    assert event.status == Status.SUBMITTED


def test_a_form_without_its_version_is_refused(client, report, people):
    event = report().event
    _login(client, people["handler"])
    response = client.post(f"/events/{event.pk}/step/", {"step": "reject",
                                                         "reject-note": "x"})
    assert response.status_code == 400
    assert "Check the form" in _text(response)
    event.refresh_from_db()
    assert event.status == Status.SUBMITTED


def test_the_whole_way_to_closing(client, report, people):
    event = report().event
    _login(client, people["handler"])
    assert _step(client, event, "triage", event_type="fall", outcome="low").status_code == 302
    assert _step(client, event, "investigate").status_code == 302
    response = _step(client, event, "open_actions")
    assert response.status_code == 409 and str(services.ACTIONS_REQUIRED) in _text(response)
    inv.event_action_add(event=event, actor=people["handler"], what="Bed alarms on at night",
                         owner="Ward manager", due_date=None, strength="strong")
    assert _step(client, event, "open_actions").status_code == 302
    response = _step(client, event, "request_approval", feedback="")
    assert response.status_code == 400
    assert 'id="id_request_approval-feedback_error"' in _text(response)
    assert _step(client, event, "request_approval",
                 feedback="We found the alarm was off; it is now checked.").status_code == 302
    assert _step(client, event, "send_back").status_code == 400
    assert _step(client, event, "send_back", note="Say more about the alarm").status_code == 302
    assert _step(client, event, "request_approval",
                 feedback="The alarm was off; every shift now checks it.").status_code == 302
    client.force_login(people["lead"])
    assert _step(client, event, "close",
                 feedback="The alarm was off; every shift now checks it.").status_code == 302
    event.refresh_from_db()
    assert event.status == Status.CLOSED and event.feedback_sent_at is not None
    assert list(EventTransition.objects.filter(event=event).values_list("to_status", flat=True)) \
        == ["submitted", "triaged", "investigating", "actions_open", "awaiting_approval",
            "investigating", "awaiting_approval", "closed"]
    page = _text(client.get(f"/events/{event.pk}/"))
    assert 'id="step-reopen"' in page and "every shift now checks it" in page
    assert _step(client, event, "reopen", note="New facts").status_code == 302


def test_severe_harm_is_closed_by_someone_other_than_its_handler(client, report, people):
    event = report(outcome="severe").event
    for step in ("triage", "investigate"):
        services.event_step(event=event, step=step, actor=people["handler"])
    services.event_step(event=event, step="request_approval", actor=people["handler"],
                        feedback="Found and fixed.")
    _login(client, people["handler"])
    response = _step(client, event, "close", feedback="Found and fixed.")
    assert response.status_code == 403
    assert "closed by someone other than its handler" in _text(response)
    event.refresh_from_db()
    assert event.status == Status.AWAITING_APPROVAL


# -- notification and conversation ------------------------------------------------------------

def test_statutory_notification_is_prominent_and_recorded(client, report, people):
    event = report(outcome="death").event
    _login(client, people["handler"])
    page = _text(client.get(f"/events/{event.pk}/"))
    assert 'id="statutory"' in page and "not yet recorded" in page
    assert page.index('id="statutory"') < page.index('id="description"')
    response = client.post(f"/events/{event.pk}/notify/", {"notify-reference": "  "})
    assert response.status_code == 400
    assert 'id="id_notify-reference_error"' in _text(response)
    event.refresh_from_db()
    assert event.notified_at is None
    response = client.post(f"/events/{event.pk}/notify/", {"notify-reference": "HT-2026-0042"})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.notification_reference == "HT-2026-0042"
    page = _text(client.get(f"/events/{event.pk}/"))
    assert "HT-2026-0042" in page and 'id="notify-form"' not in page


def test_a_report_with_nothing_to_notify_says_so(client, report, people):
    event = report().event
    response = _login(client, people["handler"]).post(f"/events/{event.pk}/notify/",
                                                      {"notify-reference": "X"})
    assert response.status_code == 409
    assert str(services.NOTHING_TO_NOTIFY) in _text(response)


def test_messages_to_the_reporter(client, report, people):
    event = report().event
    _login(client, people["handler"])
    response = client.post(f"/events/{event.pk}/messages/", {"message-text": ""})
    assert response.status_code == 400 and str(services.MESSAGE_REQUIRED) in _text(response)
    assert not EventMessage.objects.exists()
    response = client.post(f"/events/{event.pk}/messages/",
                           {"message-text": "Thank you; we are looking into it."})
    assert response.status_code == 302 and response["Location"].endswith("#conversation")
    message = EventMessage.objects.get()
    assert (message.author_kind, message.author) == ("handler", people["handler"])
    assert "Thank you; we are looking into it." in _text(client.get(f"/events/{event.pk}/"))


@pytest.mark.parametrize("who", ["nurse", "viewer", "other"])
def test_writes_from_those_who_may_not_handle_are_not_found(client, report, people, who):
    event = report(outcome="death").event
    _login(client, people[who])
    assert _step(client, event, "reject", note="no").status_code == 404
    assert client.post(f"/events/{event.pk}/notify/",
                       {"notify-reference": "X"}).status_code == 404
    assert client.post(f"/events/{event.pk}/messages/",
                       {"message-text": "x"}).status_code == 404
    event.refresh_from_db()
    assert event.status == Status.SUBMITTED and event.notified_at is None
    assert not EventMessage.objects.exists()


# -- the investigation ------------------------------------------------------------------------

def test_investigation_page_before_the_investigation(client, report, people):
    event = report().event
    response = _login(client, people["handler"]).get(f"/events/{event.pk}/investigation/")
    assert response.status_code == 200
    page = _text(response)
    assert 'id="not-editable"' in page and 'id="attachment-form"' in page
    assert 'id="review-form"' not in page
    assert ReadEvent.objects.filter(purpose="event_handling").count() == 1


def test_review_with_factors_by_group(client, report, people):
    event = _investigating(report, people)
    _login(client, people["handler"])
    page = _text(client.get(f"/events/{event.pk}/investigation/"))
    assert "<legend>Team and communication</legend>" in page
    response = client.post(f"/events/{event.pk}/investigation/review/", {
        "summary-summary": "The alarm was off.", "summary-went_well": "Quick help.",
        "summary-factors": ["task.equipment", "team.handover"]})
    assert response.status_code == 302
    event.investigation.refresh_from_db()
    assert event.investigation.summary == "The alarm was off."
    assert set(event.factors.filter(stage="investigation").values_list("code", flat=True)) == {
        "task.equipment", "team.handover"}
    response = client.post(f"/events/{event.pk}/investigation/review/", {
        "summary-summary": "Changed", "summary-factors": ["made.up"]})
    assert response.status_code == 400 and "Select a valid choice" in _text(response)
    event.investigation.refresh_from_db()
    assert event.investigation.summary == "The alarm was off."


def test_timeline_entries(client, report, people):
    event = _investigating(report, people)
    _login(client, people["handler"])
    url = f"/events/{event.pk}/investigation/timeline/"
    response = client.post(url, {"timeline-at": "yesterday", "timeline-what": "Call bell"})
    assert response.status_code == 400
    assert "Give the time as a date and a time" in _text(response)
    response = client.post(url, {"timeline-at": "", "timeline-what": "Call bell"})
    assert response.status_code == 400 and str(inv.TIME_REQUIRED) in _text(response)
    response = client.post(url, {"timeline-at": "2026-01-10T02:15", "timeline-what": " "})
    assert response.status_code == 400 and "The what is empty." in _text(response)
    assert not TimelineEntry.objects.exists()
    response = client.post(url, {"timeline-at": "2026-01-10T02:15",
                                 "timeline-what": "Patient rang the bell"})
    assert response.status_code == 302
    assert "Patient rang the bell" in _text(client.get(f"/events/{event.pk}/investigation/"))


def test_causal_statements(client, report, people):
    event = _investigating(report, people)
    _login(client, people["handler"])
    url = f"/events/{event.pk}/investigation/causes/"
    response = client.post(url, {"cause-cause": "Alarm off", "cause-effect": ""})
    assert response.status_code == 400 and "The effect is empty." in _text(response)
    assert client.post(url, {"cause-cause": "Alarm off", "cause-effect": "Nobody came",
                             "cause-factor": "task.equipment"}).status_code == 302
    statement = CausalStatement.objects.get()
    assert (statement.cause, statement.factor) == ("Alarm off", "task.equipment")


def test_investigation_writes_are_refused_outside_the_investigation(client, report, people):
    event = report().event
    _login(client, people["handler"])
    response = client.post(f"/events/{event.pk}/investigation/timeline/",
                           {"timeline-at": "2026-01-10T02:15", "timeline-what": "x"})
    assert response.status_code == 409
    assert "The investigation can be changed while" in _text(response)
    assert not TimelineEntry.objects.exists()


def test_attachments_upload_download_and_refusals(client, report, people, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    event = report().event
    _login(client, people["handler"])
    url = f"/events/{event.pk}/attachments/"
    response = client.post(url, {})
    assert response.status_code == 400 and "Choose a file to attach." in _text(response)
    response = client.post(url, {"attachment-file": SimpleUploadedFile(
        "tool.pdf", b"MZ\x90\x00 a program", content_type="application/pdf")})
    assert response.status_code == 400
    assert "The file tool.pdf is not a PDF, PNG, JPEG or plain-text file" in _text(response)
    settings.SAFEHANDS_EVENT_ATTACHMENT_MAX_BYTES = 20
    response = client.post(url, {"attachment-file": SimpleUploadedFile("scan.pdf", PDF)})
    assert response.status_code == 400
    assert "The file scan.pdf is 0.0 MB; attachments may be at most" in _text(response)
    assert not EventAttachment.objects.exists()
    settings.SAFEHANDS_EVENT_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    response = client.post(url, {"attachment-file": SimpleUploadedFile(
        'scan "1".pdf', PDF, content_type="text/html")})
    assert response.status_code == 302
    attachment = EventAttachment.objects.get()
    assert attachment.content_type == "application/pdf"
    before = ReadEvent.objects.count()
    response = client.get(f"/events/{event.pk}/attachments/{attachment.pk}/")
    assert response.status_code == 200 and response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert ReadEvent.objects.count() == before + 1
    read = ReadEvent.objects.order_by("-id").first()
    assert read.purpose == "event_handling" and read.object_type.endswith("eventattachment")
    assert client.get(f"/events/{event.pk}/attachments/{attachment.pk + 1}/").status_code == 404


def test_an_upload_past_the_servers_limit_is_named(client, report, people, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.SAFEHANDS_UPLOAD_MAX_BYTES = 10
    event = report().event
    response = _login(client, people["handler"]).post(
        f"/events/{event.pk}/attachments/",
        {"attachment-file": SimpleUploadedFile("big.pdf", PDF * 10)})
    assert response.status_code == 400
    assert "The file big.pdf is larger than the" in _text(response)


def test_actions_go_into_the_units_action_plan(client, report, people):
    event = _investigating(report, people)
    _login(client, people["handler"])
    url = f"/events/{event.pk}/actions/"
    response = client.post(url, {"action-what": "Alarm check", "action-owner": "Ward manager",
                                 "action-due_date": "next week", "action-strength": "strong"})
    assert response.status_code == 400 and "Give the due date as YYYY-MM-DD." in _text(response)
    response = client.post(url, {"action-what": "Alarm check", "action-owner": "Ward manager"})
    assert response.status_code == 400 and "Choose how strong the action is." in _text(response)
    response = client.post(url, {"action-what": "Alarm check", "action-owner": "",
                                 "action-strength": "weak"})
    assert response.status_code == 400
    assert not Action.objects.exists()
    response = client.post(url, {"action-what": "Bed alarm checked every shift",
                                 "action-owner": "Ward manager", "action-due_date": "2026-12-01",
                                 "action-strength": "strong"})
    assert response.status_code == 302
    action = Action.objects.get()
    assert action.org_unit == event.org_unit and action.event_link.strength == "strong"
    page = _text(client.get(f"/events/{event.pk}/investigation/"))
    assert "Bed alarm checked every shift" in page
    assert f'href="/assessment/units/{event.org_unit.code}/actions/"' in page
    assert "Bed alarm checked every shift" in _text(
        client.get(f"/assessment/units/{event.org_unit.code}/actions/"))
    response = client.post(f"/events/{event.pk}/actions/{action.pk}/status/",
                           {"status": "in_progress"})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == "in_progress"
    response = client.post(f"/events/{event.pk}/actions/{action.pk}/status/",
                           {"status": "finished"})
    assert response.status_code == 400
    assert client.post(f"/events/{event.pk}/actions/{action.pk + 99}/status/",
                       {"status": "done"}).status_code == 404


@pytest.mark.parametrize("who", ["nurse", "viewer", "other"])
def test_investigation_routes_are_not_found_for_others(client, report, people, who):
    event = _investigating(report, people)
    attachment = inv.attachment_add(event=event, actor=people["handler"], name="a.pdf",
                                    data=PDF)
    _login(client, people[who])
    for url in (f"/events/{event.pk}/investigation/",
                f"/events/{event.pk}/attachments/{attachment.pk}/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/events/{event.pk}/investigation/review/",
                       {"summary-summary": "x"}).status_code == 404
    assert client.post(f"/events/{event.pk}/actions/", {
        "action-what": "x", "action-owner": "y", "action-strength": "weak"}).status_code == 404
    assert not Action.objects.exists()
    assert not Event.objects.get(pk=event.pk).investigation.summary


# -- the unit page ----------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "queue", "analysis"), [
    ("handler", True, True), ("viewer", False, True), ("nurse", False, True),
])
def test_unit_page_links_to_the_queue_for_handlers(client, people, who, queue, analysis):
    page = _text(_login(client, people[who]).get("/orgs/W1/"))
    assert ('href="/events/units/W1/queue/"' in page) is queue
    assert ('href="/events/units/W1/analysis/"' in page) is analysis
