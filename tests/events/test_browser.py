"""The acceptance scenario in a real Chromium, at desktop and phone width: a patient reports
on the public page without an account and gets a receipt; a handler signs in, finds the
report in the unit's queue, triages it, starts the investigation and adds two actions that
then stand in the unit's action plan, and asks for approval; the leader closes it; the
patient reads the feedback through the follow-up link; a unit nurse of another trust who
types the report's URL gets "not found". Every handling page passes axe-core's WCAG 2.1 A/AA
rules under the Content-Security-Policy, and nothing runs off a 375 px screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from safehands.assessment.models import Action
from safehands.events.models import Event, Status
from tests.events.accessibility import axe_check

FEEDBACK = ("Thank you for telling us. The tablets were set out for two patients on one tray; "
            "each patient now has their own tray, checked against the wristband.")





def _sign_out(page) -> None:
    page.context.clear_cookies()


def _step(page, code: str, status: str) -> None:
    page.click(f"#step-{code} button[type=submit]")
    expect(page.locator("#event-status")).to_have_text(status)


def _public_report(page, live_server) -> str:
    """The patient's part: the public form, then the receipt's follow-up link."""
    page.goto(f"{live_server.url}/events/public/")
    page.check("#id_reporter_kind_0")
    page.fill("#id_unit_search", "Hospital One")
    page.press("#id_unit_search", "Enter")
    expect(page.locator("#id_org_unit")).to_have_value("H1")
    page.fill("#id_description", "I was given another patient's tablets at breakfast.")
    page.check("#id_outcome_1")
    page.click("button.send")
    page.wait_for_url("**/events/receipt/")
    expect(page.locator("#reference")).to_have_text(Event.objects.get().reference)
    return page.locator("#followup-link").inner_text().strip()


@pytest.mark.parametrize("width", [1280, 375])
def test_a_public_report_is_handled_to_closing_and_the_patient_reads_the_answer(
        page, live_server, places, make_user, sign_in, violations, width):
    make_user("handler", ("H1", "coordinator"), first_name="Hanna", last_name="Handler")
    make_user("lead", ("T1", "coordinator"), first_name="Lars", last_name="Leader")
    make_user("other_nurse", ("W3", "reporter"))
    page.set_viewport_size({"width": width, "height": 900})
    failures: dict[str, list[str]] = {}

    link = _public_report(page, live_server)
    event = Event.objects.get()
    assert event.source == "public" and event.reporter_kind == "patient"

    sign_in("handler")
    page.goto(f"{live_server.url}/orgs/H1/")
    page.click("#events-queue-link")
    expect(page.locator("h1")).to_contain_text("Event reports to handle")
    expect(page.locator("#queue")).to_contain_text(event.reference)
    axe_check(page, "queue", failures)
    page.goto(f"{live_server.url}/events/units/H1/queue/?outcome=nonsense")
    expect(page.locator("#queue-errors")).to_be_visible()
    axe_check(page, "queue with a bad filter", failures)
    page.goto(f"{live_server.url}/events/units/H1/queue/")
    page.click(f"#queue a:text('{event.reference}')")
    expect(page.locator("#reporter")).to_have_text("A patient (public form)")
    expect(page.locator("#description")).to_contain_text("another patient's tablets")
    expect(page.locator("button[data-print]")).to_be_visible()
    axe_check(page, "report", failures)

    page.click("#step-reject button[type=submit]")  # no reason: refused, named on the field
    expect(page.locator("#id_reject-note_error")).to_be_visible()
    expect(page.locator("#id_reject-note")).to_have_attribute("aria-invalid", "true")
    axe_check(page, "report with an error", failures)
    page.goto(f"{live_server.url}/events/{event.pk}/")
    page.select_option("#id_triage-event_type", "medication")
    _step(page, "triage", "Triaged")
    _step(page, "investigate", "Under investigation")

    page.click("#investigation-link")
    expect(page.locator("h1")).to_contain_text("Investigation of report")
    axe_check(page, "investigation", failures)
    page.fill("#id_summary-summary", "Two patients' tablets were set out on one tray.")
    page.check("input[name='summary-factors'][value='task.procedure']")
    page.click("#review-form button[type=submit]")
    expect(page.locator("#id_summary-summary")).to_have_value(
        "Two patients' tablets were set out on one tray.")
    for what, strength in (("One tray per patient, labelled with the name band", "strong"),
                           ("Check the wristband before giving tablets", "weak")):
        page.fill("#id_action-what", what)
        page.fill("#id_action-owner", "Ward manager")
        page.fill("#id_action-due_date", "2027-03-01")
        page.check(f"#action-form input[name='action-strength'][value='{strength}']")
        page.click("#action-form button[type=submit]")
        expect(page.locator("#actions-table")).to_contain_text(what)
    page.click("#action-form button[type=submit]")  # empty: refused, the message on its field
    expect(page.locator("#id_action-strength_0")).to_be_visible()
    expect(page.locator("#strength-error")).to_be_visible()
    axe_check(page, "investigation with actions and an error", failures)
    assert Action.objects.filter(org_unit=event.org_unit).count() == 2

    page.click("#action-plan-link")
    expect(page.locator("#actions")).to_contain_text("One tray per patient")
    expect(page.locator("#actions")).to_contain_text("Check the wristband")

    page.goto(f"{live_server.url}/events/{event.pk}/")
    _step(page, "open_actions", "Actions open")
    page.fill("#id_request_approval-feedback", FEEDBACK)
    _step(page, "request_approval", "Awaiting approval")
    _sign_out(page)

    sign_in("lead")
    page.goto(f"{live_server.url}/events/{event.pk}/")
    expect(page.locator("#id_close-feedback")).to_have_value(FEEDBACK)
    axe_check(page, "report awaiting approval", failures)
    _step(page, "close", "Closed")
    event.refresh_from_db()
    assert event.status == Status.CLOSED and event.handler.username == "handler"
    _sign_out(page)

    page.goto(link)
    expect(page.locator("#answer-title")).to_be_visible()
    expect(page.locator(".answer")).to_contain_text("each patient now has their own tray")

    sign_in("other_nurse")
    response = page.goto(f"{live_server.url}/events/{event.pk}/")
    assert response.status == 404
    expect(page.locator("main")).to_contain_text(
        "There is no such report, or you do not have access to it.")
    expect(page.locator("main")).not_to_contain_text("tablets")
    assert failures == {}
    assert violations == []
