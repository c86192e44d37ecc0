"""In a real browser: a QI team enrols a unit, enters 24 months, annotates a change and sees a
chart with the correct signals; a leader sees the national dashboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from safehands.measurement import periods

pytestmark = pytest.mark.browser

# Falls per 1,000 patient-days: about 9 before the change, about 2 after it (month 17 on).
FALLS = [90, 93, 88, 91, 92, 89, 94, 90, 91, 88, 93, 90, 92, 89, 91, 90,
         22, 20, 21, 19, 23, 20, 21, 22]


@pytest.fixture
def people(transactional_db, tree, make_user):
    from safehands.catalogue.services import catalogue_load

    catalogue_load(actor=None, source="system")
    return {"qi.lead": make_user("qi.lead", ("H1", "coordinator")),
            "leader": make_user("leader", ("NO", "viewer"))}


def test_team_enrols_enters_annotates_and_leader_sees_dashboard(page, live_server, people,
                                                                sign_in):
    from safehands.measurement.models import DataValue, Enrolment

    base = live_server.url
    months = periods.latest("monthly", count=25)[:-1]
    sign_in("qi.lead")

    # Enrol Ward One in falls, reporting only the falls rate.
    page.goto(f"{base}/measurement/W1/enrol/")
    page.select_option("select[name=target_area]", "falls")
    page.fill("input[name=started]", periods.parse(months[0]).start.isoformat())
    page.fill("textarea[name=aim_text]", "Halve falls with injury")
    page.click("form.stack button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("Enrolled.")
    update = page.locator("form:has(input[value=update])")
    for box in update.locator("input[name=measures]").all():
        box.uncheck()
    falls_rate = Enrolment.objects.get().target_area.measures.get(code="falls.rate")
    update.locator(f"input[name=measures][value='{falls_rate.pk}']").check()
    update.locator("button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("Saved.")

    # Enter 24 months, one screen per month, saving with Enter from the keyboard.
    for key, falls in zip(months, FALLS, strict=True):
        page.goto(f"{base}/measurement/W1/entry/?period={key}")
        numerator = page.locator("input[name$=-numerator]")
        numerator.fill(str(falls))
        numerator.press("Tab")
        page.keyboard.type("10000")
        page.keyboard.press("Enter")
        expect(page.locator(".messages")).to_contain_text(f"Saved 1 value(s) for {key}.")
    assert DataValue.objects.count() == 24

    # A wrong value gets its message under the field, and nothing is saved.
    page.goto(f"{base}/measurement/W1/entry/?period={months[-1]}")
    page.fill("input[name$=-numerator]", "-3")
    page.click("#entry-form button[type=submit]")
    expect(page.locator(".field-error")).to_contain_text("Must be zero or more.")

    # Annotate the change on the chart, then read the chart.
    change = periods.parse(months[16]).start.isoformat()
    page.goto(f"{base}/measurement/W1/measures/falls.rate/")
    page.fill("#annotate input[name=date]", change)
    page.fill("#annotate input[name=text]", "PDSA: hourly rounding on all shifts")
    page.click("#annotate button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("Annotation added.")
    expect(page.locator("#unit-chart svg")).to_have_count(1)
    expect(page.locator("[data-variation]").first).to_have_attribute(
        "data-variation", "special_cause_improvement")
    expect(page.locator("body")).to_contain_text("PDSA: hourly rounding on all shifts")
    expect(page.locator("#chart-table tbody tr")).to_have_count(24)
    expect(page.locator("#chart-table td.signal").first).to_be_visible()

    # A note added by mistake goes again, from the list under the chart.
    page.fill("#annotate input[name=text]", "Typo note")
    page.click("#annotate button[type=submit]")
    expect(page.locator("#annotations li")).to_have_count(2)
    page.locator("#annotations li", has_text="Typo note").get_by_role(
        "button", name="Delete the annotation").click()
    expect(page.locator(".messages")).to_contain_text("deleted: Typo note")
    expect(page.locator("#annotations li")).to_have_count(1)
    expect(page.locator("#annotations")).to_contain_text("PDSA: hourly rounding on all shifts")

    # A national leader reads the dashboard.
    page.context.clear_cookies()
    sign_in("leader")
    page.goto(f"{base}/measurement/NO/dashboard/")
    expect(page.locator("#signal-matrix")).to_contain_text("Region One")
    expect(page.locator("#signal-matrix [data-variation]").first).to_have_attribute(
        "data-variation", "special_cause_improvement")
    expect(page.locator("#completeness")).to_contain_text("100 %")
    expect(page.locator("figure.chart svg").first).to_be_visible()
