"""In a real Chromium: pages obey their Content-Security-Policy (charts still draw, nothing
inline is refused) and pass axe-core's WCAG 2.1 A/AA rules in English and Norwegian, at
desktop and phone width."""

from __future__ import annotations

from datetime import date

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from safehands.measurement import periods

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def falls_data(transactional_db, tree):
    """Two years of falls for W1 with a drop, so the chart has points, limits and a signal."""
    from safehands.catalogue.models import TargetArea
    from safehands.catalogue.services import catalogue_load
    from safehands.measurement.services import data_values_import, enrolment_create

    catalogue_load(actor=None, source="system")
    enrolment_create(unit=tree["W1"], target_area=TargetArea.objects.get(code="falls"),
                     started=date(2023, 1, 1), actor=None, source="system")
    rows = "".join(
        f"W1,falls.rate,{key},{90 + i % 4 if i < 16 else 20 + i % 3},10000,,\n"
        for i, key in enumerate(periods.latest("monthly", count=25)[:-1]))
    summary = data_values_import(
        text="org_unit,measure,period,numerator,denominator,value,comment\n" + rows,
        fmt="csv", actor=None)
    assert summary.ok, summary.as_dict()


@pytest.fixture
def violations(page):
    """Every CSP refusal the page reports, as the browser's own event sees it."""
    seen: list[str] = []
    page.expose_function("reportViolation", lambda text: seen.append(text))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "window.reportViolation(e.violatedDirective + ' ' + e.blockedURI));")
    return seen


def _axe_failures(page) -> list[str]:
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])}×, e.g. {v['nodes'][0]['target']})"
            for v in results.response["violations"]]


def test_a_chart_page_draws_its_chart_under_the_policy(page, live_server, make_user, sign_in,
                                                        falls_data, violations):
    make_user("kari", ("W1", "reporter"))
    sign_in("kari")
    response = page.goto(f"{live_server.url}/measurement/W1/measures/falls.rate/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe" not in policy
    expect(page.locator("[data-rendered=true]").first).to_be_attached()
    assert page.locator("[data-rendered=true] svg").count() >= 1
    assert violations == []


def test_an_injected_script_in_a_comment_does_not_run(page, live_server, make_user, sign_in,
                                                       falls_data, violations):
    """Belt and braces: even were escaping to fail, the policy refuses inline script."""
    make_user("kari", ("W1", "reporter"))
    sign_in("kari")
    page.goto(f"{live_server.url}/measurement/W1/measures/falls.rate/")
    page.evaluate("""() => {
        const s = document.createElement('script');
        s.textContent = 'window.__ran = true';
        document.body.appendChild(s);
    }""")
    assert page.evaluate("() => window.__ran === true") is False
    assert any(v.startswith("script-src") for v in violations)


PAGES = [
    "/",
    "/orgs/W1/",
    "/measurement/W1/",
    "/measurement/W1/measures/falls.rate/",
    "/measurement/W1/entry/",
    "/measurement/H1/dashboard/",
    "/catalogue/",
]


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("language", ["en", "nb"])
def test_pages_pass_axe_wcag_aa(page, live_server, make_user, sign_in, falls_data, violations,
                                language, width):
    make_user("kari", ("H1", "coordinator"))
    page.set_viewport_size({"width": width, "height": 900})
    sign_in("kari")
    if language == "nb":
        page.select_option("#lang-switch", "nb")
        page.click("#lang-switch ~ button")
        expect(page.locator("html")).to_have_attribute("lang", "nb")
    failures = {}
    for path in PAGES:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        if page.locator("[data-vega-spec]").count():
            expect(page.locator("[data-rendered=true]").first).to_be_attached()
        found = _axe_failures(page)
        if found:
            failures[path] = found
    assert failures == {}
    assert violations == []


def test_api_docs_load_swagger_from_the_app_under_the_policy(page, live_server, tree,
                                                             make_user, sign_in, violations):
    make_user("kari", ("W1", "reporter"))
    sign_in("kari")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server.url}/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Safehands API")
    assert all(url.startswith(live_server.url) for url in requested), requested
    assert violations == []
