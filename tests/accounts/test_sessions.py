"""Session idle time-out and absolute life (ASVS 5.0 V7.3.1, V7.3.2), on a controlled clock."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from safehands.accounts import sessions
from safehands.accounts.config import positive_whole_number
from safehands.accounts.services import api_token_create

START = 1_800_000_000.0
MINUTE = 60


@pytest.fixture
def clock(monkeypatch):
    """The sessions' clock, moved by hand: clock.at(minutes after START)."""
    class Clock:
        now = START

        def at(self, minutes: float) -> None:
            self.now = START + minutes * MINUTE

    c = Clock()
    monkeypatch.setattr(sessions, "_now", lambda: c.now)
    return c


@pytest.fixture
def kari(tree, make_user):
    return make_user("kari", ("W1", "reporter"))


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_a_session_idle_longer_than_the_limit_ends_with_a_message_saying_why(
        client, kari, clock):
    client.force_login(kari)
    assert client.get("/").status_code == 200
    clock.at(31)
    response = client.get("/orgs/W1/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/orgs/W1/"
    assert not _signed_in(client)
    page = client.get(response["Location"])
    assert "You were signed out after 30 minutes without activity." in page.content.decode()


def test_activity_within_the_idle_limit_keeps_the_session(client, kari, clock):
    client.force_login(kari)
    for minutes in range(0, 7 * 60, 25):
        clock.at(minutes)
        assert client.get("/").status_code == 200, f"signed out at minute {minutes}"
    assert _signed_in(client)


def test_a_session_ends_at_its_absolute_life_however_active(client, kari, clock):
    client.force_login(kari)
    for minutes in range(0, 8 * 60 + 1, 20):
        clock.at(minutes)
        assert client.get("/").status_code == 200
    clock.at(8 * 60 + 10)
    response = client.get("/", follow=True)
    assert not _signed_in(client)
    assert ("You were signed out because a session lasts at most 8 hours. Please sign in "
            "again.") in response.content.decode()


def test_the_limits_follow_the_settings(client, kari, clock, settings):
    settings.SAFEHANDS_SESSION_IDLE_MINUTES = 5
    client.force_login(kari)
    client.get("/")
    clock.at(4)
    assert client.get("/").status_code == 200
    clock.at(9.5)
    response = client.get("/", follow=True)
    assert "You were signed out after 5 minutes without activity." in response.content.decode()


def test_the_clock_starts_at_sign_in_through_the_form(client, kari, clock):
    client.post("/login/", {"username": "kari", "password": "correct horse battery"})
    assert client.session[sessions._STARTED] == START
    clock.at(31)
    assert client.get("/").status_code == 302


def test_an_idle_browser_session_gets_401_from_the_api_not_a_redirect(client, kari, clock):
    client.force_login(kari)
    assert client.get("/api/v1/orgs/").status_code == 200
    clock.at(45)
    response = client.get("/api/v1/orgs/")
    assert response.status_code == 401
    assert "message" in response.json()


def test_api_tokens_are_not_sessions_and_never_time_out(client, kari, clock):
    key = api_token_create(user=kari, name="export", actor=None, source="cli")
    for minutes in (0, 45, 9 * 60, 30 * 24 * 60):
        clock.at(minutes)
        response = client.get("/api/v1/orgs/", headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 200


@pytest.mark.parametrize("value", ["0", "-5", "thirty", "1.5", ""])
def test_a_bad_limit_is_refused_with_a_message_naming_the_setting(value):
    with pytest.raises(ImproperlyConfigured) as caught:
        positive_whole_number("SAFEHANDS_SESSION_IDLE_MINUTES", value, "minutes")
    assert str(caught.value) == (
        f"SAFEHANDS_SESSION_IDLE_MINUTES must be a whole number greater than 0 (minutes), "
        f"not {value!r}.")


@pytest.mark.parametrize("name", ["SAFEHANDS_SESSION_IDLE_MINUTES", "SAFEHANDS_SESSION_MAX_HOURS"])
def test_the_server_refuses_to_start_with_a_bad_limit(name):
    environment = {**os.environ, name: "never", "DJANGO_SETTINGS_MODULE": "safehands.settings"}
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"],
                            env=environment, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{name} must be a whole number greater than 0" in result.stderr


def test_the_absolute_life_sets_the_cookie_age(settings):
    assert settings.SESSION_COOKIE_AGE == settings.SAFEHANDS_SESSION_MAX_HOURS * 3600 == 8 * 3600


# --- Where the user is signed in (ASVS V7.5.2) ---------------------------------------------

def _browser(client, agent: str):
    client.get("/", HTTP_USER_AGENT=agent)  # the first signed-in request stamps the session
    return client


@pytest.fixture
def two_browsers(kari):
    from django.test import Client

    ward, home = Client(), Client()
    ward.force_login(kari)
    home.force_login(kari)
    return _browser(ward, "Ward PC Firefox"), _browser(home, "Home phone Safari")


def test_the_account_page_lists_each_signed_in_session_this_one_first(two_browsers, tree,
                                                                       make_user):
    ward, _home = two_browsers
    other = make_user("ola", ("W1", "reporter"))
    from django.test import Client
    stranger = Client()
    stranger.force_login(other)
    _browser(stranger, "x")
    listed = ward.get("/account/").context["sessions"]
    assert [(s.browser, s.current) for s in listed] == [("Ward PC Firefox", True),
                                                        ("Home phone Safari", False)]


def test_a_timed_out_session_is_not_listed(kari, clock):
    from django.test import Client

    old, new = Client(), Client()
    old.force_login(kari)
    _browser(old, "old")
    clock.at(31)
    new.force_login(kari)
    _browser(new, "new")
    assert [s.browser for s in new.get("/account/").context["sessions"]] == ["new"]


def test_signing_out_elsewhere_needs_the_password_and_ends_only_the_others(two_browsers,
                                                                         kari):
    from safehands.audit.models import AuditEvent

    kari.set_password("correct horse battery")
    kari.save()
    ward, home = two_browsers
    ward.force_login(kari)  # the password change above ended the earlier sessions' hash
    home.force_login(kari)
    refused = ward.post("/account/sessions/end-others/", {"proof": "wrong"}, follow=True)
    assert "current password is not right" in refused.content.decode()
    assert home.get("/").status_code == 200
    done = ward.post("/account/sessions/end-others/", {"proof": "correct horse battery"},
                     follow=True)
    assert "signed out of 1 other session" in done.content.decode()
    assert home.get("/").status_code == 302 and ward.get("/").status_code == 200
    event = AuditEvent.objects.get(action="accounts.sessions.end_others")
    assert event.after == {"ended": 1}
