"""The sign-in page is rate-limited per address; signed-in pages are not; a bad setting stops
the server at start."""

from __future__ import annotations

import subprocess
import sys


def test_the_sign_in_page_answers_429_past_the_limit(client, settings, db):
    settings.SAFEHANDS_PUBLIC_RATE = "3/m"
    codes = [client.post("/login/", {"username": "nobody", "password": "x" * 16}).status_code
             for _ in range(4)]
    assert codes[:3] == [200, 200, 200] and codes[3] == 429


def test_pages_behind_sign_in_are_not_counted(client, settings, tree, make_user):
    settings.SAFEHANDS_PUBLIC_RATE = "1/m"
    client.force_login(make_user("kari", ("W1", "viewer")))
    assert {client.get("/").status_code for _ in range(5)} == {200}


def test_a_malformed_rate_stops_the_server_with_a_message():
    run = subprocess.run(
        [sys.executable, "-c", "import django; from django.conf import settings; "
         "settings.INSTALLED_APPS"],
        env={"DJANGO_SETTINGS_MODULE": "safehands.settings",
             "SAFEHANDS_PUBLIC_RATE": "lots", "PATH": ""},
        capture_output=True, text=True)
    assert run.returncode != 0
    assert "SAFEHANDS_PUBLIC_RATE must look like 120/m" in run.stderr
