"""Every page, export and endpoint that shows patient-level GTT records or survey answers,
results and action-plan text writes exactly one read-log row per request, naming who read
what, through which page and why; a refused read writes none."""

from __future__ import annotations

import pytest

from safehands.audit.models import ReadEvent


def _only_row() -> ReadEvent:
    rows = list(ReadEvent.objects.all())
    assert len(rows) == 1, rows
    return rows[0]


def test_period_page_logs_one_row_naming_every_record_shown(client, gtt):
    team, period = gtt["team"], gtt["period"]
    client.force_login(gtt["people"]["coord"])
    url = f"/harm/teams/{team.code}/periods/{period.pk}/"
    assert client.get(url, REMOTE_ADDR="10.1.2.3").status_code == 200
    row = _only_row()
    assert (row.actor_username, row.kind, row.purpose, row.source) == (
        "coord", "gtt_record", "gtt_period_review", "web")
    assert row.object_type == "harm.reviewrecord"
    assert row.object_count == len(gtt["records"]) == 10
    assert sorted(row.object_ids) == sorted(str(r.pk) for r in gtt["records"])
    assert gtt["records"][0].stay_id in row.object_repr
    assert (row.org_path, row.where, row.client_address) == (
        team.population.path, url, "10.1.2.3")
    assert row.unusual is False


def test_record_page_logs_the_one_record_for_a_team_member(client, gtt):
    record = gtt["records"][0]
    client.force_login(gtt["people"]["nurse"])
    assert client.get(f"/harm/teams/GTT-H1/records/{record.stay_id}/").status_code == 200
    row = _only_row()
    assert (row.actor_username, row.purpose, row.object_id, row.object_repr) == (
        "nurse", "gtt_record_review", str(record.pk), f"GTT-H1/{record.stay_id}")


def test_saving_a_screening_logs_only_the_page_shown_after_it(client, gtt):
    record = gtt["records"][0]
    client.force_login(gtt["people"]["nurse"])
    url = f"/harm/teams/GTT-H1/records/{record.stay_id}/"
    client.post(url, {"stage": "screen", "triggers": ["C7"], "minutes": "10",
                      "candidate_count": "0"})
    assert not ReadEvent.objects.exists()
    client.get(url)
    assert ReadEvent.objects.count() == 1


def test_records_api_logs_one_row_with_source_api(client, gtt):
    client.force_login(gtt["people"]["coord"])
    response = client.get("/api/v1/harm/teams/GTT-H1/records")
    assert response.status_code == 200 and len(response.json()) == 10
    row = _only_row()
    assert (row.kind, row.purpose, row.source, row.object_count) == (
        "gtt_record", "gtt_records_api", "api", 10)
    assert row.where == "/api/v1/harm/teams/GTT-H1/records"


def test_a_regional_coordinator_reading_hospital_records_is_flagged(client, gtt):
    client.force_login(gtt["people"]["regional"])
    assert client.get(f"/harm/teams/GTT-H1/periods/{gtt['period'].pk}/").status_code == 200
    row = _only_row()
    assert (row.actor_username, row.unusual, row.unusual_reason, row.granted_at) == (
        "regional", True, "above_organisation", "R1")


@pytest.mark.parametrize("who", ["outsider", "viewer"])
def test_a_refused_read_writes_no_row(client, gtt, make_user, who):
    grants = {"outsider": ("W3", "coordinator"), "viewer": ("H1", "viewer")}[who]
    client.force_login(make_user(who, grants))
    assert client.get(f"/harm/teams/GTT-H1/periods/{gtt['period'].pk}/").status_code == 403
    record = gtt["records"][0]
    assert client.get(f"/harm/teams/GTT-H1/records/{record.stay_id}/").status_code == 403
    assert client.get("/api/v1/harm/teams/GTT-H1/records").status_code == 403
    assert not ReadEvent.objects.exists()


def test_aggregate_gtt_pages_write_no_row(client, gtt):
    client.force_login(gtt["people"]["coord"])
    for url in ("/harm/H1/", "/harm/teams/GTT-H1/", "/harm/teams/GTT-H1/rates.csv",
                "/api/v1/harm/teams/GTT-H1/rates"):
        assert client.get(url).status_code == 200, url
    assert not ReadEvent.objects.exists()


@pytest.mark.parametrize(("path", "kind", "purpose", "source"), [
    ("/culture/rounds/{id}/units/W1/", "survey_results", "survey_results", "web"),
    ("/culture/rounds/{id}/units/W1/results.csv", "survey_results", "survey_results_export",
     "web"),
    ("/culture/rounds/{id}/units/W1/responses.fhir.json", "survey_responses",
     "survey_responses_export", "web"),
    ("/api/v1/culture/rounds/{id}/results/W1", "survey_results", "survey_results_api", "api"),
])
def test_each_survey_read_logs_one_row(client, tree, survey, path, kind, purpose, source):
    client.force_login(survey["leader"])
    url = path.format(id=survey["round"].pk)
    assert client.get(url).status_code == 200
    row = _only_row()
    assert (row.actor_username, row.kind, row.purpose, row.source) == (
        "culture.lead", kind, purpose, source)
    assert (row.org_path, row.object_type, row.object_id, row.where) == (
        tree["W1"].path, "culture.surveyround", str(survey["round"].pk), url)
    assert row.unusual is False


def test_a_national_viewer_reading_ward_results_is_flagged(client, tree, survey, make_user):
    client.force_login(make_user("national", ("NO", "viewer")))
    assert client.get(f"/culture/rounds/{survey['round'].pk}/units/W1/").status_code == 200
    row = _only_row()
    assert (row.unusual, row.unusual_reason, row.granted_at) == (True, "above_organisation",
                                                                 "NO")


def test_a_refused_survey_read_writes_no_row(client, tree, survey, make_user):
    client.force_login(make_user("elsewhere", ("W3", "admin")))
    assert client.get(f"/culture/rounds/{survey['round'].pk}/units/W1/").status_code == 403
    assert not ReadEvent.objects.exists()


def test_admin_list_and_record_pages_log_their_records(client, gtt, make_user):
    root = make_user("root", is_superuser=True, is_staff=True)
    client.force_login(root)
    assert client.get("/admin/harm/reviewrecord/").status_code == 200
    row = _only_row()
    assert (row.actor_username, row.kind, row.purpose, row.object_count) == (
        "root", "gtt_record", "admin", 10)
    assert (row.org_path, row.unusual, row.unusual_reason) == (
        gtt["team"].population.path, True, "superuser")
    record = gtt["records"][0]
    assert client.get(f"/admin/harm/reviewrecord/{record.pk}/change/").status_code == 200
    assert ReadEvent.objects.count() == 2
    assert ReadEvent.objects.order_by("-id").first().object_id == str(record.pk)
