"""Every page and API endpoint, every role, every org unit: each role sees exactly its subtree.

`ROUTES` must name every URL pattern the project serves; a new page or endpoint fails
`test_every_route_is_in_the_matrix` until it is classified here and so checked below.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

# kind: "org" (org-scoped; {code} is filled with each unit), "signed_in" (any signed-in
# user), "public" (no sign-in), "admin" (Django's own staff checks, tested elsewhere).
ROUTES: dict[str, str] = {
    # culture: "org" for the unit's survey page; "culture" routes are proven role by role
    # and unit by unit in tests/culture/test_permissions.py; answering needs no sign-in.
    "culture/units/<str:code>/": "org",
    "culture/units/<str:code>/rounds/new/": "culture",
    "culture/rounds/<int:round_id>/": "culture",
    "culture/rounds/<int:round_id>/invitations/": "culture",
    "culture/rounds/<int:round_id>/remind/": "culture",
    "culture/rounds/<int:round_id>/import/": "culture",
    "culture/rounds/<int:round_id>/close/": "culture",
    "culture/rounds/<int:round_id>/units/<str:code>/": "culture",
    "culture/rounds/<int:round_id>/units/<str:code>/plan/": "culture",
    "culture/rounds/<int:round_id>/units/<str:code>/results.csv": "culture",
    "culture/rounds/<int:round_id>/units/<str:code>/responses.fhir.json": "culture",
    "culture/answer/<str:token>/": "public",  # the single-use link is the key
    "culture/r/<str:link_token>/": "public",  # the round link plus a unit code is the key
    "culture/r/<str:link_token>/<str:join_code>/": "public",
    "culture/thanks/": "public",
    "api/v1/culture/rounds": "culture",
    "api/v1/culture/rounds/<round_id>/results/<code>": "culture",
    "culture/instruments/": "signed_in",
    "culture/instruments/define/": "culture",
    "culture/instruments/<str:code>/": "culture",
    "culture/instruments/<str:code>/questionnaire.json": "culture",
    "culture/instruments/<str:code>/wording/": "culture",
    "": "signed_in",
    "login/": "public",
    "logout/": "public",
    # The signed-in user's own account; the second step and recovery codes are proven in
    # tests/accounts/test_two_factor.py ("account").
    "account/": "signed_in",
    "account/two-factor/setup/": "signed_in",
    "account/two-factor/verify/": "account",
    "account/two-factor/recovery-codes/": "account",
    "account/password/": "signed_in",
    "account/sessions/end-others/": "account",
    # Single sign-on: answers 404 unless configured; proven in tests/accounts/test_oidc.py.
    "oidc/authenticate/": "public",
    "oidc/callback/": "public",
    "i18n/setlang/": "public",
    "charts/vega.js": "public",  # the chart library, the same for everyone
    "favicon.ico": "public",
    "orgs/<str:code>/": "org",
    "orgs/<str:code>/members/": "org_manage",
    "orgs/<str:code>/members/<int:membership_id>/withdraw/": "org_manage",
    "orgs/<str:code>/members/reviewed/": "org_manage",
    # The read log (audit.view, coordinators and admins): "audit" routes are proven for every
    # user and unit of this matrix in tests/audit/test_read_log_views.py.
    "orgs/<str:code>/read-log/": "audit",
    "orgs/<str:code>/read-log.csv": "audit",
    "api/v1/orgs/<code>/read-log": "audit",
    "admin/": "admin",
    "api/v1/orgs/": "org_list",
    "api/v1/orgs/<code>": "org",
    "api/v1/orgs/<code>/children": "org",
    "api/v1/me": "signed_in",
    "api/v1/openapi.json": "public",
    "api/v1/docs": "public",
    "api/v1/": "public",  # the API's own root: answers 404, lists nothing
    "api/(?P<rest>.*)": "public",  # any other path below /api/: a JSON 404
    "catalogue/": "signed_in",
    "catalogue/programmes/<str:code>/": "signed_in",
    "catalogue/target-areas/<str:code>/": "signed_in",
    "catalogue/action-plans/": "signed_in",
    "catalogue/action-plans/<str:code>/": "signed_in",
    "api/v1/catalogue/programmes": "signed_in",
    "api/v1/catalogue/programmes/<code>": "signed_in",
    "api/v1/catalogue/target-areas/<code>": "signed_in",
    "api/v1/catalogue/measures": "signed_in",
    "api/v1/catalogue/action-plans": "signed_in",
    "api/v1/catalogue/action-plans/<code>": "signed_in",
    # Harm (GTT): unit pages and rates are org routes (gtt.view); team routes are proven for
    # every role, unit and team role in tests/harm/test_permissions.py.
    "harm/<str:code>/": "org",
    "harm/<str:code>/national/": "org",
    "api/v1/harm/units/<code>/rates": "org",
    "api/v1/harm/units/<code>/children": "org",
    "api/v1/harm/units/<code>/national": "org",
    "harm/teams/<str:team>/": "gtt_team",
    "harm/teams/<str:team>/rates.csv": "gtt_team",
    "harm/teams/<str:team>/discharges/": "gtt_team",
    "harm/teams/<str:team>/members/": "gtt_team",
    "harm/teams/<str:team>/settings/": "gtt_team",
    "harm/<str:code>/teams/": "gtt_unit_manage",
    "harm/teams/<str:team>/sample/": "gtt_team",
    "harm/teams/<str:team>/periods/<int:period_id>/": "gtt_team",
    "harm/teams/<str:team>/periods/<int:period_id>/lock/": "gtt_team",
    "harm/teams/<str:team>/records/<str:stay_id>/": "gtt_team",
    "api/v1/harm/teams/<team>/rates": "gtt_team",
    "api/v1/harm/teams/<team>/records": "gtt_team",
    "api/v1/harm/teams/<team>/reviews/import": "gtt_team",
    # Self-assessment: "assessment" routes are proven in tests/assessment/test_permissions.py.
    "assessment/instruments/": "signed_in",
    "assessment/instruments/<str:code>/": "assessment",
    "assessment/instruments/<str:code>/questionnaire.json": "assessment",
    "assessment/units/<str:code>/": "org",
    "assessment/units/<str:code>/start/": "assessment",
    "assessment/units/<str:code>/actions/": "org",
    "assessment/units/<str:code>/actions/new/": "assessment",
    "assessment/<int:pk>/": "assessment",
    "assessment/<int:pk>/rate/": "assessment",
    "assessment/<int:pk>/team/": "assessment",
    "assessment/<int:pk>/import/": "assessment",
    "assessment/<int:pk>/consensus/": "assessment",
    "assessment/<int:pk>/report/": "assessment",
    "assessment/<int:pk>/report.csv": "assessment",
    "assessment/<int:pk>/questionnaire-response.json": "assessment",
    "assessment/actions/<int:pk>/status/": "assessment",
    "api/v1/assessment/instruments": "signed_in",
    "api/v1/assessment/units/<code>/assessments": "org",
    "api/v1/assessment/units/<code>/actions": "org",
    "api/v1/assessment/assessments/<pk>": "assessment",
    "api/v1/assessment/assessments/<pk>/ratings": "assessment",
    # Measurement: "measurement" routes are proven in tests/measurement/test_permissions.py.
    "measurement/<str:code>/": "org",
    "measurement/<str:code>/dashboard/": "org",
    "measurement/<str:code>/dashboard/<str:part>.<str:fmt>": "measurement",
    "measurement/<str:code>/entry/": "measurement",
    "measurement/<str:code>/enrol/": "measurement",
    "measurement/<str:code>/locks/": "measurement",
    "measurement/<str:code>/annotations/": "measurement",
    "measurement/<str:code>/annotations/<int:annotation_id>/delete/": "measurement",
    "measurement/<str:code>/enrolments/<str:area>/": "measurement",
    "measurement/<str:code>/target-areas/<str:area>/": "measurement",
    "measurement/<str:code>/measures/<str:measure>/": "measurement",
    "measurement/<str:code>/measures/<str:measure>/chart.<str:fmt>": "measurement",
    "measurement/<str:code>/rollups/<str:measure>/": "measurement",
    "measurement/<str:code>/rollups/<str:measure>/rollup.<str:fmt>": "measurement",
    "measurement/<str:code>/audits/<str:measure>/<str:period>/": "measurement",
    "api/v1/measurement/enrolments": "measurement",
    "api/v1/measurement/units/<code>/values": "org",
    "api/v1/measurement/units/<code>/export": "org",
    "api/v1/measurement/imports": "measurement",
    "api/v1/measurement/units/<code>/rollups/<measure>": "measurement",
    # Events: "events" routes are proven role by role and unit by unit in tests/events/
    # (test_permissions_pages.py, test_permissions_analysis.py, test_api.py).
    # -- events: pages --
    "events/report/": "events",
    "events/mine/": "events",
    "events/mine/<int:event_id>/": "events",
    "events/public/": "public",  # the public form: no account
    "events/receipt/": "public",  # shown once, from the reporter's own session
    "events/followup/<str:token>/": "public",  # the secret follow-up link is the key
    "events/units/<str:code>/queue/": "events",
    "events/<int:event_id>/": "events",
    "events/<int:event_id>/step/": "events",
    "events/<int:event_id>/notify/": "events",
    "events/<int:event_id>/messages/": "events",
    "events/<int:event_id>/investigation/": "events",
    "events/<int:event_id>/investigation/review/": "events",
    "events/<int:event_id>/investigation/timeline/": "events",
    "events/<int:event_id>/investigation/causes/": "events",
    "events/<int:event_id>/attachments/": "events",
    "events/<int:event_id>/attachments/<int:attachment_id>/": "events",
    "events/<int:event_id>/actions/": "events",
    "events/<int:event_id>/actions/<int:action_id>/status/": "events",
    # -- events: analysis --
    "events/units/<str:code>/analysis/": "events",
    "events/units/<str:code>/analysis/<str:table>.csv": "events",
    "events/units/<str:code>/analysis.xlsx": "events",
    "events/units/<str:code>/analysis/charts/<str:chart>.<str:fmt>": "events",
    # -- events: API --
    "api/v1/events/units/<code>/reports": "events",
    "api/v1/events/units/<code>/counts": "events",
    "api/v1/events/reports/<id>": "events",
    "api/v1/events/reports/<id>/steps": "events",
    "api/v1/events/reports/<id>/notification": "events",
    "api/v1/events/reports/<id>/messages": "events",
    "api/v1/events/reports/<id>/actions": "events",
    "api/v1/events/reports/<id>/fhir": "events",
}

# Catalogue items are not org-scoped; these fill the code in signed-in routes.
EXAMPLE_CODES = {
    "programmes": "in-safe-hands",
    "target-areas": "falls",
    "action-plans": "safer-together-2020",
}


def _example_url(route: str) -> str:
    for segment, code in EXAMPLE_CODES.items():
        if f"{segment}/<" in route:
            route = route.replace("<str:code>", code).replace("<code>", code)
    return "/" + route

# Who has which role where. The permission needed by every org route is org.view.
USERS: dict[str, tuple[tuple[str, str], ...]] = {
    "national.viewer": (("NO", "viewer"),),
    "hospital.viewer": (("H1", "viewer"),),
    "ward.reporter": (("W1", "reporter"),),
    "region.coordinator": (("R2", "coordinator"),),
    "municipality.admin": (("M1", "admin"),),
    "two.places": (("W2", "viewer"), ("N1", "reporter")),
    "no.role": (),
}


def _routes(patterns, prefix: str = ""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if route == "admin/":
                yield route
                continue
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


def _all_routes() -> set[str]:
    return {r.replace("^", "").replace("$", "").replace("\\Z", "")
            for r in _routes(get_resolver().url_patterns)}


def test_every_route_is_in_the_matrix():
    found = _all_routes()
    missing = found - set(ROUTES)
    assert not missing, f"classify these routes in ROUTES: {sorted(missing)}"
    gone = set(ROUTES) - found
    assert not gone, f"routes in ROUTES that no longer exist: {sorted(gone)}"


@pytest.fixture
def people(tree, make_user):
    return {name: make_user(name, *grants) for name, grants in USERS.items()}


def _visible(tree, grants) -> set[str]:
    roots = [tree[code].path for code, _ in grants]
    return {code for code, unit in tree.items() if any(unit.path.startswith(r) for r in roots)}


ORG_ROUTES = sorted(r for r, kind in ROUTES.items() if kind == "org")


@pytest.mark.parametrize("route", ORG_ROUTES)
@pytest.mark.parametrize("username", sorted(USERS))
def test_org_routes_answer_exactly_on_the_users_subtree(client, tree, people, route, username):
    client.force_login(people[username])
    visible = _visible(tree, USERS[username])
    for code, unit in tree.items():
        url = "/" + route.replace("<str:code>", code).replace("<code>", code)
        response = client.get(url)
        expected = 200 if code in visible else 403
        assert response.status_code == expected, (username, url)
        if expected == 403:
            assert unit.name.encode() not in response.content  # nothing about the unit
            assert b"You do not have access to this org unit." in response.content


@pytest.mark.parametrize("username", sorted(USERS))
def test_org_list_returns_exactly_the_users_subtree(client, tree, people, username):
    client.force_login(people[username])
    listed = {row["code"] for row in client.get("/api/v1/orgs/").json()}
    assert listed == _visible(tree, USERS[username])
    for code in ("NO", "W1", "M1"):
        response = client.get(f"/api/v1/orgs/?under={code}")
        if code in _visible(tree, USERS[username]):
            below = {c for c, u in tree.items() if u.path.startswith(tree[code].path)}
            assert {row["code"] for row in response.json()} == below & listed
        else:
            assert response.status_code == 403


@pytest.mark.parametrize("route", sorted(
    r for r, k in ROUTES.items() if k in {"org", "org_list", "signed_in", "org_manage"}))
def test_anonymous_callers_are_sent_to_sign_in(client, tree, route):
    url = _example_url(route).replace("<str:code>", "W1").replace("<code>", "W1").replace(
        "<int:membership_id>", "1")
    response = client.post(url) if ROUTES[route] == "org_manage" else client.get(url)
    if route.startswith("api/"):
        assert response.status_code == 401
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


@pytest.fixture
def catalogue(db):
    from safehands.catalogue.services import catalogue_load

    catalogue_load(actor=None, source="system")


@pytest.mark.parametrize("route", sorted(r for r, k in ROUTES.items() if k == "signed_in"))
def test_signed_in_routes_answer_any_signed_in_user(client, people, catalogue, route):
    for user in people.values():
        client.force_login(user)
        assert client.get(_example_url(route)).status_code == 200, (user, route)


def test_unknown_unit_is_404_with_its_code(client, people):
    client.force_login(people["national.viewer"])
    response = client.get("/orgs/NOPE/")
    assert response.status_code == 404
    assert b"There is no org unit with code &#x27;NOPE&#x27;." in response.content
    assert client.get("/api/v1/orgs/NOPE").json()["message"] == (
        "There is no org unit with code 'NOPE'.")


@pytest.mark.parametrize("username", sorted(USERS))
def test_role_management_answers_only_administrators_of_the_unit(client, tree, people, username,
                                                                 make_user):
    from safehands.orgs.models import Membership

    target = make_user("target.user")
    client.force_login(people[username])
    admin_of = _visible(tree, [g for g in USERS[username] if g[1] == "admin"])
    for code, unit in tree.items():
        response = client.post(f"/orgs/{code}/members/",
                               {"username": "target.user", "role": "viewer"})
        granted = Membership.objects.filter(user=target, org_unit=unit)
        if code in admin_of:
            assert response.status_code == 302 and granted.exists(), (username, code)
        else:
            assert response.status_code == 403 and not granted.exists(), (username, code)
        other = Membership.objects.get_or_create(user=target, org_unit=unit,
                                                 defaults={"role": "viewer"})[0]
        response = client.post(f"/orgs/{code}/members/{other.pk}/withdraw/")
        still_there = Membership.objects.filter(pk=other.pk).exists()
        if code in admin_of:
            assert response.status_code == 302 and not still_there, (username, code)
        else:
            assert response.status_code == 403 and still_there, (username, code)


def test_openapi_document_lists_the_endpoints(client):
    document = client.get("/api/v1/openapi.json").json()
    assert document["info"]["title"] == "Safehands API"
    assert "/api/v1/orgs/{code}" in document["paths"]
    assert "/api/v1/me" in document["paths"]


def test_me_tells_the_caller_their_roles(client, people):
    client.force_login(people["two.places"])
    assert client.get("/api/v1/me").json() == {
        "username": "two.places", "full_name": "", "is_programme_admin": False,
        "memberships": [{"org_unit": "N1", "role": "reporter"},
                        {"org_unit": "W2", "role": "viewer"}],
    }


def test_unit_page_links_to_the_work_on_that_unit(client, people, tree):
    client.force_login(people["hospital.viewer"])
    page = client.get("/orgs/W1/").content.decode()
    for link in ("/measurement/W1/", "/harm/W1/", "/culture/units/W1/", "/assessment/units/W1/"):
        assert f'href="{link}"' in page
