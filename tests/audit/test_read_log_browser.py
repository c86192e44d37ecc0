"""In a real Chromium: the read-log page passes axe-core's WCAG 2.1 A/AA rules in English and
Norwegian, at desktop and phone width, under the Content-Security-Policy."""

from __future__ import annotations

import datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def reads(transactional_db, tree):
    from safehands.audit.models import ReadEvent

    now = timezone.now()
    for i in range(55):
        ReadEvent.objects.create(
            actor_username="nurse" if i % 3 else "regional", kind="gtt_record",
            purpose="gtt_record_review", org_path=tree["W1"].path,
            object_type="harm.reviewrecord", object_repr=f"GTT-H1/S{i:02d}", object_count=1,
            where=f"/harm/teams/GTT-H1/records/S{i:02d}/", source="web",
            client_address="10.0.0.9", unusual=not i % 3,
            unusual_reason="" if i % 3 else "above_organisation",
            granted_at="" if i % 3 else "R1", at=now - datetime.timedelta(hours=i))


@pytest.fixture
def violations(page):
    seen: list[str] = []
    page.expose_function("reportViolation", lambda text: seen.append(text))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "window.reportViolation(e.violatedDirective + ' ' + e.blockedURI));")
    return seen


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("language", ["en", "nb"])
def test_read_log_page_passes_axe_wcag_aa(page, live_server, make_user, sign_in, reads,
                                          violations, language, width):
    make_user("lead", ("H1", "coordinator"))
    page.set_viewport_size({"width": width, "height": 900})
    sign_in("lead")
    if language == "nb":
        page.select_option("#lang-switch", "nb")
        page.click("#lang-switch ~ button")
        expect(page.locator("html")).to_have_attribute("lang", "nb")
    failures = {}
    for path in ("/orgs/H1/read-log/", "/orgs/H1/read-log/?unusual=1&person=regional",
                 "/orgs/H1/read-log/?from=nonsense"):
        page.goto(f"{live_server.url}{path}")
        results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
        found = [f"{v['id']}: {v['help']} ({v['nodes'][0]['target']})"
                 for v in results.response["violations"]]
        if found:
            failures[path] = found
    assert failures == {}
    assert violations == []
    page.goto(f"{live_server.url}/orgs/H1/read-log/")
    expect(page.locator("button[data-print]")).to_be_visible()
    heading = "Tilgangslogg" if language == "nb" else "Read log"
    expect(page.locator("h1")).to_contain_text(heading)
