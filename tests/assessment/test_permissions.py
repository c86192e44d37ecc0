"""Permission proof for every assessment route that the shared matrix does not check itself.

For every role and every unit of the `tree` fixture, each route answers exactly on the user's
subtree and only with the role it needs: viewer to read, reporter to rate and work on
actions, coordinator to start, invite, record consensus and close.
"""

from __future__ import annotations

import pytest

from safehands.orgs.models import ROLE_RANK
from tests.web.test_permission_matrix import ROUTES

USERS: dict[str, tuple[tuple[str, str], ...]] = {
    "national.viewer": (("NO", "viewer"),),
    "hospital.viewer": (("H1", "viewer"),),
    "ward.reporter": (("W1", "reporter"),),
    "region.coordinator": (("R2", "coordinator"),),
    "municipality.admin": (("M1", "admin"),),
    "two.places": (("W2", "viewer"), ("N1", "reporter")),
    "no.role": (),
}

# route -> (method, minimum role, expected status when allowed)
CHECKS: dict[str, tuple[str, str, int]] = {
    "assessment/<int:pk>/": ("get", "viewer", 200),
    "assessment/<int:pk>/consensus/": ("get", "viewer", 200),
    "assessment/<int:pk>/report/": ("get", "viewer", 200),
    "assessment/<int:pk>/report.csv": ("get", "viewer", 200),
    "assessment/<int:pk>/questionnaire-response.json": ("get", "viewer", 200),
    "assessment/<int:pk>/rate/": ("post", "reporter", 302),
    "assessment/<int:pk>/team/": ("post", "coordinator", 302),
    "assessment/<int:pk>/import/": ("post", "coordinator", 302),
    "assessment/<int:pk>/consensus/#post": ("post", "coordinator", 302),
    "assessment/units/<str:code>/start/": ("post", "coordinator", 302),
    "assessment/units/<str:code>/actions/new/": ("get", "reporter", 200),
    "assessment/actions/<int:pk>/status/": ("post", "reporter", 302),
    "api/v1/assessment/assessments/<pk>": ("get", "viewer", 200),
    # Rating needs the role and team membership: the allowed non-members get 400, not 403.
    "api/v1/assessment/assessments/<pk>/ratings": ("post", "reporter", 400),
    "api/v1/assessment/units/<code>/actions#post": ("post", "reporter", 201),
}
SIGNED_IN = ("assessment/instruments/<str:code>/",
             "assessment/instruments/<str:code>/questionnaire.json")


def test_every_assessment_route_has_a_proof():
    ours = {r for r, kind in ROUTES.items() if kind == "assessment"}
    proven = {r.split("#")[0] for r in CHECKS} | set(SIGNED_IN)
    assert ours == proven - {r for r, kind in ROUTES.items() if kind == "org"}


@pytest.fixture
def world(tree, content, make_user, django_user_model):
    from safehands.assessment.models import Instrument
    from safehands.assessment.services import action_create, assessment_start

    root = django_user_model.objects.create_superuser("root", password="x")
    nap = Instrument.objects.get(code="nap-2019-2023")
    assessments = {code: assessment_start(org_unit=unit, instrument=nap, title=code, actor=root)
                   for code, unit in tree.items()}
    actions = {code: action_create(org_unit=unit, what="x", owner="y", actor=root)
               for code, unit in tree.items()}
    people = {name: make_user(name, *grants) for name, grants in USERS.items()}
    return assessments, actions, people


def _allowed(tree, grants, code: str, role: str) -> bool:
    path = tree[code].path
    return any(path.startswith(tree[unit].path) and ROLE_RANK[r] >= ROLE_RANK[role]
               for unit, r in grants)


@pytest.mark.parametrize("username", sorted(USERS))
def test_each_route_answers_exactly_on_the_subtree_with_the_needed_role(
        client, tree, world, username):
    assessments, actions, people = world
    client.force_login(people[username])
    for route, (method, role, ok) in CHECKS.items():
        for code in tree:
            pk = actions[code].pk if "actions/<int:pk>" in route else assessments[code].pk
            url = "/" + route.split("#")[0].replace("<int:pk>", str(pk)).replace(
                "<pk>", str(pk)).replace("<str:code>", code).replace("<code>", code)
            if url.startswith("/api/") and method == "post":
                body = {"what": "x", "owner": "y"} if "actions" in url else {
                    "ratings": [{"element": "nap.lc.01", "rating": "2"}]}
                response = client.post(url, body, content_type="application/json")
            else:
                response = getattr(client, method)(url, {"status": "planned"}
                                                   if "status" in url else {})
            expected = ok if _allowed(tree, USERS[username], code, role) else 403
            assert response.status_code == expected, (username, route, code)


@pytest.mark.parametrize("route", SIGNED_IN)
def test_instrument_routes_answer_any_signed_in_user(client, world, route):
    _, _, people = world
    for user in people.values():
        client.force_login(user)
        url = "/" + route.replace("<str:code>", "safer-together")
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("route", sorted(CHECKS) + list(SIGNED_IN))
def test_anonymous_callers_are_sent_to_sign_in(client, world, route):
    method = CHECKS.get(route, ("get",))[0]
    url = "/" + route.split("#")[0].replace("<int:pk>", "1").replace("<pk>", "1").replace(
        "<str:code>", "W1").replace("<code>", "W1")
    response = getattr(client, method)(url)
    if url.startswith("/api/"):
        assert response.status_code == 401
    else:
        assert response.status_code == 302 and response["Location"].startswith("/login/")
