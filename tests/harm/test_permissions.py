"""Permission proof for every GTT team route: for every role of the matrix users and of the
team members, on teams in both regions, each route answers exactly where the user may.

Team routes are keyed by team code, not unit code, so the shared matrix (which fills unit
codes) classifies them as "gtt_team" and leaves the proof to this file.
"""

from __future__ import annotations

from datetime import date

import pytest

from safehands.harm import services
from tests.web.test_permission_matrix import ROUTES, USERS

from .conftest import DISCHARGES

RANK = {"viewer": 1, "reporter": 2, "coordinator": 3, "admin": 4}

TEAM_USERS = {
    "nurse.a": (("H1", "reporter"),),
    "doctor": (("H1", "reporter"),),
    "h1.reporter": (("H1", "reporter"),),  # review rights, but not in the team
    "h1.coordinator": (("H1", "coordinator"),),
    "t2.admin": (("T2", "admin"),),
}
MEMBERS = {"nurse.a": "primary_reviewer", "doctor": "physician"}
ALL_USERS = {**USERS, **TEAM_USERS}

# route -> (method, what it needs: "view" rates, "records" or "manage")
TEAM_ROUTES = {
    "harm/teams/<str:team>/": ("get", "view"),
    "harm/teams/<str:team>/rates.csv": ("get", "view"),
    "api/v1/harm/teams/<team>/rates": ("get", "view"),
    "harm/teams/<str:team>/periods/<int:period_id>/": ("get", "records"),
    "harm/teams/<str:team>/records/<str:stay_id>/": ("get", "records"),
    "api/v1/harm/teams/<team>/records": ("get", "records"),
    "harm/teams/<str:team>/discharges/": ("post", "manage"),
    "harm/teams/<str:team>/members/": ("post", "manage"),
    "harm/teams/<str:team>/settings/": ("post", "manage"),
    "api/v1/harm/teams/<team>/reviews/import": ("post_json", "manage"),
    "harm/teams/<str:team>/sample/": ("post", "manage"),
    "harm/teams/<str:team>/periods/<int:period_id>/lock/": ("post", "manage"),
}


def test_every_gtt_team_route_is_proven_here():
    assert {r for r, k in ROUTES.items() if k == "gtt_team"} == set(TEAM_ROUTES)
    assert {r for r, k in ROUTES.items() if k == "gtt_unit_manage"} == {"harm/<str:code>/teams/"}


@pytest.fixture
def setup(tree, make_user):
    users = {name: make_user(name, *grants) for name, grants in ALL_USERS.items()}
    teams = {}
    for unit in ("H1", "H2"):
        team = services.gtt_team_create(code=f"GTT-{unit}", population=tree[unit], actor=None)
        services.discharge_list_upload(team=team, text=DISCHARGES, actor=None)
        draw = services.sample_draw(team=team, start=date(2025, 3, 1), actor=None, seed=1)
        teams[unit] = (team, draw.period, draw.period.records.order_by("stay_id").first())
    for name, role in MEMBERS.items():
        services.gtt_member_add(team=teams["H1"][0], user=users[name], role=role, actor=None)
    return tree, users, teams


def _rank(tree, grants, unit) -> int:
    return max([RANK[role] for code, role in grants if unit.path.startswith(tree[code].path)],
               default=0)


def _allowed(tree, username, team, need) -> bool:
    rank = _rank(tree, ALL_USERS[username], team.population)
    member = username in MEMBERS and team.code == "GTT-H1"
    return {"view": rank >= 1, "manage": rank >= 3,
            "records": rank >= 3 or (rank >= 2 and member)}[need]


def _call(client, method, url):
    if method == "post_json":  # a dry run of an empty records file: changes nothing
        return client.post(url, {"records_csv": RECORDS_HEADER, "dry_run": True},
                           content_type="application/json")
    return client.post(url) if method == "post" else client.get(url)


RECORDS_HEADER = "stay_id,admission_date,discharge_date,patient_days\nX1,2024-01-01,2024-01-02,1\n"


def _url(route, team, period, record) -> str:
    return "/" + (route.replace("<str:team>", team.code).replace("<team>", team.code)
                  .replace("<int:period_id>", str(period.pk))
                  .replace("<str:stay_id>", record.stay_id))


@pytest.mark.parametrize("route", sorted(TEAM_ROUTES))
@pytest.mark.parametrize("username", sorted(ALL_USERS))
def test_team_routes_answer_exactly_where_allowed(client, setup, route, username):
    tree, users, teams = setup
    client.force_login(users[username])
    method, need = TEAM_ROUTES[route]
    for team, period, record in teams.values():
        url = _url(route, team, period, record)
        response = _call(client, method, url)
        if _allowed(tree, username, team, need):
            assert response.status_code in (200, 302), (username, url, response.status_code)
        else:
            assert response.status_code == 403, (username, url, response.status_code)


@pytest.mark.parametrize("route", sorted(TEAM_ROUTES))
def test_anonymous_callers_are_sent_to_sign_in(client, setup, route):
    _, _, teams = setup
    method, _ = TEAM_ROUTES[route]
    url = _url(route, *teams["H1"])
    response = _call(client, method, url)
    if route.startswith("api/"):
        assert response.status_code == 401
    else:
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_records_refusal_says_why(client, setup):
    _, users, teams = setup
    client.force_login(users["h1.reporter"])
    team, period, _ = teams["H1"]
    response = client.get(f"/harm/teams/{team.code}/periods/{period.pk}/")
    assert response.status_code == 403
    assert services.RECORDS_HIDDEN.format(team=team.code).encode() in response.content
    api = client.get(f"/api/v1/harm/teams/{team.code}/records")
    assert api.status_code == 403
    assert api.json()["message"] == services.RECORDS_HIDDEN.format(team=team.code)


@pytest.mark.parametrize("username", sorted(ALL_USERS))
def test_team_creation_answers_exactly_on_the_managed_subtree(client, tree, make_user, username):
    """An empty form: allowed users get the form's error back (302), others 403."""
    user = make_user(username, *ALL_USERS[username])
    client.force_login(user)
    for code, unit in tree.items():
        response = client.post(f"/harm/{code}/teams/", {"team_code": ""})
        expected = 302 if _rank(tree, ALL_USERS[username], unit) >= 3 else 403
        assert response.status_code == expected, (username, code)


def test_team_creation_page_flow(client, tree, make_user):
    client.force_login(make_user("c", ("T1", "coordinator")))
    response = client.post("/harm/H1/teams/", {"team_code": "GTT-H1"}, follow=True)
    assert b"GTT team GTT-H1 created." in response.content
    response = client.post("/harm/W1/teams/", {"team_code": "GTT-W1"}, follow=True)
    assert b"overlaps team GTT-H1" in response.content


def test_member_add_page_flow(client, setup):
    _, users, teams = setup
    client.force_login(users["h1.coordinator"])
    team = teams["H1"][0]
    response = client.post(f"/harm/teams/{team.code}/members/",
                           {"username": "h1.reporter", "role": "primary_reviewer"}, follow=True)
    assert b"h1.reporter joined the team." in response.content
    response = client.post(f"/harm/teams/{team.code}/members/",
                           {"username": "national.viewer", "role": "physician"}, follow=True)
    assert b"has no GTT review rights on H1" in response.content
