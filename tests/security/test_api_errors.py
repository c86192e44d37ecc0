"""Every API error answers JSON in one shape, {"message", "extra"}, and the OpenAPI schema
declares it on every operation."""

from __future__ import annotations

import logging

import pytest
from django.core.cache import cache
from django.test import Client

from safehands.accounts.services import api_token_create


def _shape(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert set(body) == {"message", "extra"} and isinstance(body["extra"], dict), body
    return body


def test_no_credentials_is_a_json_401(client, db):
    body = _shape(client.get("/api/v1/me"))
    assert "Authorization: Bearer" in body["message"]


def test_a_wrong_token_is_a_json_401(client, db):
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer sh_not-a-token")
    assert response.status_code == 401
    _shape(response)


def test_a_session_post_without_csrf_is_a_json_403_that_says_so(tree, make_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("kari", ("W1", "reporter")))
    response = client.post("/api/v1/measurement/imports", {"format": "csv", "text": ""},
                           content_type="application/json")
    assert response.status_code == 403
    body = _shape(response)
    assert body["extra"] == {"reason": "csrf"} and "X-CSRFToken" in body["message"]


def test_a_malformed_body_is_a_400_listing_each_field(client, tree, make_user):
    client.force_login(make_user("kari", ("W1", "reporter")))
    response = client.post("/api/v1/measurement/imports", {"format": "xls"},
                           content_type="application/json")
    assert response.status_code == 400
    body = _shape(response)
    where = {tuple(error["loc"]) for error in body["extra"]["errors"]}
    assert ("body", "payload", "format") in where and ("body", "payload", "text") in where
    assert body["message"].startswith("The request is not valid: 2 problem(s)")


def test_an_unknown_api_path_is_a_json_404(client, db):
    for path in ("/api/v1/nothing-here", "/api/v2/orgs/", "/api/"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "/api/v1/docs" in _shape(response)["message"]


def test_a_server_error_is_a_json_500_and_is_logged(client, tree, make_user, monkeypatch,
                                                    caplog):
    from safehands.orgs import api as orgs_api

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(orgs_api, "org_unit_get", broken)
    client.force_login(make_user("kari", ("W1", "reporter")))
    with caplog.at_level(logging.ERROR, logger="safehands.api"):
        response = client.get("/api/v1/orgs/W1")
    assert response.status_code == 500
    assert "disk on fire" not in response.content.decode()
    assert "nothing was changed" in _shape(response)["message"]
    assert "disk on fire" in caplog.text


def test_the_rate_limit_answers_429_with_retry_after(client, tree, make_user, monkeypatch):
    from safehands.api import api

    monkeypatch.setattr(api.throttle[0], "num_requests", 3)  # instead of SAFEHANDS_API_RATE
    cache.clear()
    key = api_token_create(user=make_user("etl", ("W1", "viewer")), name="etl", actor=None)
    answers = [client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {key}")
               for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    body = _shape(answers[-1])
    assert int(answers[-1]["Retry-After"]) >= 1
    assert body["extra"]["retry_after_seconds"] >= 1
    # Another user is not held back by the first one's calls.
    other = api_token_create(user=make_user("bi", ("W1", "viewer")), name="bi", actor=None)
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {other}").status_code == 200


def test_the_schema_declares_the_error_shape_on_every_operation(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    assert set(schema["components"]["schemas"]["ErrorOut"]["required"]) == {"message", "extra"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status in ("400", "401", "403", "404", "429"):
                assert status in operation["responses"], (method, path, status)


@pytest.mark.parametrize("rate", ["600", "ten/m", "600/w", "0/m"])
def test_a_bad_rate_setting_refuses_to_start(rate):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={"DJANGO_SETTINGS_MODULE": "safehands.settings", "SAFEHANDS_API_RATE": rate,
             "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "SAFEHANDS_API_RATE must look like 600/m" in result.stderr
