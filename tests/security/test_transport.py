"""Behind a TLS proxy and at the API's edge: no redirect loop, and JSON for a body too large."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def _setting(name: str, **env: str) -> str:
    code = f"import safehands.settings as s; print(repr(getattr(s, {name!r}, None)))"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SAFEHANDS_")}
    result = subprocess.run([sys.executable, "-c", code], env={**clean, **env},
                            capture_output=True, text=True, check=True)
    return result.stdout.strip()


def test_the_forwarded_proto_header_is_believed_only_when_a_proxy_is_declared():
    assert _setting("SECURE_PROXY_SSL_HEADER", SAFEHANDS_HTTPS="1") == "None"
    assert _setting("SECURE_PROXY_SSL_HEADER", SAFEHANDS_HTTPS="1",
                    SAFEHANDS_TRUSTED_PROXY="1") == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_over_https_the_cookies_carry_the_host_prefix():
    assert _setting("SESSION_COOKIE_NAME", SAFEHANDS_HTTPS="1") == "'__Host-sessionid'"
    assert _setting("CSRF_COOKIE_NAME", SAFEHANDS_HTTPS="1") == "'__Host-csrftoken'"
    assert _setting("SESSION_COOKIE_SECURE", SAFEHANDS_HTTPS="1") == "True"
    assert _setting("SESSION_COOKIE_NAME") == "None"  # plain HTTP on one machine: Django's own


@pytest.mark.django_db
def test_a_host_prefixed_session_cookie_is_sent_secure_for_the_whole_site(client, settings,
                                                                         tree, make_user):
    settings.SESSION_COOKIE_NAME = "__Host-sessionid"
    settings.SESSION_COOKIE_SECURE = True
    make_user("kari", ("W1", "reporter"))
    client.post("/login/", {"username": "kari", "password": "correct horse battery"},
                secure=True)
    cookie = client.cookies["__Host-sessionid"]
    assert cookie["secure"] and cookie["path"] == "/" and not cookie["domain"]


@pytest.mark.django_db
def test_behind_a_declared_proxy_an_https_request_is_not_redirected_again(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client.get("/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 200
    assert client.get("/login/").status_code == 301  # plain HTTP still goes to HTTPS


@pytest.mark.django_db
def test_without_a_declared_proxy_the_header_is_ignored(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = None
    assert client.get("/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 301


def test_an_api_body_over_the_limit_gets_a_json_413(client, make_user, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    client.force_login(make_user("big"))
    body = json.dumps({"format": "csv", "text": "x" * (2 * 1024 * 1024)})
    response = client.post("/api/v1/measurement/imports", body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    error = response.json()
    assert "larger than the 1 MB" in error["message"]
    assert error["extra"] == {"limit_bytes": 1024 * 1024}
