"""The analysis page and its exports: what they show, the period filter, suppression for
viewers, safe spreadsheets, and the page in a real browser (charts drawn, axe-core clean)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date

import pytest
from django.test import override_settings

from tests.events.test_analysis import add, bed_days  # noqa: F401 (fixtures)

BASE = "/events/units/{code}/analysis"


@pytest.fixture
def data(add, bed_days):  # noqa: F811
    bed_days("W1", "2026-01", 1000)
    bed_days("W1", "2026-02", 1000)
    for day in range(10, 16):
        add("W1", f"2026-01-{day} 12:00", factors=["team.handover"])
    add("W1", "2026-02-10 12:00", outcome="none", reached_patient=False,
        factors=["environment.staffing"])
    add("W2", "2026-02-11 12:00", event_type="staff_violence", outcome="moderate")


QUERY = "?from=2026-01-01&to=2026-03-31&by=month"


def test_page_shows_counts_rates_and_charts(client, tree, people, data):
    client.force_login(people["viewer"])
    response = client.get(BASE.format(code="H1") + "/" + QUERY)
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(r'id="summary-events">8<', page)
    assert "1 (12.5 % of the 8 where it is known)" in page
    # Events per 1,000 bed days in W1's months; W2 reports no bed days.
    assert "<th scope=\"row\">2026-01</th><td class=\"num\">6</td>" in page
    assert "Events per 1,000 bed days by month (u chart)" in page
    for chart in ("events-reports-chart", "events-outcome-chart", "events-pareto-chart"):
        assert f'id="{chart}"' in page
    assert "Handover or transfer of information" in page  # factor names, not codes
    assert "Violence or threats against staff" in page
    assert 'href="/events/units/W1/analysis/?from=2026-01-01&amp;to=2026-03-31&amp;by=month"' \
        in page


def test_page_never_shows_report_text(client, tree, people, add):  # noqa: F811
    add("W1", "2026-01-10 12:00", description="Ola Nordmann fell in room 12.")
    client.force_login(people["lead"])  # a coordinator, who may read it elsewhere
    for url in ("/", ".xlsx", "/periods.csv", "/summary.csv"):
        response = client.get(BASE.format(code="T1") + url + QUERY)
        assert b"Ola Nordmann" not in response.content, url


def test_period_filter_names_bad_input_and_uses_the_defaults(client, tree, people, data):
    client.force_login(people["viewer"])
    page = client.get(BASE.format(code="H1") + "/?from=2026-13-01&by=week").content.decode()
    assert "&#x27;2026-13-01&#x27; is not a date for &#x27;From&#x27;; write YYYY-MM-DD." in page
    assert "&#x27;week&#x27; is not a grouping; choose month, quarter or year." in page
    reversed_page = client.get(BASE.format(code="H1") + "/?from=2026-03-01&to=2026-01-01")
    assert "The period starts (2026-03-01) after it ends (2026-01-01)" in \
        reversed_page.content.decode()


def test_periods_by_quarter(client, tree, people, data):
    client.force_login(people["viewer"])
    rows = list(csv.DictReader(io.StringIO(client.get(
        BASE.format(code="H1") + "/periods.csv?from=2026-01-01&to=2026-03-31&by=quarter"
    ).content.decode())))
    assert [(r["period"], r["event_type"], r["outcome"], r["events"], r["bed_days"])
            for r in rows] == [("2026-Q1", "fall", "none", "1", "2000"),
                               ("2026-Q1", "fall", "low", "6", "2000"),
                               ("2026-Q1", "staff_violence", "moderate", "1", "2000")]
    assert rows[1]["events_per_1000_bed_days"] == "3"  # W1's 6 low-harm falls / 2000 bed days


def test_months_csv_is_the_series_under_the_chart(client, tree, people, data):
    client.force_login(people["viewer"])
    text = client.get(BASE.format(code="H1") + "/months.csv" + QUERY).content.decode()
    assert text.splitlines() == [
        "period,events,near_misses,events_with_bed_days,bed_days,events_per_1000_bed_days",
        "2026-01,6,0,6,1000,6", "2026-02,2,1,1,1000,1", "2026-03,0,0,0,,"]


@override_settings(SAFEHANDS_SMALL_CELL_THRESHOLD=3)
def test_children_are_suppressed_for_viewers_and_shown_to_handlers(client, tree, people, data):
    client.force_login(people["viewer"])
    page = client.get(BASE.format(code="H1") + "/" + QUERY).content.decode()
    assert 'id="small-counts-note"' in page and "Counts below 3" in page
    rows = list(csv.DictReader(io.StringIO(client.get(
        BASE.format(code="H1") + "/units.csv" + QUERY).content.decode())))
    assert [(r["org_unit"], r["events"], r["suppressed"]) for r in rows] == [
        ("W1", "", "events near_misses serious"), ("W2", "", "events near_misses serious")]
    client.force_login(people["handler"])
    rows = list(csv.DictReader(io.StringIO(client.get(
        BASE.format(code="H1") + "/units.csv" + QUERY).content.decode())))
    assert [(r["org_unit"], r["events"], r["moderate_or_worse"]) for r in rows] == [
        ("W1", "7", "0"), ("W2", "1", "1")]
    assert 'id="small-counts-note"' not in client.get(
        BASE.format(code="H1") + "/" + QUERY).content.decode()


def test_exports_are_safe_in_a_spreadsheet(client, tree, people, add):  # noqa: F811
    from safehands.orgs.services import org_units_import

    summary = org_units_import(text="code,name,kind,parent_code\n"
                               'WX,"=HYPERLINK(""http://x.example"")",unit,H1\n',
                               actor=None, source="system")
    assert not summary.problems
    from safehands.orgs.models import OrgUnit

    tree["WX"] = OrgUnit.objects.get(code="WX")
    add("WX", "2026-01-10 12:00")
    client.force_login(people["handler"])
    text = client.get(BASE.format(code="H1") + "/units.csv" + QUERY).content.decode()
    assert "'=HYPERLINK" in text  # an apostrophe: shown as text, never run
    book = client.get(BASE.format(code="H1") + ".xlsx" + QUERY)
    assert book["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert 'filename="H1_events_2026-01-01_2026-03-31.xlsx"' in book["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(book.content)) as archive:
        names = archive.namelist()
        workbook = archive.read("xl/workbook.xml").decode()
        sheets = "".join(archive.read(n).decode() for n in names if n.startswith(
            "xl/worksheets/"))
        strings = archive.read("xl/sharedStrings.xml").decode()
    for sheet in ("summary", "by_type", "by_outcome", "factors", "months", "periods", "units"):
        assert f'name="{sheet}"' in workbook
    assert "<f>" not in sheets  # no formulas anywhere
    assert "=HYPERLINK" in strings  # the name is kept, as a plain string


def test_unknown_table_and_chart_are_404_with_the_choices(client, tree, people, data):
    client.force_login(people["viewer"])
    response = client.get(BASE.format(code="H1") + "/secrets.csv")
    assert response.status_code == 404
    assert b"There is no analysis table &#x27;secrets&#x27;; use one of summary" in \
        response.content
    assert client.get(BASE.format(code="H1") + "/charts/pie.svg").status_code == 404
    assert client.get(BASE.format(code="H1") + "/charts/reports.pdf").status_code == 404


def test_chart_downloads_are_images(client, tree, people, data):
    client.force_login(people["viewer"])
    svg = client.get(BASE.format(code="H1") + "/charts/reports.svg" + QUERY)
    assert svg["Content-Type"] == "image/svg+xml" and svg.content.startswith(b"<svg")
    png = client.get(BASE.format(code="H1") + "/charts/factors.png" + QUERY)
    assert png["Content-Type"] == "image/png" and png.content[:4] == b"\x89PNG"


def test_a_unit_without_factors_has_no_pareto_chart(client, tree, people, add):  # noqa: F811
    add("W1", "2026-01-10 12:00")
    client.force_login(people["viewer"])
    assert client.get(BASE.format(code="W1") + "/charts/factors.svg" + QUERY).status_code == 404
    page = client.get(BASE.format(code="W1") + "/" + QUERY).content.decode()
    assert "No contributing factors recorded in the period." in page
    assert "run chart" in page  # no bed days: the counts as a run chart


# --- In a browser -----------------------------------------------------------------------------

@pytest.fixture
def browser_data(transactional_db, tree, make_user):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from safehands.catalogue.models import Measure, TargetArea
    from safehands.catalogue.services import catalogue_load
    from safehands.events.services import event_report
    from safehands.measurement.services import data_value_upsert, enrolment_create

    catalogue_load(actor=None, source="system")
    enrolment_create(unit=tree["W1"], target_area=TargetArea.objects.get(code="falls"),
                     started=date(2020, 1, 1), actor=None)
    rate = Measure.objects.get(code="falls.rate")
    nurse = make_user("nurse", ("W1", "reporter"))
    for month in range(1, 13):
        data_value_upsert(unit=tree["W1"], measure=rate, period=f"2025-{month:02d}",
                          numerator=1, denominator=900, actor=None, source="system")
        for i in range(month % 4 + 1):
            occurred = datetime(2025, month, 5 + i, 12, tzinfo=ZoneInfo("Europe/Oslo"))
            event_report(org_unit=tree["W1"], event_type="fall" if i else "medication",
                         outcome=["none", "low", "moderate"][i % 3], occurred_at=occurred,
                         reported_at=occurred + timedelta(hours=1), description="Fell.",
                         reached_patient=bool(i), factors=["team.handover"], actor=nurse)


@pytest.mark.parametrize("language", ["en", "nb"])
def test_the_analysis_page_draws_its_charts_and_passes_axe(page, live_server, make_user,
                                                           sign_in, browser_data, language):
    from playwright.sync_api import expect

    from tests.browser.test_policy_and_access import _axe_failures

    make_user("reader", ("H1", "viewer"))
    sign_in("reader")
    if language == "nb":
        page.context.add_cookies([{"name": "django_language", "value": "nb",
                                   "url": live_server.url}])
    page.goto(f"{live_server.url}/events/units/H1/analysis/?from=2025-01-01&to=2025-12-31")
    expect(page.locator("#events-reports-chart[data-rendered=true] svg")).to_be_attached()
    expect(page.locator("#events-pareto-chart[data-rendered=true] svg")).to_be_attached()
    assert _axe_failures(page) == []
    page.set_viewport_size({"width": 375, "height": 800})
    assert _axe_failures(page) == []
