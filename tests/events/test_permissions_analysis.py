"""Every analysis page and export, role by role and unit by unit: a viewer (or more) on the
unit or above it gets the page; everyone else is refused with nothing about the unit; and no
answer ever carries a report's free text."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.web.test_permission_matrix import ROUTES, USERS

SECRET = "Kari Nordmann slipped by bed {code} at night"
ACTIONS = "Moved {code}'s mattress to the floor"
TABLES = ("summary", "by_type", "by_outcome", "by_target_area", "by_category", "factors",
          "months", "periods", "units")
ANALYSIS_ROUTES = sorted(r for r, kind in ROUTES.items()
                         if kind == "events" and "/analysis" in r)


def test_the_matrix_names_every_analysis_route():
    assert ANALYSIS_ROUTES == [
        "events/units/<str:code>/analysis.xlsx",
        "events/units/<str:code>/analysis/",
        "events/units/<str:code>/analysis/<str:table>.csv",
        "events/units/<str:code>/analysis/charts/<str:chart>.<str:fmt>",
    ]


@pytest.fixture
def users(tree, make_user, catalogue):
    return {name: make_user(name, *grants) for name, grants in USERS.items()}


@pytest.fixture
def reported(tree, users, make_user):
    """One report with text and factors on every unit, so every page has data to leak."""
    from safehands.events.services import event_report

    reporter = make_user("someone")
    for code, unit in tree.items():
        event_report(org_unit=unit, event_type="fall", outcome="low",
                     occurred_at=timezone.now() - timedelta(days=3),
                     description=SECRET.format(code=code),
                     immediate_actions=ACTIONS.format(code=code),
                     factors=["team.handover"], reached_patient=True, actor=reporter)


def _visible(tree, grants) -> set[str]:
    roots = [tree[code].path for code, _ in grants]
    return {code for code, unit in tree.items() if any(unit.path.startswith(r) for r in roots)}


def _urls(code: str, *, every: bool = True) -> list[str]:
    """Every route of the unit; with every=False one of each route (the CSV and chart
    routes differ only by name, and drawing a chart takes a few tenths of a second)."""
    base = f"/events/units/{code}/analysis"
    if not every:
        return [f"{base}/", f"{base}.xlsx", f"{base}/units.csv", f"{base}/charts/outcomes.svg"]
    return [f"{base}/", f"{base}.xlsx", *(f"{base}/{t}.csv" for t in TABLES),
            *(f"{base}/charts/{c}.svg" for c in ("reports", "factors", "outcomes")),
            f"{base}/charts/reports.png"]


def _text(response) -> str:
    if response["Content-Type"].startswith("application/vnd.openxmlformats"):
        with zipfile.ZipFile(io.BytesIO(response.content)) as book:
            return "".join(book.read(n).decode("utf-8") for n in book.namelist()
                           if n.endswith(".xml"))
    if response["Content-Type"] == "image/png":
        return ""
    return response.content.decode("utf-8")


@pytest.mark.parametrize("username", sorted(USERS))
def test_analysis_answers_exactly_on_the_users_subtree(client, tree, users, reported,
                                                       username):
    client.force_login(users[username])
    visible = _visible(tree, USERS[username])
    for code, unit in tree.items():
        for url in _urls(code, every=code == "W1"):
            response = client.get(url)
            if code in visible:
                assert response.status_code == 200, (username, url)
                text = _text(response)
                for other in tree:
                    assert SECRET.format(code=other) not in text, (username, url)
                    assert ACTIONS.format(code=other) not in text, (username, url)
            else:
                assert response.status_code == 403, (username, url)
                assert unit.name.encode() not in response.content
                assert b"You do not have access to this org unit." in response.content


def test_anonymous_callers_are_sent_to_sign_in(client, tree):
    for url in _urls("W1"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/")


def test_an_unknown_unit_is_404_with_its_code(client, users):
    client.force_login(users["national.viewer"])
    response = client.get("/events/units/NOPE/analysis/")
    assert response.status_code == 404
    assert b"There is no org unit with code &#x27;NOPE&#x27;." in response.content


def test_handlers_see_no_report_text_here_either(client, tree, reported, make_user):
    """Coordinators may read reports elsewhere; the analysis still shows only counts."""
    client.force_login(make_user("boss", ("NO", "coordinator")))
    for url in _urls("NO"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Kari Nordmann" not in _text(response), url
