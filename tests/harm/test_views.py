"""GTT pages and API through the full stack: sampling, both review stages, charts, roll-ups,
suppression, the national estimate."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from safehands.harm import services
from safehands.harm.models import AdverseEvent, PrimaryReview, ReviewRecord, Stay

from .test_import import EVENTS, RECORDS


def test_team_page_upload_sample_and_both_review_stages(client, team, crew, discharges):
    client.force_login(crew["coord"])
    response = client.post(f"/harm/teams/{team.code}/discharges/", {
        "file": SimpleUploadedFile("list.csv", discharges.encode())}, follow=True)
    assert b"Discharge list stored: 15 new" in response.content
    response = client.post(f"/harm/teams/{team.code}/sample/",
                           {"start": "2025-03-01", "seed": "42"}, follow=True)
    assert b"Drew 10 of 11 eligible stays (seed 42)" in response.content
    record = ReviewRecord.objects.filter(team=team).order_by("stay_id").first()
    url = f"/harm/teams/{team.code}/records/{record.stay_id}/"

    client.force_login(crew["nurse.a"])
    page = client.get(url)
    assert b'id="screening"' in page.content and b'id="comparison"' not in page.content
    client.post(url, {"stage": "screen", "triggers": ["C7", "M3"], "minutes": "12",
                      "candidate_count": "1"})
    client.force_login(crew["nurse.b"])
    response = client.post(url, {"stage": "screen", "triggers": ["C7"], "minutes": "25",
                                 "candidate_count": "1"}, follow=True)
    assert b"more than the 20-minute limit" in response.content
    assert PrimaryReview.objects.filter(record=record).count() == 2

    client.force_login(crew["doctor"])
    page = client.get(url)
    assert b'id="confirm"' in page.content
    assert b"<strong>M3</strong> (nurse.a)" in page.content
    response = client.post(url, {"stage": "confirm", "severity_0": "F", "harm_type_0": "fall",
                                 "description_0": "Fracture after fall", "triggers_0": "C7",
                                 "severity_1": ""}, follow=True)
    assert b"1 adverse event(s)" in response.content
    event = AdverseEvent.objects.get(record=record)
    assert (event.severity, event.harm_type, event.triggers) == ("F", "fall", ["C7"])

    client.force_login(crew["coord"])
    page = client.get(f"/harm/teams/{team.code}/")
    assert b"team-u-chart" in page.content and b"team-p-chart" in page.content


def test_bad_discharge_list_lists_rows_and_stores_nothing(client, team, crew):
    client.force_login(crew["coord"])
    text = "stay_id,admission_time,discharge_time,age,service\nA,2025-03-05,2025-03-01,50,x\n"
    response = client.post(f"/harm/teams/{team.code}/discharges/", {
        "file": SimpleUploadedFile("list.csv", text.encode())}, follow=True)
    assert b"Row 2, discharge_time" in response.content
    assert b"Nothing was stored: 1 problem(s)." in response.content
    assert not Stay.objects.exists()


def test_physician_rejects_bad_severity_in_page(client, team, crew, discharges):
    services.discharge_list_upload(team=team, text=discharges, actor=None)
    services.sample_draw(team=team, start=date(2025, 3, 1), actor=None, seed=3)
    record = ReviewRecord.objects.first()
    client.force_login(crew["doctor"])
    response = client.post(f"/harm/teams/{team.code}/records/{record.stay_id}/",
                           {"stage": "confirm", "severity_0": "D", "harm_type_0": "other"},
                           follow=True)
    assert b"is not a GTT severity" in response.content
    assert not AdverseEvent.objects.exists()


@pytest.fixture
def two_teams(tree, team):
    other = services.gtt_team_create(code="GTT-H2", population=tree["H2"], actor=None)
    services.reviews_import(team=team, records_text=RECORDS, events_text=EVENTS, actor=None)
    services.reviews_import(team=other, records_text=RECORDS, events_text=None, actor=None)
    return team, other


def test_unit_page_rolls_up_and_hides_small_cells_from_viewers(client, two_teams, make_user):
    viewer = make_user("viewer", ("NO", "viewer"))
    client.force_login(viewer)
    page = client.get("/harm/NO/")
    assert page.status_code == 200
    assert b"unit-u-chart" in page.content
    assert page.content.count(b"hidden: too few stays to show") == 2  # R1 small, R2 secondary
    admin = make_user("admin", ("NO", "admin"))
    client.force_login(admin)
    assert b"hidden: too few stays" not in client.get("/harm/NO/").content


def test_unit_without_teams_answers(client, tree, make_user):
    client.force_login(make_user("v", ("NO", "viewer")))
    assert b"No GTT team reviews stays here." in client.get("/harm/M1/").content


def test_team_page_for_viewers_shows_rates_not_records(client, two_teams, make_user):
    team, _ = two_teams
    client.force_login(make_user("v", ("NO", "viewer")))
    page = client.get(f"/harm/teams/{team.code}/")
    assert b"Records are visible only to the team" in page.content
    assert b'id="periods"' not in page.content
    assert b'id="team-tertials"' in page.content


def test_national_estimate_page_and_api(client, team, crew, discharges, make_user):
    services.discharge_list_upload(team=team, text=discharges, actor=None)
    draw = services.sample_draw(team=team, start=date(2025, 3, 1), actor=None, seed=5)
    for i, record in enumerate(draw.period.records.all()):
        events = [services.EventInput("E", "uti")] if i < 2 else []
        services.record_confirm(record=record, actor=crew["doctor"], events=events)
    client.force_login(make_user("v", ("NO", "viewer")))
    page = client.get("/harm/NO/national/")
    assert b"<td>2025</td><td>20.0</td>" in page.content
    (year,) = client.get("/api/v1/harm/units/NO/national").json()
    assert (year["year"], year["records"], year["population"], year["teams"]) == (
        "2025", 10, 11, 1)
    assert year["pct_records_with_ae"] == pytest.approx(20.0)


def test_rates_api(client, two_teams, make_user):
    client.force_login(make_user("v", ("NO", "viewer")))
    rows = client.get("/api/v1/harm/teams/GTT-H1/rates?by=year").json()
    assert [(r["period"], r["records"], r["adverse_events"]) for r in rows] == [("2025", 3, 3)]
    rows = client.get("/api/v1/harm/units/NO/rates?by=tertial").json()
    assert [(r["period"], r["records"]) for r in rows] == [("2025-T1", 4), ("2025-T2", 2)]
    children = client.get("/api/v1/harm/units/NO/children").json()
    assert {c["unit"]: c["suppressed"] for c in children} == {"R1": True, "R2": True}
    response = client.get("/api/v1/harm/units/NO/rates?by=week")
    assert response.status_code == 400
    assert response.json()["extra"]["errors"][0]["loc"] == ["query", "by"]


def test_child_rates_follow_the_small_cell_setting(client, two_teams, make_user, settings):
    client.force_login(make_user("v", ("NO", "viewer")))
    settings.SAFEHANDS_SMALL_CELL_THRESHOLD = 1
    # R1's few harmed stays now show; R2's zero stays below 1 and hides alone, since the
    # national total is not shown beside them.
    children = {c["unit"]: c for c in client.get("/api/v1/harm/units/NO/children").json()}
    assert {code: c["suppressed"] for code, c in children.items()} == {"R1": False, "R2": True}
    assert children["R1"]["rate"] is not None and children["R2"]["rate"] is None


def test_team_settings_change_is_audited(client, team, crew):
    from safehands.audit.models import AuditEvent

    client.force_login(crew["coord"])
    response = client.post(f"/harm/teams/{team.code}/settings/", {
        "sample_size": "20", "period_days": "14", "excluded_services": "psychiatry, obstetrics",
        "trigger_variant": "ihi"}, follow=True)
    assert b"The team&#x27;s settings are saved." in response.content
    team.refresh_from_db()
    assert (team.sample_size, team.excluded_services) == (20, ["psychiatry", "obstetrics"])
    event = AuditEvent.objects.get(action="harm.team.update")
    assert event.before["sample_size"] == 10 and event.after["sample_size"] == 20
    response = client.post(f"/harm/teams/{team.code}/settings/", {
        "sample_size": "0", "period_days": "14", "excluded_services": "",
        "trigger_variant": "ihi"}, follow=True)
    assert b"The sample size must be at least 1" in response.content


def test_national_page_shows_each_teams_part_and_hides_small_counts(client, team, crew,
                                                                      discharges, make_user):
    services.discharge_list_upload(team=team, text=discharges, actor=None)
    draw = services.sample_draw(team=team, start=date(2025, 3, 1), actor=None, seed=5)
    for i, record in enumerate(draw.period.records.all()):
        services.record_confirm(record=record, actor=crew["doctor"],
                                events=[services.EventInput("F", "uti")] if i < 2 else [])
    client.force_login(make_user("v", ("NO", "viewer")))
    page = client.get("/harm/NO/national/").content.decode()
    assert "<td>2025</td><td>GTT-H1</td><td>10</td>" in page
    assert "hidden" in page and "<td>1.000</td>" in page
    client.force_login(crew["coord"])
    page = client.get("/harm/H1/national/").content.decode()
    assert "<td>2025</td><td>GTT-H1</td><td>10</td><td>2</td><td>11</td>" in page


def test_reviews_import_api(client, team, crew):
    from .test_import import EVENTS, RECORDS

    client.force_login(crew["coord"])
    url = f"/api/v1/harm/teams/{team.code}/reviews/import"
    answer = client.post(url, {"records_csv": RECORDS, "events_csv": EVENTS, "dry_run": True},
                         content_type="application/json")
    assert answer.status_code == 200 and answer.json()["status"] == "dry_run"
    assert not ReviewRecord.objects.exists()
    answer = client.post(url, {"records_csv": RECORDS, "events_csv": EVENTS},
                         content_type="application/json")
    assert answer.json()["counts"] == {"created": 3, "updated": 0, "unchanged": 0, "events": 3}
    bad = client.post(url, {"records_csv": RECORDS, "events_csv": EVENTS.replace("A1,E", "A1,Z")},
                      content_type="application/json")
    assert bad.status_code == 400
    assert bad.json()["message"] == "Nothing was imported: 1 problem(s)."
    (problem,) = bad.json()["extra"]["problems"]
    assert (problem["file"], problem["row"], problem["field"]) == ("EVENTS.csv", 2, "severity")


def test_rates_csv_download_matches_the_command_contract(client, two_teams, make_user):
    from safehands.harm.rates import RATE_COLUMNS

    client.force_login(make_user("v", ("NO", "viewer")))
    response = client.get("/harm/teams/GTT-H1/rates.csv?by=tertial")
    lines = response.content.decode().splitlines()
    assert lines[0] == ",".join(RATE_COLUMNS)
    assert [line.split(",")[:5] for line in lines[1:]] == [
        ["2025-T1", "2", "6", "2", "1"], ["2025-T2", "1", "8", "1", "1"]]
    assert client.get("/harm/teams/GTT-H1/rates.csv?by=week").status_code == 404


def test_period_page_reproduces_the_draw_from_its_seed(client, team, crew, discharges):
    services.discharge_list_upload(team=team, text=discharges, actor=None)
    draw = services.sample_draw(team=team, start=date(2025, 3, 1), actor=None, seed=99)
    client.force_login(crew["coord"])
    page = client.get(f"/harm/teams/{team.code}/periods/{draw.period_id}/").content.decode()
    assert '<dd id="reproduced">the same stays</dd>' in page
    # An eligible stay of the period not drawn becomes ineligible: the draw no longer repeats.
    from safehands.harm.queries import sample_reproduced

    drawn = set(draw.period.records.values_list("stay_id", flat=True))
    Stay.objects.filter(team=team, eligible=True).exclude(stay_id__in=drawn).exclude(
        stay_id="S15").update(eligible=False)
    assert sample_reproduced(period=draw.period) is False




def test_a_discharge_list_over_the_upload_limit_is_refused_unread(client, team, crew,
                                                                   discharges, settings):
    settings.SAFEHANDS_UPLOAD_MAX_BYTES = 64 * 1024
    big = discharges + "".join(
        f"X{i},2025-03-01T08:00,2025-03-03T10:00,50,medicine\n" for i in range(3000))
    assert len(big) > 64 * 1024
    client.force_login(crew["coord"])
    response = client.post(f"/harm/teams/{team.code}/discharges/", {
        "file": SimpleUploadedFile("march.csv", big.encode())}, follow=True)
    assert (b"march.csv: the file is larger than the 0.1 MB this server accepts"
            in response.content)
    assert not Stay.objects.exists()
    # The same list under the limit goes in.
    response = client.post(f"/harm/teams/{team.code}/discharges/", {
        "file": SimpleUploadedFile("march.csv", discharges.encode())}, follow=True)
    assert b"Discharge list stored: 15 new" in response.content


@pytest.mark.parametrize(("name", "content", "message"), [
    ("list.xlsx", b"PK\x03\x04", b"list.xlsx: expected a file whose name ends in .csv"),
    ("list.csv", b"PK\x03\x04\x00\x00binary", b"list.csv: this is not a text file"),
    ("list.csv", "stay_id,åge\n".encode("latin-1"),
     b"list.csv: not UTF-8 text (byte 9 cannot be read)"),
])
def test_a_discharge_list_that_is_not_csv_text_is_refused_by_name(client, team, crew, name,
                                                                  content, message):
    client.force_login(crew["coord"])
    response = client.post(f"/harm/teams/{team.code}/discharges/", {
        "file": SimpleUploadedFile(name, content)}, follow=True)
    assert message in response.content
    assert not Stay.objects.exists()


def test_reviews_import_api_reads_a_bare_carriage_return_as_a_row_end(client, team, crew):
    """A file the csv module once stopped on (a `\\r` alone) is read, not a server error."""
    from .test_import import EVENTS, RECORDS

    client.force_login(crew["coord"])
    url = f"/api/v1/harm/teams/{team.code}/reviews/import"
    answer = client.post(url, {"records_csv": RECORDS.replace("\n", "\r"),
                               "events_csv": EVENTS.replace("\n", "\r"), "dry_run": True},
                         content_type="application/json")
    assert answer.status_code == 200 and answer.json()["status"] == "dry_run"
    assert answer.json()["counts"]["created"] == 3
