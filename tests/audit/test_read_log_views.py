"""The read-log page, its CSV and its API: only coordinators and administrators of the unit
(or above) may open them; they list, filter, page, export and refuse everyone else."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.utils import timezone

from safehands.audit.models import ReadEvent
from safehands.orgs.models import ROLE_RANK

from ..web.test_permission_matrix import USERS

ROUTES = ["/orgs/{code}/read-log/", "/orgs/{code}/read-log.csv", "/api/v1/orgs/{code}/read-log"]


def _log(tree, *, who="nurse", unit="W1", days_ago=0, kind="gtt_record", unusual="",
         records="GTT-H1/S01", granted_at=""):
    return ReadEvent.objects.create(
        actor_username=who, kind=kind,
        purpose="gtt_record_review" if kind == "gtt_record" else "survey_results",
        org_path=tree[unit].path, object_type="harm.reviewrecord", object_repr=records,
        object_count=1, where="/harm/teams/GTT-H1/records/S01/", source="web",
        client_address="10.0.0.9", unusual=bool(unusual), unusual_reason=unusual,
        granted_at=granted_at, at=timezone.now() - datetime.timedelta(days=days_ago))


@pytest.fixture
def people(tree, make_user):
    return {name: make_user(name, *grants) for name, grants in USERS.items()}


def _leads(tree, grants) -> set[str]:
    roots = [tree[c].path for c, role in grants if ROLE_RANK[role] >= ROLE_RANK["coordinator"]]
    return {code for code, unit in tree.items() if any(unit.path.startswith(r) for r in roots)}


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("username", sorted(USERS))
def test_read_log_answers_exactly_the_coordinators_and_admins_subtree(client, tree, people,
                                                                     route, username):
    client.force_login(people[username])
    allowed = _leads(tree, USERS[username])
    for code, unit in tree.items():
        response = client.get(route.format(code=code))
        assert response.status_code == (200 if code in allowed else 403), (username, code)
        if response.status_code == 403 and not any(
                unit.path.startswith(tree[c].path) for c, _ in USERS[username]):
            assert unit.name.encode() not in response.content


@pytest.mark.parametrize("route", ROUTES)
def test_anonymous_callers_are_sent_to_sign_in(client, tree, route):
    response = client.get(route.format(code="W1"))
    if route.startswith("/api/"):
        assert response.status_code == 401
    else:
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_page_lists_the_reads_of_the_subtree_only(client, tree, make_user):
    client.force_login(make_user("lead", ("H1", "coordinator")))
    _log(tree, who="nurse", unit="W1", records="GTT-H1/S01")
    _log(tree, who="regional", unit="H1", unusual="above_organisation", granted_at="R1",
         records="GTT-H1/S02")
    _log(tree, who="stranger", unit="W3", records="GTT-H2/S99")
    page = client.get("/orgs/H1/read-log/").content.decode()
    assert "GTT-H1/S01" in page and "GTT-H1/S02" in page and "GTT-H2/S99" not in page
    assert "Role granted above the organisation that owns the data (R1)" in page
    assert "2 reads" in page
    assert 'id="read-log-csv"' in page and "data-print" in page
    page = client.get("/orgs/W1/read-log/").content.decode()
    assert "GTT-H1/S01" in page and "GTT-H1/S02" not in page


@pytest.mark.parametrize(("query", "expected"), [
    ("person=NURSE", {"S01", "S03"}),
    ("unusual=1", {"S02"}),
    ("kind=survey_results", {"S03"}),
    ("record=s02", {"S02"}),
    ("from={d3}", {"S01", "S02"}),
    ("to={d3}", {"S03"}),
    ("from={d3}&to={d3}", set()),
    ("from={d10}&to={d0}&person=regional", {"S02"}),
])
def test_filters_narrow_the_list(client, tree, make_user, query, expected):
    client.force_login(make_user("lead", ("H1", "admin")))
    _log(tree, who="nurse", records="S01", days_ago=0)
    _log(tree, who="regional", records="S02", days_ago=1, unusual="above_organisation",
         granted_at="R1")
    _log(tree, who="nurse", records="S03", days_ago=5, kind="survey_results")
    today = timezone.localdate()
    days = {f"d{n}": (today - datetime.timedelta(days=n)).isoformat() for n in (0, 3, 10)}
    url = "/orgs/H1/read-log.csv?" + query.format(**days)
    rows = list(csv.DictReader(io.StringIO(b"".join(client.get(url).streaming_content)
                                           .decode())))
    assert {r["records"] for r in rows} == expected
    page = client.get("/orgs/H1/read-log/?" + query.format(**days)).content.decode()
    for name in {"S01", "S02", "S03"}:
        assert (f">{name}<" in page) == (name in expected), name


@pytest.mark.parametrize(("query", "message"), [
    ("from=yesterday", "From: &#x27;yesterday&#x27; is not a date; write it as YYYY-MM-DD."),
    ("from=2025-02-01&to=2025-01-01", "From: 2025-02-01 is after To (2025-01-01)."),
    ("kind=everything", "Kind: &#x27;everything&#x27; is not a kind of data"),
    ("page=x", "Page: &#x27;x&#x27; is not a page number."),
])
def test_a_bad_filter_is_named_and_lists_nothing(client, tree, make_user, query, message):
    client.force_login(make_user("lead", ("H1", "coordinator")))
    _log(tree, records="S01")
    response = client.get("/orgs/H1/read-log/?" + query)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert ">S01<" not in response.content.decode()
    response = client.get("/orgs/H1/read-log.csv?" + query)
    assert response.status_code == 400
    assert message.replace("&#x27;", "'") in response.content.decode()


def test_the_page_is_paged_fifty_at_a_time(client, tree, make_user):
    client.force_login(make_user("lead", ("H1", "coordinator")))
    for i in range(60):
        _log(tree, records=f"R{i:03d}", days_ago=i)
    first = client.get("/orgs/H1/read-log/?person=nurse").content.decode()
    assert ">R000<" in first and ">R049<" in first and ">R050<" not in first
    assert "Page 1 of 2" in first and 'href="?person=nurse&amp;page=2"' in first
    second = client.get("/orgs/H1/read-log/?person=nurse&page=2").content.decode()
    assert ">R050<" in second and ">R059<" in second and ">R000<" not in second


def test_csv_exports_every_matching_row_with_formula_cells_escaped(client, tree, make_user):
    client.force_login(make_user("lead", ("H1", "coordinator")))
    _log(tree, who="nurse", records='=HYPERLINK("http://evil.example")')
    response = client.get("/orgs/H1/read-log.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="read-log-H1-')
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:5] == ["at", "reader", "kind", "purpose", "records"]
    assert rows[1][1:5] == ["nurse", "gtt_record", "gtt_record_review",
                            '\'=HYPERLINK("http://evil.example")']
    assert rows[1][8] == "W1" and rows[1][12] == "false"


def test_the_page_is_in_norwegian_too(client, tree, make_user):
    client.force_login(make_user("lead", ("H1", "coordinator")))
    _log(tree, unusual="above_organisation", granted_at="R1")
    client.cookies["django_language"] = "nb"
    page = client.get("/orgs/H1/read-log/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert "Tilgangslogg" in page and "Uvanlig" in page and "Rolle gitt over organisasjonen" in page


def test_the_unit_page_links_to_the_read_log_for_leaders_only(client, tree, make_user):
    client.force_login(make_user("lead", ("H1", "coordinator")))
    assert b'href="/orgs/W1/read-log/"' in client.get("/orgs/W1/").content
    client.force_login(make_user("looker", ("H1", "reporter")))
    assert b"read-log" not in client.get("/orgs/W1/").content


def test_api_lists_and_filters_the_reads(client, tree, make_user):
    client.force_login(make_user("lead", ("H1", "coordinator")))
    _log(tree, who="nurse", records="S01")
    _log(tree, who="regional", unit="H1", records="S02", unusual="above_organisation",
         granted_at="R1", days_ago=1)
    body = client.get("/api/v1/orgs/H1/read-log").json()
    assert body["count"] == 2 and [r["records"] for r in body["reads"]] == ["S01", "S02"]
    assert body["reads"][0]["unit"] == "W1"
    body = client.get("/api/v1/orgs/H1/read-log?unusual=true").json()
    assert [(r["reader"], r["unusual_reason"], r["granted_at"]) for r in body["reads"]] == [
        ("regional", "above_organisation", "R1")]
    body = client.get("/api/v1/orgs/H1/read-log?limit=1&offset=1").json()
    assert body["count"] == 2 and [r["records"] for r in body["reads"]] == ["S02"]


@pytest.mark.parametrize(("query", "field"), [
    ("date_from=2025-02-01&date_to=2025-01-01", "date_from"),
    ("kind=nothing", "kind"),
    ("limit=0", "limit"),
    ("offset=-1", "offset"),
])
def test_api_names_a_bad_filter(client, tree, make_user, query, field):
    client.force_login(make_user("lead", ("H1", "coordinator")))
    response = client.get("/api/v1/orgs/H1/read-log?" + query)
    assert response.status_code == 400
    assert field in response.json()["extra"]
