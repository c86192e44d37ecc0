"""In a real Chromium, at desktop and phone width, in English and Norwegian: a patient
reports on the public page without an account and follows the report with the link on the
receipt; a nurse reports anonymously from the navigation. Every page passes axe-core's
WCAG 2.1 A/AA rules, the error state too, under the Content-Security-Policy, and nothing runs
off a 375 px screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from safehands.events.models import Event
from tests.events.accessibility import axe_check

WIDTHS = [1280, 375]





def _norwegian(page) -> None:
    page.select_option("#lang-switch", "nb")
    page.click("#lang-switch ~ button")
    expect(page.locator("html")).to_have_attribute("lang", "nb")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", ["en", "nb"])
def test_a_patient_reports_without_an_account_and_follows_it_up(page, live_server, places,
                                                               violations, language, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                   origin=live_server.url)
    failures: dict[str, list[str]] = {}
    page.goto(f"{live_server.url}/login/")
    if language == "nb":
        _norwegian(page)
    page.click("#public-report")
    expect(page.locator("h1")).to_be_visible()
    axe_check(page, "public form", failures)

    page.click("button.send")  # nothing filled in
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#id_reporter_kind_0")).to_have_attribute("aria-invalid", "true")
    axe_check(page, "public form with errors", failures)
    assert not Event.objects.exists()

    page.check("#id_reporter_kind_0")
    page.fill("#id_unit_search", "Hospital One")
    page.press("#id_unit_search", "Enter")  # Enter in the search box searches
    expect(page.locator("#id_org_unit")).to_have_value("H1")
    axe_check(page, "public form after a search", failures)
    page.fill("#id_description", "I was given another patient's tablets at breakfast.")
    page.check("#id_outcome_1")
    if language == "nb":
        expect(page.locator("label[for=id_outcome_1]")).to_have_text("Liten skade")
    page.click("button.send")

    page.wait_for_url("**/events/receipt/")
    event = Event.objects.get()
    assert event.source == "public" and event.reporter is None
    expect(page.locator("#reference")).to_have_text(event.reference)
    link = page.locator("#followup-link").inner_text().strip()
    assert link.startswith(f"{live_server.url}/events/followup/")
    page.click("button[data-copy]")
    expect(page.locator("[data-copy-status]")).not_to_be_empty()
    assert page.evaluate("navigator.clipboard.readText()") == link
    expect(page.locator("button[data-print]")).to_be_visible()
    axe_check(page, "receipt", failures)

    page.goto(link)
    expect(page.locator("ol.steps li[aria-current=step]")).to_have_count(1)
    expect(page.locator("#status-now")).to_be_visible()
    if language == "en":
        expect(page.locator("ol.steps li[aria-current=step]")).to_have_text("Received")
    axe_check(page, "follow-up", failures)
    page.fill("#id_text", "It was the yellow pill.")
    page.click("#reply-form button[type=submit]")
    expect(page.locator("ol.conversation")).to_contain_text("It was the yellow pill.")
    axe_check(page, "follow-up with a message", failures)

    page.goto(f"{live_server.url}/events/followup/{'x' * 32}/")
    axe_check(page, "wrong link", failures)
    assert failures == {}
    assert violations == []


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", ["en", "nb"])
def test_a_nurse_reports_anonymously_from_the_navigation(page, live_server, places, make_user,
                                                        sign_in, violations, language, width):
    make_user("nurse", ("W1", "reporter"))
    page.set_viewport_size({"width": width, "height": 900})
    failures: dict[str, list[str]] = {}
    sign_in("nurse")
    if language == "nb":
        _norwegian(page)
    page.click("header nav a[href='/events/report/']")
    expect(page.locator("#id_org_unit")).to_have_value("W1")  # her own ward, chosen already
    axe_check(page, "staff form", failures)

    page.fill("#id_description", "Found a used needle in the linen trolley.")
    page.click("button.send")  # type and outcome still missing
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#id_description")).to_have_value(
        "Found a used needle in the linen trolley.")
    axe_check(page, "staff form with errors", failures)

    page.select_option("#id_event_type", "staff_needlestick")
    page.check("#id_outcome_0")
    page.click("#factors summary")
    page.check("#factor-taskequipment")
    page.check("#id_anonymous")
    axe_check(page, "staff form filled in", failures)
    page.click("button.send")

    page.wait_for_url("**/events/receipt/")
    event = Event.objects.get()
    assert event.anonymous and event.reporter is None
    assert event.category == "staff" and event.org_unit.code == "W1"
    expect(page.locator("#reference")).to_have_text(event.reference)
    expect(page.locator("#followup-link")).to_contain_text("/events/followup/")
    axe_check(page, "staff receipt", failures)

    page.goto(f"{live_server.url}/events/mine/")
    expect(page.locator("main")).not_to_contain_text(event.reference)
    axe_check(page, "my reports", failures)
    assert failures == {}
    assert violations == []
