"""Signing in and out, throttling, password hashing and the language switch."""

from __future__ import annotations

from django.test import override_settings


def test_sign_in_with_the_right_password_lands_on_my_organisations(client, tree, make_user):
    make_user("kari", ("W1", "reporter"))
    response = client.post("/login/", {"username": "kari", "password": "correct horse battery"},
                           follow=True)
    assert response.status_code == 200
    assert b"My organisations" in response.content
    assert b"Ward One" in response.content


def test_wrong_password_is_refused(client, tree, make_user):
    make_user("kari")
    response = client.post("/login/", {"username": "kari", "password": "wrong"})
    assert response.status_code == 200
    assert b"Please enter a correct" in response.content
    assert "_auth_user_id" not in client.session


@override_settings(AXES_FAILURE_LIMIT=3)
def test_repeated_failures_lock_the_account_out(client, tree, make_user):
    make_user("kari")
    for _ in range(3):
        client.post("/login/", {"username": "kari", "password": "wrong"})
    response = client.post("/login/", {"username": "kari", "password": "correct horse battery"})
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content


def test_passwords_are_hashed_with_argon2(tree, make_user, settings):
    from safehands import settings as production

    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    assert make_user("kari").password.startswith("argon2")


def test_sign_out_needs_post_and_ends_the_session(client, tree, make_user):
    client.force_login(make_user("kari"))
    client.post("/logout/")
    assert client.get("/").status_code == 302


def test_language_switch_shows_norwegian(client, tree, make_user):
    client.force_login(make_user("kari", ("W1", "reporter")))
    client.post("/i18n/setlang/", {"language": "nb", "next": "/"})
    response = client.get("/")
    assert b'lang="nb"' in response.content
    assert b"Mine organisasjoner" in response.content


def test_session_cookie_is_http_only_and_same_site(settings):
    assert settings.SESSION_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert settings.CSRF_COOKIE_SECURE == settings.SESSION_COOKIE_SECURE
