"""In a real Chromium: a GTT reviewer must set up an authenticator before reading records,
then signs in with a code from it; the new pages pass axe-core in English and Norwegian."""

from __future__ import annotations

import time
from base64 import b32decode

import pytest
from playwright.sync_api import expect

from tests.browser.test_policy_and_access import _axe_failures

TEAM_PAGE = "/harm/teams/GTT-H1/"


def app_code(secret_text: str, steps_ahead: int = 0) -> str:
    """What an authenticator app shows for this secret (RFC 6238, as typed from the page)."""
    from django_otp.oath import TOTP

    totp = TOTP(b32decode(secret_text.replace(" ", "")))
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


@pytest.fixture
def reviewer(transactional_db, tree, make_user):
    from safehands.harm.services import gtt_member_add, gtt_team_create

    team = gtt_team_create(code="GTT-H1", population=tree["H1"], actor=None, source="system")
    user = make_user("nurse.a", ("H1", "reporter"))
    gtt_member_add(team=team, user=user, role="primary_reviewer", actor=None, source="system")
    return user


def _password_step(page, live_server, path: str = TEAM_PAGE) -> None:
    page.goto(f"{live_server.url}{path}")
    page.fill("#id_username", "nurse.a")
    page.fill("#id_password", "correct horse battery")
    page.click("main button[type=submit]")


def test_a_reviewer_enrols_before_reading_records_then_signs_in_with_a_code(page, live_server,
                                                                             reviewer):
    _password_step(page, live_server)
    # Held at set-up: the team's records are not shown until an authenticator is set up.
    expect(page.locator("h1")).to_have_text("Set up two-factor sign-in")
    page.goto(f"{live_server.url}{TEAM_PAGE}")
    expect(page.locator("h1")).to_have_text("Set up two-factor sign-in")
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text()
    page.fill("#id_code", "000000")
    page.click("main button.primary")
    expect(page.locator("#code-error")).to_contain_text("That code is not right")
    page.fill("#id_code", app_code(secret))
    page.click("main button.primary")
    expect(page.locator("h1")).to_have_text("Your recovery codes")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.click("#continue")
    expect(page.locator("h2").first).to_have_text("Members")  # shown to record readers only
    assert page.url == f"{live_server.url}{TEAM_PAGE}"

    page.click("header button:has-text('Sign out')")
    _password_step(page, live_server)
    expect(page.locator("h1")).to_have_text("Enter your code")
    page.fill("#id_code", app_code(secret, steps_ahead=1))
    page.click("main button.primary")
    expect(page.locator("h2").first).to_have_text("Members")


def test_the_fixture_signs_a_required_user_in_through_the_code_step(page, live_server,
                                                                    reviewer, sign_in):
    sign_in("nurse.a")
    page.goto(f"{live_server.url}{TEAM_PAGE}")
    expect(page.locator("h2").first).to_have_text("Members")


@pytest.mark.parametrize("language", ["en", "nb"])
def test_the_two_factor_pages_pass_axe_wcag_aa(page, live_server, reviewer, language):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    page.context.add_cookies([{"name": "django_language", "value": language,
                               "url": live_server.url}])
    _password_step(page, live_server, "/")
    failures = {}
    expect(page.locator("#totp-secret")).to_be_visible()
    failures["setup"] = _axe_failures(page)
    secret = page.locator("#totp-secret").inner_text()
    page.fill("#id_code", "000000")
    page.click("main button.primary")
    expect(page.locator("#code-error")).to_be_visible()
    failures["setup with an error"] = _axe_failures(page)
    page.fill("#id_code", app_code(secret))
    page.click("main button.primary")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    failures["recovery codes"] = _axe_failures(page)
    page.goto(f"{live_server.url}/account/")
    expect(page.locator("#codes-left")).to_have_text("10")
    failures["account"] = _axe_failures(page)
    page.goto(f"{live_server.url}/account/password/")
    failures["password"] = _axe_failures(page)
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": language,
                               "url": live_server.url}])
    _password_step(page, live_server, "/")
    expect(page.locator("#id_code")).to_be_visible()
    failures["verify"] = _axe_failures(page)
    assert page.locator("html").get_attribute("lang") == language
    assert TOTPDevice.objects.filter(user=reviewer, confirmed=True).count() == 1
    assert {k: v for k, v in failures.items() if v} == {}
