"""API: reading scores, saving ratings, the action plan; errors as {"message", "extra"}."""

from __future__ import annotations

import pytest

from safehands.assessment import services
from safehands.assessment.models import Action


@pytest.fixture
def setup(tree, make_user, nap):
    from safehands.assessment.services import assessment_start, team_member_invite

    coord = make_user("coord", ("H1", "coordinator"))
    nurse = make_user("nurse", ("H1", "reporter"))
    a = assessment_start(org_unit=tree["H1"], instrument=nap, title="API", actor=coord)
    team_member_invite(assessment=a, username="nurse", actor=coord)
    return a, coord, nurse


def test_ratings_round_trip_through_the_api(client, setup):
    a, _coord, nurse = setup
    client.force_login(nurse)
    response = client.post(f"/api/v1/assessment/assessments/{a.pk}/ratings", {
        "ratings": [{"element": "nap.lc.01", "rating": "2", "comment": "ok"},
                    {"element": "nap.lc.02", "rating": "unsure"}]},
        content_type="application/json")
    assert response.json() == {"changed": 2}
    detail = client.get(f"/api/v1/assessment/assessments/{a.pk}").json()
    first = detail["scores"][0]
    assert first == {"area": "nap-2019-2023.leadership_culture", "element": "nap.lc.01",
                     "raters": 1, "mean_rating": 2.0, "min_rating": 2, "max_rating": 2,
                     "unsure": 0, "agreed": None}
    assert [a["title"] for a in client.get("/api/v1/assessment/units/H1/assessments")
            .json()] == ["API"]


def test_bad_rating_is_a_400_naming_the_element_and_nothing_is_saved(client, setup):
    a, _coord, nurse = setup
    client.force_login(nurse)
    response = client.post(f"/api/v1/assessment/assessments/{a.pk}/ratings", {
        "ratings": [{"element": "nap.lc.01", "rating": "2"},
                    {"element": "nap.lc.02", "rating": "5"}]}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"message": services.OFF_SCALE.format(value="5"),
                               "extra": {"element": "nap.lc.02", "field": "value"}}
    assert not a.ratings.exists()


def test_actions_through_the_api(client, setup):
    _a, _coord, nurse = setup
    client.force_login(nurse)
    response = client.post("/api/v1/assessment/units/H1/actions", {
        "what": "Huddle", "owner": "Kari", "target_area": "falls", "due_date": "2020-02-01",
        "tactic": "st.r10.psych_safety"}, content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert body["overdue"] is True and body["recommendation"] == "safer-together.r10"
    assert body["plan_area"] == "safer-together.ws"
    listed = client.get("/api/v1/assessment/units/H1/actions").json()
    assert [x["what"] for x in listed] == ["Huddle"]
    bad = client.post("/api/v1/assessment/units/H1/actions", {"what": "x", "owner": ""},
                      content_type="application/json")
    assert bad.status_code == 400 and bad.json()["message"] == services.OWNER_REQUIRED
    assert Action.objects.count() == 1


def test_instruments_are_listed_for_any_signed_in_caller(client, setup, make_user):
    client.force_login(make_user("nobody"))
    listed = {i["code"]: i["elements"] for i in
              client.get("/api/v1/assessment/instruments").json()}
    assert listed == {"safer-together": 27, "nap-2019-2023": 12}
