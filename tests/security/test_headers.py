"""Every answer carries the isolation headers: a strict CSP, Permissions-Policy, CORP, COOP."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import safehands

PACKAGE = Path(safehands.__file__).parent


@pytest.mark.parametrize("path", ["/login/", "/api/v1/docs", "/api/v1/openapi.json",
                                  "/api/v1/me", "/static/web/safehands.css"])
def test_every_answer_carries_the_policy_headers(client, db, path):
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_a_signed_in_page_carries_them_too(client, tree, make_user):
    client.force_login(make_user("kari", ("W1", "reporter")))
    response = client.get("/orgs/W1/")
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_pages_and_api_answers_are_not_kept_in_caches(client, tree, make_user):
    client.force_login(make_user("kari", ("W1", "reporter")))
    for path in ("/orgs/W1/", "/api/v1/me", "/login/"):
        assert "no-store" in client.get(path).headers["Cache-Control"], path


def test_the_chart_bundle_and_static_files_keep_their_own_caching(client, db):
    assert client.get("/charts/vega.js").headers["Cache-Control"] == "public, max-age=86400"
    static = client.get("/static/web/safehands.css")
    assert static.headers.get("Cache-Control") != "no-store"


TEMPLATES = sorted(PACKAGE.glob("*/templates/**/*.html"))
INLINE = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")|<style\b"
                    r"|\son[a-z]+=|\sstyle=\"|javascript:", re.I)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_template_holds_inline_script_or_style(template):
    """The policy would refuse them in the browser; finding them here names the file."""
    found = INLINE.findall(template.read_text(encoding="utf-8"))
    assert found == [], f"{template.relative_to(PACKAGE)}: {found}"
