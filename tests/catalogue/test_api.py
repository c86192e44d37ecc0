"""The catalogue API: typed JSON for signed-in callers, 401 for anonymous ones."""

from __future__ import annotations

import pytest

ENDPOINTS = [
    "/api/v1/catalogue/programmes",
    "/api/v1/catalogue/programmes/in-safe-hands",
    "/api/v1/catalogue/target-areas/falls",
    "/api/v1/catalogue/measures",
    "/api/v1/catalogue/measures?target_area=falls",
    "/api/v1/catalogue/action-plans",
    "/api/v1/catalogue/action-plans/nap-2019-2023",
]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_anonymous_callers_get_401(client, loaded, url):
    assert client.get(url).status_code == 401


@pytest.mark.parametrize("url", ENDPOINTS)
def test_signed_in_callers_get_200(client, loaded, user, url):
    client.force_login(user)
    assert client.get(url).status_code == 200


def test_programme_list(client, loaded, user):
    client.force_login(user)
    data = client.get("/api/v1/catalogue/programmes").json()
    assert [p["code"] for p in data] == ["in-safe-hands", "safer-together"]
    assert data[0]["name_nb"] == "I trygge hender 24-7"
    assert data[0]["confidence"] == "V" and data[0]["to_be_confirmed"] is False


def test_programme_detail_has_aims_and_target_areas(client, loaded, user):
    client.force_login(user)
    data = client.get("/api/v1/catalogue/programmes/in-safe-hands").json()
    assert len(data["aims"]) == 3
    assert len(data["target_areas"]) == 16
    assert data["target_areas"][0] == data["target_areas"][0] | {
        "code": "deterioration", "number": 1,
        "settings": ["hospital", "nursing_home", "home_care"]}
    assert data["action_plans"] == ["nap-2019-2023"]


def test_target_area_detail_has_elements_and_measures(client, loaded, user):
    client.force_login(user)
    data = client.get("/api/v1/catalogue/target-areas/falls").json()
    assert data["programme"] == "in-safe-hands"
    assert len(data["bundle_elements"]) == 5
    compliance = next(m for m in data["measures"] if m["code"] == "falls.bundle_compliance")
    assert compliance["is_bundle_compliance"] is True
    assert compliance["compliance_elements"] == [
        "falls.standard_measures", "falls.interdisciplinary", "falls.individual_measures"]
    rate = next(m for m in data["measures"] if m["code"] == "falls.rate")
    assert rate == rate | {"value_type": "rate", "multiplier": 1000.0, "chart": "u",
                           "direction": "lower_is_better", "is_default": True,
                           "to_be_confirmed": True, "target": None, "target_area": "falls"}


def test_measures_filter_by_target_area(client, loaded, user):
    client.force_login(user)
    every = client.get("/api/v1/catalogue/measures").json()
    falls = client.get("/api/v1/catalogue/measures?target_area=falls").json()
    assert len(falls) == 5 and {m["target_area"] for m in falls} == {"falls"}
    assert len(every) > len(falls)
    stroke = next(m for m in every if m["code"] == "stroke.thrombolysis_within_30min")
    assert stroke["target"] == {"value": 50.0, "note": stroke["target"]["note"],
                                "source": "Helsedirektoratet, pakkeforløp hjerneslag",
                                "confidence": "V"}


def test_action_plans_with_areas_and_recommendations(client, loaded, user):
    client.force_login(user)
    plans = {p["code"]: p for p in client.get("/api/v1/catalogue/action-plans").json()}
    st = plans["safer-together-2020"]
    assert st["areas_are"] == "foundational_area" and len(st["areas"]) == 4
    assert sum(len(a["recommendations"]) for a in st["areas"]) == 17
    nap = plans["nap-2019-2023"]
    assert (nap["period_start"], nap["period_end"], nap["areas_are"]) == (2019, 2023, "principle")
    assert [a["number"] for a in nap["areas"]] == [1, 2, 3, 4]


@pytest.mark.parametrize(("url", "message"), [
    ("/api/v1/catalogue/target-areas/nope", "There is no target area 'nope'."),
    ("/api/v1/catalogue/programmes/nope", "There is no programme 'nope'."),
    ("/api/v1/catalogue/action-plans/nope", "There is no action plan 'nope'."),
    ("/api/v1/catalogue/measures?target_area=nope", "There is no target area 'nope'."),
])
def test_unknown_codes_are_404(client, loaded, user, url, message):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 404
    assert response.json() == {"message": message, "extra": {"code": "nope"}}


def test_api_token_callers_may_read(client, loaded, user):
    from safehands.accounts.services import api_token_create

    token = api_token_create(user=user, name="test", actor=user)
    response = client.get("/api/v1/catalogue/programmes", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert client.get("/api/v1/catalogue/programmes",
                      HTTP_AUTHORIZATION="Bearer sh_wrong").status_code == 401
