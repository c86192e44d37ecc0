"""In a real browser: a staff member answers on a phone; a coordinator sees protected results."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from tests.culture.conftest import answer

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _choose(page, item: str, value: str, label: str) -> None:
    """Tap the answer's label, as a thumb would, after checking it says what we expect."""
    choice = page.locator(f"#q-{item} label").filter(has=page.locator(f"input[value='{value}']"))
    expect(choice).to_contain_text(label)
    choice.click()


@pytest.fixture
def live_round(live_server, tree, make_user):
    from safehands.culture.models import Instrument
    from safehands.culture.services import instruments_load_packaged, round_open

    instruments_load_packaged()
    coordinator = make_user("hospital.coordinator", ("H1", "coordinator"))
    today = datetime.date.today()
    survey_round = round_open(root=tree["H1"], instrument=Instrument.objects.get(code="saq"),
                              title="Culture 2026", opens_on=today,
                              closes_on=today + datetime.timedelta(days=7), actor=coordinator)
    return survey_round


def test_staff_member_answers_on_a_phone(page, live_server, live_round):
    from safehands.culture.models import Response, RoundUnit

    page.set_viewport_size(PHONE)
    code = RoundUnit.objects.get(survey_round=live_round, org_unit__code="W1").join_code
    page.goto(f"{live_server.url}/culture/r/{live_round.link_token}/")
    page.fill("#code", code)
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_have_text("Culture 2026")
    expect(page.locator("main")).to_contain_text("Unit: Ward One")
    # Nothing wider than the phone: no sideways scrolling to answer.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _choose(page, "SAQ1", "5", "Agree strongly")
    _choose(page, "SAQ2", "1", "Disagree strongly")
    _choose(page, "SAQ3", "4", "Agree slightly")
    box = page.locator("#q-SAQ1 label").first.bounding_box()
    assert box["height"] >= 44          # a finger-sized target
    page.click("button.primary")
    expect(page.locator("#thanks")).to_be_visible()
    response = Response.objects.get()
    assert response.org_unit.code == "W1"
    assert response.answers == {"SAQ1": 5, "SAQ2": 1, "SAQ3": 4}


def test_staff_member_answers_in_norwegian(page, live_server, live_round):
    from safehands.culture.models import Response, RoundUnit

    page.set_viewport_size(PHONE)
    code = RoundUnit.objects.get(survey_round=live_round, org_unit__code="W2").join_code
    page.goto(f"{live_server.url}/culture/r/{live_round.link_token}/{code}/")
    page.select_option("#lang-switch", "nb")
    page.click("#lang-switch ~ button")
    expect(page.locator("#q-SAQ1 legend")).to_contain_text("Forslag fra ansatte")
    _choose(page, "SAQ1", "5", "Svært enig")
    page.click("button.primary")
    expect(page.locator("#thanks")).to_be_visible()
    assert Response.objects.get().answers == {"SAQ1": 5}


def test_coordinator_sees_results_only_for_groups_at_or_above_the_threshold(
        page, live_server, live_round, sign_in):
    answer(live_round, "W1", 6, value=5)
    answer(live_round, "W2", 7, value=3)
    answer(live_round, "H1", 2, value=4)      # the hospital's own staff: below 5
    sign_in("hospital.coordinator")
    page.goto(f"{live_server.url}/culture/rounds/{live_round.pk}/units/H1/")
    team = page.locator("#results tr[data-scale=teamwork_climate]")
    expect(team).to_contain_text("15")              # 15 respondents in the hospital
    expect(page.locator("#too-few")).to_have_count(0)
    expect(page.locator("#culture-heatmap svg, #culture-heatmap canvas")).to_have_count(1)
    # Ward Two (7) is shown; Ward One (6) is hidden as well as the hospital's own 2, because
    # otherwise the 2 could be worked out as 15 - 6 - 7.
    page.goto(f"{live_server.url}/culture/rounds/{live_round.pk}/units/W2/")
    expect(page.locator("#results tr[data-scale=teamwork_climate]")).to_contain_text("7")
    expect(page.locator("#too-few")).to_have_count(0)
    page.goto(f"{live_server.url}/culture/rounds/{live_round.pk}/units/W1/")
    expect(page.locator("#too-few")).to_be_visible()
    expect(page.locator("#results tr[data-scale=teamwork_climate]")).to_contain_text(
        "Hidden: too few respondents")
    expect(page.locator("#results")).not_to_contain_text("100")
