"""In a real browser: a team runs an assessment end to end and turns its lowest area into an
action plan. Uses the shared Playwright fixtures."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture
def loaded(transactional_db, tree, make_user):
    from safehands.assessment.services import instruments_load
    from safehands.catalogue.services import catalogue_load

    catalogue_load(actor=None, source="system")
    instruments_load(actor=None, source="system")
    make_user("coord", ("H1", "coordinator"), first_name="Ingrid", last_name="Kvalitet")
    make_user("nurse", ("H1", "reporter"), first_name="Kari", last_name="Sykepleier")


def _rate(page, level_by_area: dict[str, str]) -> None:
    selects = page.locator("#rating-form select")
    for i in range(selects.count()):
        select = selects.nth(i)
        code = select.get_attribute("name").removeprefix("rating-")
        select.select_option(level_by_area[code.split(".")[1]])
    page.fill("#rating-form textarea[name='comment-nap.co.02']", "Few have had training")
    page.click("#rating-form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("Your ratings are saved (12 changed)")


def test_team_runs_an_assessment_and_plans_its_lowest_area(page, live_server, loaded,
                                                            sign_in):
    from safehands.assessment.models import Action, Assessment

    sign_in("coord")
    page.goto(f"{live_server.url}/assessment/units/H1/")
    page.fill("input[name=title]", "Baseline 2026")
    page.select_option("select[name=instrument]", "nap-2019-2023")
    page.click("form[action$='/start/'] button")
    expect(page.locator("h1")).to_contain_text("Baseline 2026")
    page.fill("input[name=username]", "nurse")
    page.fill("input[name=profession]", "nurse")
    page.click("form[action$='/team/'] button")
    expect(page.locator(".messages")).to_contain_text("nurse joined the team")
    _rate(page, {"lc": "3", "co": "1", "ni": "3", "ss": "2"})

    page.click("header >> text=Sign out")
    sign_in("nurse")
    assessment = Assessment.objects.get()
    page.goto(f"{live_server.url}/assessment/{assessment.pk}/")
    _rate(page, {"lc": "4", "co": "2", "ni": "2", "ss": "unsure"})

    page.click("header >> text=Sign out")
    sign_in("coord")
    page.goto(f"{live_server.url}/assessment/{assessment.pk}/consensus/")
    expect(page.locator("main")).to_contain_text("Competence in patient safety")
    # The form starts from the rounded team means; the team agrees and closes.
    page.fill("input[name=closing_note]", "Agreed in the quality meeting")
    page.click("text=Save and close the assessment")
    expect(page.locator("h1")).to_contain_text("Where to start")
    expect(page.locator("#area-table")).to_contain_text("Competence in patient safety")
    expect(page.locator("figure.chart svg, figure.chart canvas").first).to_be_visible()
    expect(page.locator("main")).to_contain_text("Lowest area: Competence in patient safety")

    page.click("#lowest-area-action")
    expect(page.locator("h1")).to_contain_text("Add an action")
    page.fill("input[name=what]", "Improvement course for ward leaders")
    page.fill("input[name=owner]", "Head of quality")
    page.fill("input[name=due_date]", "2027-03-31")
    page.select_option("select[name=tactic]", "nap.co.training")
    page.click("text=Add to the plan")
    expect(page.locator("h1")).to_contain_text("Action plan")
    expect(page.locator("#actions")).to_contain_text("Improvement course for ward leaders")
    expect(page.locator("main")).to_contain_text("Progress per area")

    action = Action.objects.get()
    assert action.plan_area.code == "nap-2019-2023.competence"
    assert action.assessment == Assessment.objects.get(status="closed")
