"""Round results: roll-up over the subtree and protection decided once for the whole tree."""

from __future__ import annotations

import datetime

import pytest

from safehands.culture import queries
from safehands.culture.services import round_open
from tests.culture.conftest import answer


def _team(results, code):
    return results.cells[code]["teamwork_climate"]


def test_results_roll_up_and_protect_a_small_ward_and_its_sibling(open_round):
    answer(open_round, "W1", 6, value=5)
    answer(open_round, "W2", 3, value=3)
    results = queries.round_results(survey_round=open_round)
    h1 = _team(results, "H1")
    assert (h1.respondents, h1.suppressed) == (9, False)
    assert h1.pct_positive == pytest.approx(100 * 6 / 9)
    assert _team(results, "W2").suppressed        # 3 < 5
    assert _team(results, "W1").suppressed        # would give W2 away as H1 - W1
    assert results.distribution("W1", "teamwork_climate") is None
    assert results.distribution("H1", "teamwork_climate").total == 9 * 6


def test_own_respondents_of_a_parent_count_as_one_of_its_parts(open_round):
    answer(open_round, "W1", 6)
    answer(open_round, "W2", 7)
    answer(open_round, "H1", 2)
    results = queries.round_results(survey_round=open_round)
    assert _team(results, "H1" + queries.OWN).suppressed
    assert _team(results, "W1").suppressed and not _team(results, "W2").suppressed
    assert _team(results, "H1").respondents == 15


def test_change_from_the_previous_round_with_an_interval(open_round, tree, instruments,
                                                         coordinator):
    answer(open_round, "W1", 10, value=5)
    answer(open_round, "W2", 10, value=3)
    later = round_open(root=tree["H1"], instrument=instruments["saq"], title="Culture 2027",
                       opens_on=open_round.opens_on + datetime.timedelta(days=1),
                       closes_on=open_round.closes_on, actor=coordinator)
    answer(later, "W1", 10, value=5)
    answer(later, "W2", 10, value=5)
    assert queries.previous_round(survey_round=later, unit=tree["W2"]) == open_round
    change = queries.changes(current=queries.round_results(survey_round=later),
                             previous=queries.round_results(survey_round=open_round),
                             code="H1")["teamwork_climate"]
    assert (change.previous_pct, change.current_pct, change.difference) == (50, 100, 50)
    assert 0 < change.lower < 50 < change.upper


def test_heatmap_spec_hides_suppressed_cells(open_round):
    answer(open_round, "W1", 6)
    results = queries.round_results(survey_round=open_round)
    spec = queries.heatmap_spec(results=results, codes=["H1", "W1", "W2"], labels={},
                                scale_names={})
    cells = {(v["unit"], v["scale"]): v for v in spec["data"]["values"]}
    assert cells["W1", "teamwork_climate"]["pct"] == 100.0
    assert cells["W2", "teamwork_climate"] == {"unit": "W2", "scale": "teamwork_climate",
                                               "pct": None, "label": "–"}


def test_rounds_for_unit_cover_ancestors_and_descendants(open_round, tree):
    assert list(queries.rounds_for_unit(unit=tree["W1"])) == [open_round]
    assert list(queries.rounds_for_unit(unit=tree["NO"])) == [open_round]
    assert list(queries.rounds_for_unit(unit=tree["W3"])) == []
