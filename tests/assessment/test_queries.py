"""Reads: the report's lowest/disputed choice, action progress, and distributions above a unit
that never name or rank a unit and hide small counts."""

from __future__ import annotations

import datetime

import pytest

from safehands.assessment import queries
from safehands.assessment.models import Action
from safehands.assessment.services import (
    action_create,
    assessment_close,
    assessment_start,
    consensus_record,
)


@pytest.fixture
def root(django_user_model, tree, content):
    return django_user_model.objects.create_superuser("root", password="x")


def _closed(unit, nap, root, value: str, lc_value: str | None = None):
    a = assessment_start(org_unit=unit, instrument=nap, title=f"{unit.code} {value}", actor=root)
    scores = {code: (value, "") for code in nap.elements.values_list("code", flat=True)}
    if lc_value:
        scores.update({c: (lc_value, "") for c in scores if c.startswith("nap.lc.")})
    consensus_record(assessment=a, scores=scores, actor=root)
    return assessment_close(assessment=a, actor=root)


def test_distribution_counts_units_below_and_hides_small_cells(tree, nap, root):
    for code in ("R1", "T1", "H1", "W1", "W2", "R2"):
        _closed(tree[code], nap, root, "3")
    _closed(tree["W3"], nap, root, "3", lc_value="1")
    _closed(tree["NO"], nap, root, "4")  # the unit's own assessment is not in its view below
    d = queries.distribution(org_unit=tree["NO"], instrument=nap)
    assert d.units_assessed == 7
    rows = {area.code: counts for area, counts in d.rows}
    assert rows["nap-2019-2023.competence"] == [0, 0, 7, 0]
    lc = rows["nap-2019-2023.leadership_culture"]
    assert lc[0] is None  # the one unit at stage 1
    assert lc.count(None) >= 2  # and one more, so it cannot be recovered from the total
    assert all(c is None or c == 0 or c >= 5 for counts in rows.values() for c in counts)
    assert d.suppressed_any


def test_distribution_hides_by_the_deployments_threshold(tree, nap, root, settings):
    for code in ("W1", "W2"):
        _closed(tree[code], nap, root, "3")
    competence = "nap-2019-2023.competence"
    rows = dict(queries.distribution(org_unit=tree["H1"], instrument=nap).rows)
    assert next(c for a, c in rows.items() if a.code == competence) == [0, 0, None, 0]
    settings.SAFEHANDS_SMALL_CELL_THRESHOLD = 2
    rows = dict(queries.distribution(org_unit=tree["H1"], instrument=nap).rows)
    assert next(c for a, c in rows.items() if a.code == competence) == [0, 0, 2, 0]


def test_distribution_uses_each_units_latest_closed_assessment(tree, nap, root):
    first = _closed(tree["W1"], nap, root, "1")
    later = _closed(tree["W1"], nap, root, "2")
    assert later.started_at >= first.started_at
    d = queries.distribution(org_unit=tree["H1"], instrument=nap, threshold=1)
    assert d.units_assessed == 1
    assert {area.code: counts for area, counts in d.rows}["nap-2019-2023.competence"] == [
        0, 1, 0, 0]


def test_unit_page_above_shows_a_distribution_without_unit_names(client, tree, nap, root,
                                                                 make_user):
    for code in ("W1", "W2", "H1"):
        _closed(tree[code], nap, root, "2")
    client.force_login(make_user("leader", ("NO", "viewer")))
    text = client.get("/assessment/units/NO/").content.decode()
    section = text.split("distribution of agreed stages")[1]
    assert "3 units assessed" in section
    assert "Ward One" not in section and "Hospital One" not in section
    assert "–" in section  # 3 units: every count is below 5


def test_report_lowest_prefers_agreed_scores_and_lists_tactics(tree, nap, root):
    a = _closed(tree["H1"], nap, root, "3", lc_value="1")
    report = queries.assessment_report(assessment=a)
    assert [line.element.code for line in report.lowest[:3]] == [
        "nap.lc.01", "nap.lc.02", "nap.lc.03"]
    assert report.lowest_area.area.code == "nap-2019-2023.leadership_culture"
    assert [t.code for t in report.tactics[report.lowest[0].element.pk]] == [
        "nap.lc.management_review"]
    assert report.previous is None


def test_action_progress_per_area_and_overdue(tree, root, content):
    today = datetime.date(2026, 6, 1)
    for what, status, due in (("a", "done", None), ("b", "planned", datetime.date(2026, 1, 1)),
                              ("c", "dropped", None)):
        action_create(org_unit=tree["H1"], what=what, owner="o", status=status, due_date=due,
                      tactic="st.r01.walkrounds", actor=root)
    progress = queries.action_progress(actions=list(Action.objects.all()), today=today)
    assert [(p.label, p.total, p.done, p.overdue, p.percent_done) for p in progress] == [
        ("Culture, leadership and governance", 2, 1, 1, 50)]
