"""A GTT team in a real browser: the coordinator samples a period, both primary reviewers
screen a record, the physician confirms, and the team sees its charts."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.harm.conftest import DISCHARGES

pytestmark = pytest.mark.browser


@pytest.fixture
def gtt_team(transactional_db, tree, make_user):
    from safehands.harm.services import gtt_member_add, gtt_team_create

    team = gtt_team_create(code="GTT-H1", population=tree["H1"], actor=None, source="system")
    users = {name: make_user(name, ("H1", role)) for name, role in [
        ("coord", "coordinator"), ("nurse.a", "reporter"), ("nurse.b", "reporter"),
        ("doctor", "reporter")]}
    for name, role in [("nurse.a", "primary_reviewer"), ("nurse.b", "primary_reviewer"),
                       ("doctor", "physician")]:
        gtt_member_add(team=team, user=users[name], role=role, actor=None, source="system")
    return team


def _switch(page, sign_in, username):
    page.context.clear_cookies()
    sign_in(username)


def test_team_samples_reviews_in_two_stages_and_sees_its_charts(
        page, live_server, gtt_team, sign_in, tmp_path):
    from safehands.harm.models import AdverseEvent, ReviewRecord

    discharge_list = tmp_path / "discharges.csv"
    discharge_list.write_text(DISCHARGES, encoding="utf-8")
    team_url = f"{live_server.url}/harm/teams/GTT-H1/"

    # The coordinator uploads the discharge list and draws the period's sample.
    sign_in("coord")
    page.goto(team_url)
    page.set_input_files("#discharge-file", str(discharge_list))
    page.click("#discharge-upload button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("Discharge list stored: 15 new")
    page.fill("#sample-start", "2025-03-01")
    page.fill("#sample-seed", "2025")
    page.click("#sample-draw button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("Drew 10 of 11 eligible stays")
    expect(page.locator("#records tbody tr")).to_have_count(10)
    stay = ReviewRecord.objects.order_by("stay_id").first().stay_id
    record_url = f"{live_server.url}/harm/teams/GTT-H1/records/{stay}/"

    # Stage 1: each primary reviewer screens the record on their own.
    _switch(page, sign_in, "nurse.a")
    page.goto(record_url)
    expect(page.locator("#comparison")).to_have_count(0)
    page.check("#screening input[value=C7]")
    page.check("#screening input[value=M3]")
    page.fill("#candidate-count", "1")
    page.fill("#minutes", "12")
    page.click("#screening button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("Your screening is saved.")

    _switch(page, sign_in, "nurse.b")
    page.goto(record_url)
    page.check("#screening input[value=C7]")
    page.fill("#candidate-count", "1")
    page.fill("#minutes", "24")
    page.click("#screening button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("20-minute limit")

    # Stage 2: the physician sees where they disagree and decides.
    _switch(page, sign_in, "doctor")
    page.goto(record_url)
    expect(page.locator("#disagreements")).to_contain_text("M3")
    page.select_option("select[name=severity_0]", "F")
    page.select_option("select[name=harm_type_0]", "fall")
    page.fill("input[name=description_0]", "Hip fracture after a fall on the ward")
    page.fill("input[name=triggers_0]", "C7")
    page.click("#confirm button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("1 adverse event(s)")
    expect(page.locator("#events")).to_contain_text("Hip fracture")
    assert AdverseEvent.objects.get().severity == "F"

    # The team sees its charts, drawn by the browser, and its rates.
    page.goto(team_url)
    expect(page.locator("#team-u-chart svg")).to_have_count(1)
    expect(page.locator("#team-p-chart svg")).to_have_count(1)
    expect(page.locator("#team-tertials")).to_contain_text("2025-T1")
