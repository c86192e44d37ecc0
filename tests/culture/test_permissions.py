"""Every culture route, every role of the shared matrix, every unit of the `tree` fixture.

Results answer exactly on the user's subtree (viewer and up); the action plan needs a
reporter; opening, inviting, reminding, closing and exporting answers need a coordinator.
"""

from __future__ import annotations

import datetime

import pytest

from safehands.orgs.models import ROLE_RANK
from tests.culture.conftest import answer
from tests.web.test_permission_matrix import USERS, _visible


@pytest.fixture
def people(tree, make_user):
    return {name: make_user(name, *grants) for name, grants in USERS.items()}


@pytest.fixture
def national_round(tree, instruments, make_user):
    from safehands.culture.services import round_open

    boss = make_user("national.boss", ("NO", "coordinator"))
    today = datetime.date.today()
    survey_round = round_open(root=tree["NO"], instrument=instruments["saq"], title="All",
                              opens_on=today, closes_on=today, actor=boss)
    answer(survey_round, "W1", 6)
    answer(survey_round, "W3", 6)
    return survey_round


def _with_role(tree, username: str, role: str) -> set[str]:
    return _visible(tree, [g for g in USERS[username] if ROLE_RANK[g[1]] >= ROLE_RANK[role]])


@pytest.mark.parametrize("username", sorted(USERS))
def test_results_routes_answer_exactly_on_the_users_subtree(client, tree, people,
                                                             national_round, username):
    client.force_login(people[username])
    visible = _visible(tree, USERS[username])
    reporters = _with_role(tree, username, "reporter")
    r = national_round.pk
    for code in tree:
        for url in (f"/culture/rounds/{r}/units/{code}/",
                    f"/culture/rounds/{r}/units/{code}/results.csv",
                    f"/api/v1/culture/rounds/{r}/results/{code}"):
            response = client.get(url)
            assert response.status_code == (200 if code in visible else 403), (username, url)
            if code not in visible:
                assert b"You do not have access to this org unit." in response.content
        response = client.post(f"/culture/rounds/{r}/units/{code}/plan/",
                               {"keep": "k", "improve": "i"})
        assert response.status_code == (302 if code in reporters else 403), (username, code)


@pytest.mark.parametrize("username", sorted(USERS))
def test_managing_routes_answer_only_coordinators_of_the_unit(client, tree, people,
                                                              instruments, username):
    from safehands.culture.services import round_open
    from safehands.orgs.models import OrgUnit

    client.force_login(people[username])
    coordinated = _with_role(tree, username, "coordinator")
    root = OrgUnit.objects.get(code="NO")
    superuser = _root_user()
    today = datetime.date.today()
    rounds = {code: round_open(root=unit, instrument=instruments["saq"], title=code,
                               opens_on=today, closes_on=today, actor=superuser)
              for code, unit in tree.items()}
    assert root
    for code in tree:
        expected = 200 if code in coordinated else 403
        assert client.get(f"/culture/units/{code}/rounds/new/").status_code == expected
        r = rounds[code].pk
        assert client.get(f"/culture/rounds/{r}/").status_code == expected, (username, code)
        export = client.get(f"/culture/rounds/{r}/units/{code}/responses.fhir.json")
        # allowed callers get past the permission check; with no answers the group is hidden
        assert export.status_code == (400 if code in coordinated else 403), (username, code)
        for action in ("invitations", "remind", "import", "close"):
            response = client.post(f"/culture/rounds/{r}/{action}/", {"unit": code, "count": 1})
            assert response.status_code == (302 if code in coordinated else 403), (
                username, code, action)


def _root_user():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("root", password="x")


@pytest.mark.parametrize("username", sorted(USERS))
def test_round_list_api_returns_rounds_touching_the_users_subtree(client, tree, people,
                                                                   instruments, username):
    from safehands.culture.services import round_open

    client.force_login(people[username])
    superuser = _root_user()
    today = datetime.date.today()
    for code in ("W1", "W3", "N1"):
        round_open(root=tree[code], instrument=instruments["saq"], title=code,
                   opens_on=today, closes_on=today, actor=superuser)
    listed = {row["root"] for row in client.get("/api/v1/culture/rounds").json()}
    assert listed == {"W1", "W3", "N1"} & _visible(tree, USERS[username])


def test_anonymous_callers_are_sent_to_sign_in(client, national_round):
    r = national_round.pk
    for url in (f"/culture/rounds/{r}/", f"/culture/rounds/{r}/units/W1/",
                "/culture/units/W1/rounds/new/"):
        assert client.get(url).status_code == 302
    assert client.get(f"/api/v1/culture/rounds/{r}/results/W1").status_code == 401


@pytest.mark.parametrize("username", sorted(USERS))
def test_instrument_pages_read_for_everyone_signed_in_write_for_programme_admins(
        client, people, instruments, username):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(people[username])
    for url in ("/culture/instruments/", "/culture/instruments/saq/",
                "/culture/instruments/saq/questionnaire.json"):
        assert client.get(url).status_code == 200, (username, url)
    wording = SimpleUploadedFile("w.csv", b"code,text\nSAQ1,x\n")
    assert client.post("/culture/instruments/saq/wording/",
                       {"file": wording, "format": "csv"}).status_code == 403
    local = SimpleUploadedFile("l.yaml", b"code: x\n")
    assert client.post("/culture/instruments/define/", {"file": local}).status_code == 403


def test_programme_admin_imports_wording_and_defines_instruments(client, instruments,
                                                                 make_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from safehands.culture.models import Instrument, Item

    client.force_login(make_user("prog.admin", is_programme_admin=True))
    response = client.post("/culture/instruments/saq/wording/", {
        "file": SimpleUploadedFile("w.csv", b"code,text\nSAQ1,Licensed one\n"),
        "format": "csv"})
    assert response.status_code == 302
    assert Item.objects.get(instrument__code="saq", code="SAQ1").text == "Licensed one"
    bad = client.post("/culture/instruments/saq/wording/", {
        "file": SimpleUploadedFile("w.csv", b"code,text\nSAQ99,x\n"), "format": "csv"},
        follow=True)
    assert b"&#x27;SAQ99&#x27; is not an item of saq" in bad.content
    text = (b"code: pulse\nname: Pulse\nmethod: sops\nresponse_scales:\n  agree5:\n"
            b"    options: [{value: 1, label: Low}, {value: 5, label: High}]\n"
            b"scales: [{code: pulse, name: Pulse}]\n"
            b"items: [{code: P1, scale: pulse, text: We learn.}]\n")
    response = client.post("/culture/instruments/define/",
                           {"file": SimpleUploadedFile("p.yaml", text)})
    assert response["Location"] == "/culture/instruments/pulse/"
    assert Instrument.objects.get(code="pulse").origin == "local"
    assert client.get("/culture/instruments/nope/").status_code == 404


def test_anonymous_callers_cannot_read_instruments(client, instruments):
    assert client.get("/culture/instruments/saq/").status_code == 302
