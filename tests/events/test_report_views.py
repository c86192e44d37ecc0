"""The reporting pages through the full stack: the staff form, the public form, the receipt,
the follow-up link and My reports. Every refusal names its field, keeps what was typed and
saves nothing."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from safehands.audit.models import AuditEvent
from safehands.events import services
from safehands.events.identity import MASK
from safehands.events.models import Event, EventMessage, Status

REPORT = "/events/report/"
PUBLIC = "/events/public/"
RECEIPT = "/events/receipt/"


def _valid_identity_number() -> str:
    from safehands.events.identity import is_identity_number

    return next(f"150385{tail:05d}" for tail in range(100000)
                if is_identity_number(f"150385{tail:05d}"))


def _when(delta: datetime.timedelta = datetime.timedelta(hours=-2)) -> dict[str, str]:
    at = timezone.localtime(timezone.now() + delta)
    return {"occurred_date": at.date().isoformat(), "occurred_time": at.strftime("%H:%M")}


def staff_form(**changes) -> dict:
    data = {"description": "Patient slipped on a wet floor by the sink.", **_when(),
            "org_unit": "W1", "event_type": "fall", "outcome": "low",
            "reached_patient": "yes", "immediate_actions": "Doctor called.",
            "factors": ["environment.layout"], "reporter_email": "", "send": "1"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def public_form(**changes) -> dict:
    data = {"reporter_kind": "relative", "unit_search": "", "org_unit": "H1", **_when(),
            "description": "My father was given his evening tablets twice.",
            "outcome": "none", "reporter_email": "", "leave_empty": "", "send": "1"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def nurse_client(client, people):
    client.force_login(people["nurse"])
    return client


def _followup_link(html: str) -> str:
    match = re.search(r'id="followup-link"[^>]*>(http[^<]+)<', html)
    assert match, html
    return match.group(1)


# -- the staff form ----------------------------------------------------------------------

def test_the_staff_form_offers_the_reporters_own_unit_first_and_defaults_to_now(nurse_client):
    response = nurse_client.get(REPORT)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<optgroup label="Your units">' in html
    assert '<option value="W1" selected>Ward One (Hospital One)</option>' in html
    assert timezone.localtime(timezone.now()).date().isoformat() in html
    assert "Do not write the patient" in html
    assert "identity numbers (fødselsnummer and D-numbers) are removed" in html
    # the event types come grouped, with harm to staff as its own group
    assert '<optgroup label="Staff safety (harm to staff)">' in html
    assert html.index("Violence or threats against staff") > html.index(
        '<optgroup label="Staff safety (harm to staff)">')
    # every outcome with its definition, and the anonymity explained
    assert "Lasting harm, or harm that needed life-saving treatment." in html
    assert "Your name is then not stored with the report" in html


def test_a_staff_report_is_saved_and_the_receipt_shows_the_reference_and_link_once(
        nurse_client, people):
    response = nurse_client.post(REPORT, staff_form())
    assert response.status_code == 302 and response["Location"] == RECEIPT
    event = Event.objects.get()
    assert event.reporter == people["nurse"] and not event.anonymous
    assert event.org_unit.code == "W1" and event.event_type == "fall"
    assert event.reached_patient is True
    assert list(event.factors.values_list("code", flat=True)) == ["environment.layout"]
    assert event.immediate_actions == "Doctor called."
    receipt = nurse_client.get(RECEIPT)
    html = receipt.content.decode()
    assert receipt.status_code == 200
    assert event.reference in html
    link = _followup_link(html)
    assert link.startswith("http://testserver/events/followup/")
    assert services.event_followup(link.rstrip("/").rsplit("/", 1)[1]) == event
    assert receipt["Cache-Control"] == "no-store"  # its address is no secret: only its body
    assert "What happens next" in html and "within 3 days" in html
    assert "Identity numbers were removed" not in html
    # shown once: the token has left the session
    again = nurse_client.get(RECEIPT)
    assert again.status_code == 404
    assert link.encode() not in again.content
    assert b"A receipt is shown once" in again.content


def test_the_token_travels_in_the_session_not_in_a_url(nurse_client):
    response = nurse_client.post(REPORT, staff_form())
    assert "?" not in response["Location"]
    assert "token" in str(nurse_client.session["events_receipt"])


@pytest.mark.parametrize(("changes", "target", "message"), [
    ({"description": "   "}, "id_description", "Say what happened: the description is empty."),
    ({"description": None}, "id_description", "Say what happened: the description is empty."),
    ({**_when(datetime.timedelta(days=2))}, "id_occurred_date", "is in the future"),
    ({"occurred_date": "31.02.2025"}, "id_occurred_date", "Write the date as year-month-day"),
    ({"occurred_time": "25:99"}, "id_occurred_time", "Write the time as hours and minutes"),
    ({"occurred_date": ""}, "id_occurred_date", "Say when it happened."),
    ({"org_unit": "NOPE"}, "id_org_unit", "There is no place with the code &#x27;NOPE&#x27;"),
    ({"org_unit": ""}, "id_org_unit", "Choose where it happened."),
    ({"event_type": ""}, "id_event_type", "Choose what kind of event it was."),
    ({"event_type": "alien_abduction"}, "id_event_type", "is not a kind of event"),
    ({"outcome": None}, "id_outcome_0", "Choose the outcome for the person"),
    ({"outcome": "catastrophic"}, "id_outcome_0", "is not one of the choices"),
    ({"factors": ["team.telepathy"]}, "factors", "is not one of the choices"),
    ({"reporter_email": "not an address"}, "id_reporter_email", "Write a whole e-mail address"),
])
def test_a_bad_staff_report_names_its_field_keeps_the_input_and_saves_nothing(
        nurse_client, changes, target, message):
    response = nurse_client.post(REPORT, staff_form(
        immediate_actions="Kept text 1234", **changes))
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert f'<a href="#{target}">' in html  # the error summary leads to the field
    assert 'aria-invalid="true"' in html
    assert "Kept text 1234" in html  # what was typed is still there
    assert html.startswith("<!doctype html>") and "<title>Error:" in html
    assert not Event.objects.exists()
    assert not AuditEvent.objects.filter(action="event.reported").exists()


def test_a_future_time_is_shown_next_to_the_date(nurse_client):
    html = nurse_client.post(REPORT, staff_form(**_when(datetime.timedelta(days=2)))
                             ).content.decode()
    error = html.index('id="id_occurred_date_error"')
    assert html.index('id="when"') < error < html.index('id="id_occurred_date"')


def test_an_anonymous_staff_report_stores_no_reporter(nurse_client):
    nurse_client.post(REPORT, staff_form(anonymous="on"))
    event = Event.objects.get()
    assert event.reporter is None and event.anonymous
    assert AuditEvent.objects.get(action="event.reported").actor is None
    html = nurse_client.get(RECEIPT).content.decode()
    assert "it is the only way to follow your report" in html
    assert 'href="/events/mine/"' not in html  # nothing to find there
    assert event.reference not in nurse_client.get("/events/mine/").content.decode()


def test_identity_numbers_are_removed_and_the_receipt_says_so(nurse_client):
    number = _valid_identity_number()
    nurse_client.post(REPORT, staff_form(description=f"Pasient {number} falt på badet."))
    event = Event.objects.get()
    assert number not in event.description and MASK in event.description
    html = nurse_client.get(RECEIPT).content.decode()
    assert "Identity numbers were removed" in html
    assert "We removed 1 identity number" in html


def test_find_searches_for_a_place_and_keeps_the_form_without_judging_it(nurse_client):
    response = nurse_client.post(REPORT, staff_form(
        description="", org_unit="", unit_search="ward two", find="1", send=None))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<optgroup label="Places found">' in html
    assert '<option value="W2" selected>Ward Two (Hospital One)</option>' in html
    assert "1 place found" in html
    assert "There is a problem" not in html and 'aria-invalid="true"' not in html
    assert "Doctor called." in html
    assert not Event.objects.exists()


def test_a_place_typed_by_name_is_chosen_when_it_is_the_only_match(nurse_client):
    nurse_client.post(REPORT, staff_form(org_unit="", unit_search="Ward Three"))
    assert Event.objects.get().org_unit.code == "W3"


def test_a_name_matching_several_places_asks_to_choose(nurse_client):
    html = nurse_client.post(REPORT, staff_form(org_unit="", unit_search="Ward")
                             ).content.decode()
    assert "Several places match &#x27;Ward&#x27;: choose one from the list." in html
    assert '<option value="W3">' in html
    assert not Event.objects.exists()


def test_an_inactive_unit_takes_no_report(nurse_client, tree):
    tree["W2"].is_active = False
    tree["W2"].save()
    html = nurse_client.post(REPORT, staff_form(org_unit="W2")).content.decode()
    assert "There is no place with the code &#x27;W2&#x27;" in html
    assert not Event.objects.exists()


def test_the_staff_form_needs_a_sign_in(client, tree):
    response = client.get(REPORT)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.post(REPORT, staff_form()).status_code == 302
    assert not Event.objects.exists()


def test_the_navigation_and_the_login_page_link_to_reporting(client, nurse_client):
    assert 'href="/events/report/"' in nurse_client.get("/").content.decode()
    nurse_client.logout()
    login = client.get("/login/").content.decode()
    assert 'href="/events/public/"' in login and "Report as a patient or relative" in login


def test_the_staff_form_in_norwegian_shows_the_taxonomy_in_norwegian(nurse_client):
    nurse_client.cookies["django_language"] = "nb"
    html = nurse_client.get(REPORT).content.decode()
    assert '<html lang="nb">' in html
    assert "Liten skade" in html and "Stikkskade" in html


# -- the public form ---------------------------------------------------------------------

def test_the_public_form_opens_without_login(client, tree, catalogue):
    response = client.get(PUBLIC)
    html = response.content.decode()
    assert response.status_code == 200
    assert "I am the patient" in html and "I am a relative or next of kin" in html
    assert 'name="leave_empty"' in html and 'class="hp"' in html


def test_a_public_report_is_saved_without_a_reporter_and_gets_a_receipt(client, tree,
                                                                         catalogue):
    response = client.post(PUBLIC, public_form(reporter_email="anne@example.org"))
    assert response.status_code == 302 and response["Location"] == RECEIPT
    event = Event.objects.get()
    assert event.source == "public" and event.reporter is None and event.anonymous
    assert event.reporter_kind == "relative" and event.event_type == "other"
    assert event.org_unit.code == "H1" and event.reached_patient is None
    assert event.reporter_email == "anne@example.org"
    html = client.get(RECEIPT).content.decode()
    assert event.reference in html and "/events/followup/" in _followup_link(html)
    assert "we send you an e-mail" in html
    assert 'href="/events/public/"' in html


def test_the_public_search_finds_hospitals_and_municipalities_not_wards(client, tree,
                                                                        catalogue):
    html = client.post(PUBLIC, public_form(org_unit="", unit_search="One", find="1",
                                           send=None)).content.decode()
    for name in ("Hospital One", "Municipality One", "Nursing Home One"):
        assert name in html
    assert 'value="W1"' not in html and 'value="T1"' not in html
    assert not Event.objects.exists()


@pytest.mark.parametrize(("changes", "target", "message"), [
    ({"reporter_kind": None}, "id_reporter_kind_0", "Say whether you are the patient"),
    ({"org_unit": "W1"}, "id_unit_search", "There is no place with the code &#x27;W1&#x27;"),
    ({"org_unit": ""}, "id_unit_search", "Search for the hospital, municipality or nursing"),
    ({"org_unit": "", "unit_search": "Atlantis"}, "id_unit_search", "No place matches"),
    ({"description": ""}, "id_description", "Say what happened"),
    ({**_when(datetime.timedelta(days=3))}, "id_occurred_date", "is in the future"),
    ({"outcome": None}, "id_outcome_0", "Say how much harm was done"),
])
def test_a_bad_public_report_names_its_field_and_saves_nothing(client, tree, catalogue,
                                                               changes, target, message):
    response = client.post(PUBLIC, public_form(**changes))
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html and f'<a href="#{target}">' in html
    assert "given his evening tablets twice" in html or changes.get("description") == ""
    assert not Event.objects.exists()


def test_a_filled_in_honeypot_saves_nothing(client, tree, catalogue):
    html = client.post(PUBLIC, public_form(leave_empty="http://spam.example")
                       ).content.decode()
    assert "The report could not be sent" in html
    assert not Event.objects.exists()


def test_the_public_form_is_rate_limited(client, tree, catalogue, settings):
    settings.SAFEHANDS_PUBLIC_RATE = "3/m"
    codes = [client.get(PUBLIC).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


# -- the follow-up link --------------------------------------------------------------------

def _main(response) -> str:
    html = response.content.decode()
    return html[html.index("<main"):html.index("</main>")]


def _url(receipt) -> str:
    return f"/events/followup/{receipt.followup_token}/"


def test_the_follow_up_page_shows_the_status_in_plain_language(client, report):
    receipt = report()
    response = client.get(_url(receipt))
    html = response.content.decode()
    assert response.status_code == 200
    assert receipt.event.reference in html
    assert '<li class="current" aria-current="step">Received</li>' in html
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cache-Control"] == "no-store"
    assert receipt.event.description not in html  # a leaked link does not leak the report


def test_the_follow_up_page_shows_no_handling_details(client, report, people):
    receipt = report()
    handler = people["handler"]
    handler.first_name, handler.last_name = "Hilde", "Handler"
    handler.save()
    event = services.event_step(event=receipt.event, step="triage", actor=handler)
    services.event_step(event=event, step="investigate", actor=handler)
    html = client.get(_url(receipt)).content.decode()
    assert "Being investigated" in html and 'aria-current="step">Being investigated' in html
    for internal in ("Hilde", "handler", "Under investigation", "fall", "Fall"):
        assert internal not in html


def test_the_answer_is_shown_once_the_case_is_closed(client, report, people):
    receipt = report()
    handler, lead = people["handler"], people["lead"]
    event = services.event_step(event=receipt.event, step="triage", actor=handler)
    event = services.event_step(event=event, step="request_approval", actor=handler,
                                feedback="The floor is now dried at once and signposted.")
    assert "The floor is now dried" not in client.get(_url(receipt)).content.decode()
    services.event_step(event=event, step="close", actor=lead)
    html = client.get(_url(receipt)).content.decode()
    assert "Answered and closed" in html and "The floor is now dried at once" in html


def test_a_rejected_report_says_why(client, report, people):
    receipt = report()
    services.event_step(event=receipt.event, step="reject", actor=people["handler"],
                        note="This was a complaint about parking; we passed it on.")
    html = client.get(_url(receipt)).content.decode()
    assert "closed without an investigation" in html and "complaint about parking" in html


@pytest.mark.parametrize("token", ["nope", "x" * 32, "A" * 300])
def test_a_wrong_link_gets_one_plain_404(client, report, token):
    report()
    response = client.get(f"/events/followup/{token}/")
    assert response.status_code == 404
    assert b"This follow-up link is not valid or has expired." in response.content
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cache-Control"] == "no-store"
    assert b"Ward One" not in response.content


def test_an_expired_link_gets_the_same_404(client, report):
    receipt = report()
    Event.objects.filter(pk=receipt.event.pk).update(
        followup_expires_at=timezone.now() - datetime.timedelta(days=1))
    wrong = client.get("/events/followup/" + "y" * 32 + "/")
    expired = client.get(_url(receipt))
    assert expired.status_code == 404
    assert _main(expired) == _main(wrong)  # the same answer: nothing tells them apart
    response = client.post(_url(receipt), {"text": "Hello?"})
    assert response.status_code == 404 and not EventMessage.objects.exists()


def test_the_reporter_replies_through_the_link(client, report, people):
    receipt = report()
    services.message_add(event=receipt.event, text="Which bathroom was it?",
                         actor=people["handler"])
    response = client.post(_url(receipt), {"text": "The one by room 12."})
    assert response.status_code == 302 and response["Location"] == _url(receipt)
    assert response["Referrer-Policy"] == "same-origin"
    reply = EventMessage.objects.get(author_kind="reporter")
    assert reply.text == "The one by room 12." and reply.author is None
    html = client.get(_url(receipt)).content.decode()
    assert "Your message has been sent." in html
    assert html.index("Which bathroom was it?") < html.index("The one by room 12.")
    assert "The people handling your report" in html and "Handler" not in html


def test_a_reply_carries_the_pages_csrf_token_and_a_forged_one_is_refused(report):
    """The page sends its origin to itself only, so its own forms pass the CSRF check; a
    post from elsewhere without the page's token is refused."""
    from django.test import Client

    receipt = report()
    strict = Client(enforce_csrf_checks=True)
    page = strict.get(_url(receipt))
    token = page.cookies["csrftoken"].value if "csrftoken" in page.cookies else \
        next(iter(page.cookies.values())).value
    forged = strict.post(_url(receipt), {"text": "Forged"})
    assert forged.status_code == 403 and not EventMessage.objects.exists()
    response = strict.post(_url(receipt), {"text": "Any news?", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert EventMessage.objects.get().text == "Any news?"


def test_an_empty_reply_is_refused_at_its_field(client, report):
    receipt = report()
    html = client.post(_url(receipt), {"text": "   "}).content.decode()
    assert "The message is empty." in html and '<a href="#id_text">' in html
    assert not EventMessage.objects.exists()


def test_the_follow_up_link_is_rate_limited(client, report, settings):
    settings.SAFEHANDS_PUBLIC_RATE = "2/m"
    codes = [client.get("/events/followup/" + "z" * 32 + "/").status_code for _ in range(3)]
    assert codes == [404, 404, 429]


# -- My reports ----------------------------------------------------------------------------

def test_my_reports_lists_my_named_reports_with_status_and_answer(client, report, people):
    mine = report()
    anonymous = report(anonymous=True)
    theirs = report(actor=people["other_nurse"], org_unit=people["other_nurse"]
                    .memberships.get().org_unit)
    handler, lead = people["handler"], people["lead"]
    event = services.event_step(event=mine.event, step="triage", actor=handler)
    event = services.event_step(event=event, step="request_approval", actor=handler,
                                feedback="Non-slip mats are ordered.")
    services.event_step(event=event, step="close", actor=lead)
    client.force_login(people["nurse"])
    html = client.get("/events/mine/").content.decode()
    assert mine.event.reference in html and "Answered and closed" in html
    assert anonymous.event.reference not in html and theirs.event.reference not in html
    detail = client.get(f"/events/mine/{mine.event.pk}/").content.decode()
    assert "Non-slip mats are ordered." in detail
    assert "Patient fell on the way to the bathroom" in detail
    assert "Low harm" in detail


def test_my_report_detail_answers_only_its_reporter(client, report, people):
    mine = report()
    anonymous = report(anonymous=True)
    client.force_login(people["nurse"])
    assert client.get(f"/events/mine/{anonymous.event.pk}/").status_code == 404
    assert client.get("/events/mine/999999/").status_code == 404
    client.force_login(people["handler"])  # handles the unit, but did not write the report
    response = client.get(f"/events/mine/{mine.event.pk}/")
    assert response.status_code == 404
    assert mine.event.reference.encode() not in response.content


def test_statuses_read_in_plain_language(report, people):
    from safehands.events.report_views import plain_status

    event = report().event
    labels = {}
    for status in Status:
        event.status = status
        labels[status.value] = plain_status(event).label
    assert labels == {
        "submitted": "Received", "triaged": "Being looked at",
        "investigating": "Being investigated", "actions_open": "Being investigated",
        "awaiting_approval": "Being investigated", "closed": "Answered and closed",
        "rejected": "Closed", "duplicate": "Closed"}
