"""Every "measurement" route, every role of the permission matrix, every unit of the tree.

The routes classified "measurement" in tests/web/test_permission_matrix.py need more than
org.view (data entry, enrolment, locks) or more than a unit code (a measure, a target area,
a period). Here each answers exactly on the subtree where the user holds the role the route
needs, and refuses (403, nothing written) everywhere else. Expectations come from the USERS
table and the role ranks, not from the permission function under test.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from safehands.measurement import periods
from tests.web.test_permission_matrix import ROUTES, USERS

RANK = {"viewer": 1, "reporter": 2, "coordinator": 3, "admin": 4}
NEEDS = {"data.view": 1, "data.enter": 2, "enrolment.manage": 3, "period.lock": 3}
MONTH = periods.latest("monthly", count=2)[0]

# route -> (method, permission, url template with {code}); one line per "measurement" route.
CHECKS: dict[str, tuple[str, str, str]] = {
    "measurement/<str:code>/entry/": ("get", "data.enter", "/measurement/{code}/entry/"),
    "measurement/<str:code>/dashboard/<str:part>.<str:fmt>": (
        "get", "data.view", "/measurement/{code}/dashboard/spread.csv"),
    "measurement/<str:code>/enrol/": ("get", "enrolment.manage", "/measurement/{code}/enrol/"),
    "measurement/<str:code>/locks/": ("get", "period.lock", "/measurement/{code}/locks/"),
    "measurement/<str:code>/annotations/": ("post", "data.enter",
                                            "/measurement/{code}/annotations/"),
    "measurement/<str:code>/enrolments/<str:area>/": (
        "get", "data.view", "/measurement/{code}/enrolments/falls/"),
    "measurement/<str:code>/target-areas/<str:area>/": (
        "get", "data.view", "/measurement/{code}/target-areas/falls/"),
    "measurement/<str:code>/measures/<str:measure>/": (
        "get", "data.view", "/measurement/{code}/measures/falls.rate/"),
    "measurement/<str:code>/measures/<str:measure>/chart.<str:fmt>": (
        "get", "data.view", "/measurement/{code}/measures/falls.rate/chart.csv"),
    "measurement/<str:code>/rollups/<str:measure>/": (
        "get", "data.view", "/measurement/{code}/rollups/falls.rate/"),
    "measurement/<str:code>/rollups/<str:measure>/rollup.<str:fmt>": (
        "get", "data.view", "/measurement/{code}/rollups/falls.rate/rollup.csv"),
    "measurement/<str:code>/audits/<str:measure>/<str:period>/": (
        "get", "data.enter", "/measurement/{code}/audits/falls.bundle_compliance/" + MONTH + "/"),
    "api/v1/measurement/units/<code>/rollups/<measure>": (
        "get", "data.view", "/api/v1/measurement/units/{code}/rollups/falls.rate"),
}
API_BODY_ROUTES = {"api/v1/measurement/enrolments", "api/v1/measurement/imports"}
# Routes that act on one object; each has its own test below.
OBJECT_ROUTES = {"measurement/<str:code>/annotations/<int:annotation_id>/delete/"}


def test_every_measurement_route_is_checked_here():
    mine = {r for r, kind in ROUTES.items() if kind == "measurement"}
    assert mine == set(CHECKS) | API_BODY_ROUTES | OBJECT_ROUTES


@pytest.fixture
def world(tree, catalogue, make_user):
    """Every unit enrolled in falls, and the matrix users."""
    from safehands.catalogue.models import TargetArea
    from safehands.measurement.services import enrolment_create

    falls = TargetArea.objects.get(code="falls")
    for unit in tree.values():
        enrolment_create(unit=unit, target_area=falls, started=date(2020, 1, 1), actor=None)
    return {name: make_user(name, *grants) for name, grants in USERS.items()}


def _rank(tree, grants, unit) -> int:
    return max([RANK[role] for code, role in grants if unit.path.startswith(tree[code].path)],
               default=0)


@pytest.mark.parametrize("route", sorted(CHECKS))
@pytest.mark.parametrize("username", sorted(USERS))
def test_route_answers_exactly_where_the_role_allows(client, tree, world, route, username):
    from safehands.measurement.models import Annotation

    method, permission, template = CHECKS[route]
    client.force_login(world[username])
    for code, unit in tree.items():
        url = template.format(code=code)
        if method == "post":
            response = client.post(url, {"date": "2024-01-01", "text": "note"})
        else:
            response = client.get(url)
        allowed = _rank(tree, USERS[username], unit) >= NEEDS[permission]
        if allowed:
            assert response.status_code in (200, 302), (username, url, response.status_code)
        else:
            assert response.status_code == 403, (username, url, response.status_code)
            if _rank(tree, USERS[username], unit) == 0:  # a unit they cannot see at all
                assert b"You do not have access to this org unit." in response.content
                assert unit.name.encode() not in response.content
            else:  # they see the unit; the refusal names the role they lack there
                assert unit.name.encode() in response.content
    if method == "post":
        writable = {c for c, u in tree.items() if _rank(tree, USERS[username], u) >= 2}
        assert set(Annotation.objects.values_list("unit__code", flat=True)) == writable


@pytest.mark.parametrize("username", sorted(USERS))
def test_api_enrolments_list_and_create(client, tree, world, username):
    client.force_login(world[username])
    listed = {row["unit"] for row in client.get("/api/v1/measurement/enrolments").json()}
    visible = {c for c, u in tree.items() if _rank(tree, USERS[username], u) >= 1}
    assert listed == visible
    for code, unit in tree.items():
        response = client.post("/api/v1/measurement/enrolments", json.dumps({
            "unit": code, "target_area": "sepsis", "started": "2024-01-01"}),
            content_type="application/json")
        allowed = _rank(tree, USERS[username], unit) >= 3
        assert response.status_code == (201 if allowed else 403), (username, code)


@pytest.mark.parametrize("username", sorted(USERS))
def test_api_import_checks_every_row_unit(client, tree, world, username):
    from safehands.measurement.models import DataValue

    client.force_login(world[username])
    for code, unit in tree.items():
        text = ("org_unit,measure,period,numerator,denominator,value,comment\n"
                f"{code},falls.rate,{MONTH},1,100,,\n")
        response = client.post("/api/v1/measurement/imports", json.dumps({
            "format": "csv", "text": text}), content_type="application/json")
        allowed = _rank(tree, USERS[username], unit) >= 2
        assert response.status_code == (200 if allowed else 422), (username, code)
        if not allowed:
            assert response.json()["conflicts"][0]["field"] == "org_unit"
        assert DataValue.objects.filter(unit=unit).exists() == allowed
        response = client.post(f"/api/v1/measurement/units/{code}/values", json.dumps({
            "measure": "falls.rate", "period": MONTH, "numerator": 2, "denominator": 100}),
            content_type="application/json")
        assert response.status_code == (200 if allowed else 403), (username, code)


@pytest.mark.parametrize("username", sorted(USERS))
def test_annotation_delete_answers_exactly_where_the_role_allows(client, tree, world, username):
    from safehands.measurement.models import Annotation
    from safehands.measurement.services import annotation_create

    notes = {code: annotation_create(unit=unit, on=date(2024, 1, 1), text=f"note {code}",
                                     actor=None) for code, unit in tree.items()}
    client.force_login(world[username])
    for code, unit in tree.items():
        response = client.post(f"/measurement/{code}/annotations/{notes[code].pk}/delete/")
        allowed = _rank(tree, USERS[username], unit) >= NEEDS["data.enter"]
        assert response.status_code == (302 if allowed else 403), (username, code)
        assert Annotation.objects.filter(pk=notes[code].pk).exists() != allowed


@pytest.mark.parametrize("username", sorted(USERS))
def test_ending_an_enrolment_answers_exactly_where_the_role_allows(client, tree, world,
                                                                  username):
    from safehands.measurement.models import Enrolment

    client.force_login(world[username])
    for code, unit in tree.items():
        response = client.post(f"/measurement/{code}/enrolments/falls/",
                               {"action": "end", "ended": "2024-01-31"})
        allowed = _rank(tree, USERS[username], unit) >= NEEDS["enrolment.manage"]
        assert response.status_code == (302 if allowed else 403), (username, code)
        ended = Enrolment.objects.get(unit=unit, target_area__code="falls").ended
        assert (ended is not None) == allowed, (username, code)
