"""Scoring on hand-computed examples; every figure below is worked out in the comments."""

from __future__ import annotations

import pytest

from safehands.culture import scoring
from safehands.culture.instruments import packaged_spec

SAQ = packaged_spec("saq")
SOPS = packaged_spec("sops-hospital-2")
TEAM = ["SAQ1", "SAQ2", "SAQ3", "SAQ4", "SAQ5", "SAQ6"]


def saq(*values, items=TEAM):
    return {code: v for code, v in zip(items, values, strict=True)}


# Teamwork climate, four respondents with a score (item 2 is reverse-scored):
#  A  5,1,4,4,5,4 -> 5,5,4,4,5,4  mean 4.5   score 87.5   positive
#  B  4,4,4,3,3,4 -> 4,2,4,3,3,4  mean 3.333 score 58.33  not positive
#  C  4,9 (does not apply), rest missing -> 4  score 75 (exactly)  positive
#  E  4,2,4,4,4,4 -> all 4        mean 4     score 75     positive
#  D  nothing answered on the scale: not a respondent for it
SAQ_TEAM = [
    saq(5, 1, 4, 4, 5, 4),
    saq(4, 4, 4, 3, 3, 4),
    {"SAQ1": 4, "SAQ2": 9},
    {"SAQ15": 5},
    saq(4, 2, 4, 4, 4, 4),
]


def test_saq_scale_score_reverses_item_2_and_rescales():
    items = SAQ.scale_items("teamwork_climate")
    assert scoring.saq_scale_score(SAQ_TEAM[0], items) == 87.5
    assert scoring.saq_scale_score(SAQ_TEAM[1], items) == pytest.approx(58.3333333)


def test_saq_scale_score_leaves_out_does_not_apply_and_missing():
    items = SAQ.scale_items("teamwork_climate")
    assert scoring.saq_scale_score(SAQ_TEAM[2], items) == 75
    assert scoring.saq_scale_score(SAQ_TEAM[3], items) is None


def test_saq_summary_percent_positive_mean_and_maturity():
    s = scoring.saq_summary(SAQ_TEAM, SAQ, "teamwork_climate")
    assert s.respondents == 4
    assert s.positive == 3                       # A, C, E: a score of exactly 75 counts
    assert s.pct_positive == 75.0
    assert s.mean_score == pytest.approx((87.5 + 175 / 3 + 75 + 75) / 4)  # 73.958
    assert s.mature is True                      # 75 % >= 60 %


def test_saq_unit_below_60_percent_positive_is_not_mature():
    rows = [saq(5, 1, 5, 5, 5, 5)] * 5 + [saq(3, 3, 3, 3, 3, 3)] * 5   # 50 % positive
    s = scoring.saq_summary(rows, SAQ, "teamwork_climate")
    assert (s.pct_positive, s.mature) == (50.0, False)


def test_saq_item_11_is_reverse_scored_in_safety_climate():
    # 5,5,5,5,5,5,5 with item 11 reversed -> 5,5,5,5,1,5,5: mean 31/7, score (24/7) x 25
    row = {f"SAQ{i}": 5 for i in range(7, 14)}
    items = SAQ.scale_items("safety_climate")
    assert scoring.saq_scale_score(row, items) == pytest.approx(85.7142857)


def test_saq_structure_matches_the_scoring_key():
    scales = {s: sorted(i.code for i in SAQ.scale_items(s)) for s in SAQ.scales}
    assert scales["teamwork_climate"] == sorted(f"SAQ{i}" for i in range(1, 7))
    assert scales["safety_climate"] == sorted(f"SAQ{i}" for i in range(7, 14))
    assert scales["job_satisfaction"] == sorted(f"SAQ{i}" for i in range(15, 20))
    assert scales["stress_recognition"] == sorted(f"SAQ{i}" for i in range(20, 24))
    assert scales["perceptions_of_management"] == sorted(
        f"SAQ{i}{v}" for i in range(24, 29) for v in "UH")
    assert scales["working_conditions"] == sorted(f"SAQ{i}" for i in range(29, 33))
    assert {c for c, i in SAQ.items.items() if i.reverse} == {"SAQ2", "SAQ11", "SAQ36"}
    assert {c for c, i in SAQ.items.items() if i.scale is None} == {
        "SAQ14", "SAQ33", "SAQ34", "SAQ35", "SAQ36"}


# SOPS Teamwork (A1, A8, A9 negatively worded), five respondents:
#  A1  5,4,3,9,-  valid 3, positive (4/5) 2        -> 66.67 %   mean 4
#  A8  4,4,4,2,1  valid 5, positive 3              -> 60 %      mean 3
#  A9  1,2,4,5,9  valid 4, positive (1/2) 2        -> 50 %      reversed 5,4,2,1 mean 3
#  composite % positive = (66.67 + 60 + 50) / 3 = 58.89 ; mean score (4 + 3 + 3) / 3
SOPS_TEAM = [
    {"A1": 5, "A8": 4, "A9": 1},
    {"A1": 4, "A8": 4, "A9": 2},
    {"A1": 3, "A8": 4, "A9": 4},
    {"A1": 9, "A8": 2, "A9": 5},
    {"A1": None, "A8": 1, "A9": 9},
]


def test_sops_item_percent_positive_counts_agreement():
    item = scoring.sops_item_summary(SOPS_TEAM, SOPS, "A1")
    assert (item.valid, item.positive) == (3, 2)
    assert item.pct_positive == pytest.approx(200 / 3)


def test_sops_negatively_worded_item_counts_disagreement():
    item = scoring.sops_item_summary(SOPS_TEAM, SOPS, "A9")
    assert (item.valid, item.positive, item.pct_positive) == (4, 2, 50.0)
    assert item.mean == 3.0


def test_sops_composite_is_the_mean_of_its_items_percent_positive():
    s = scoring.sops_summary(SOPS_TEAM, SOPS, "teamwork")
    assert s.respondents == 5
    assert s.pct_positive == pytest.approx((200 / 3 + 60 + 50) / 3)   # 58.89
    assert s.mean_score == pytest.approx(10 / 3)


def test_sops_frequency_item_never_rarely_counts_for_negatively_worded_item():
    # C7 (afraid to ask) on the frequency scale: Never (1) and Rarely (2) are positive.
    rows = [{"C7": 1}, {"C7": 2}, {"C7": 3}, {"C7": 5}, {"C7": 9}]
    item = scoring.sops_item_summary(rows, SOPS, "C7")
    assert (item.valid, item.positive, item.pct_positive) == (4, 2, 50.0)


def test_sops_structure_has_ten_composites_and_the_reverse_items():
    assert len(SOPS.scales) == 10
    reverse = {c for c, i in SOPS.items.items() if i.reverse}
    assert reverse == {"A3", "A5", "A6", "A7", "A9", "A11", "A13", "A14", "B2", "C7", "F3",
                       "F4", "F5"}
    assert sum(1 for i in SOPS.items.values() if i.scale) == 32


def test_check_answer_names_the_item_and_the_allowed_answers():
    assert scoring.check_answer(SAQ, "SAQ1", 4) is None
    assert scoring.check_answer(SAQ, "SAQ1", 9) is None
    assert scoring.check_answer(SAQ, "SAQ1", None) is None
    assert scoring.check_answer(SAQ, "SAQ1", 6) == scoring.ANSWER_OUT_OF_SCALE.format(
        value=6, item="SAQ1", allowed="1, 2, 3, 4, 5, 9")
    assert scoring.check_answer(SAQ, "SAQ24", 3) == scoring.ITEM_UNKNOWN.format(
        item="SAQ24", instrument="saq")
    # the unit rating has no "does not apply"
    assert scoring.check_answer(SOPS, "E1", 9) is not None


def _team(n, value=5):
    return [saq(value, 1, value, value, value, value)] * n


def test_group_below_minimum_respondents_is_suppressed_without_numbers():
    results = scoring.score_groups({"W1": _team(4), "W2": _team(5)}, SAQ, min_respondents=5)
    w1 = next(r for r in results if r.group == "W1" and r.scale == "teamwork_climate")
    w2 = next(r for r in results if r.group == "W2" and r.scale == "teamwork_climate")
    assert w1.suppressed and (w1.respondents, w1.mean_score, w1.pct_positive, w1.mature) == (
        None, None, None, None)
    assert not w2.suppressed and w2.respondents == 5 and w2.pct_positive == 100.0


def test_secondary_suppression_hides_a_sibling_when_the_parent_is_shown():
    groups = {"W1": _team(6), "W2": _team(3), "W3": _team(8)}
    groups["H1"] = groups["W1"] + groups["W2"] + groups["W3"]
    results = scoring.score_groups(groups, SAQ, children={"H1": ["W1", "W2", "W3"]},
                                   min_respondents=5)
    hidden = {r.group for r in results if r.suppressed and r.scale == "teamwork_climate"}
    assert hidden == {"W2", "W1"}     # W2 primary, W1 (the smaller visible sibling) secondary


def test_threshold_is_configurable():
    results = scoring.score_groups({"W1": _team(4)}, SAQ, min_respondents=3)
    assert not any(r.suppressed for r in results if r.scale == "teamwork_climate")


def test_newcombe_difference_interval_matches_the_published_example():
    # Newcombe, Stat Med 1998;17:873-890, Table II example (56/70 vs 48/80), method 10:
    # difference 0.2000, 95 % CI 0.0524 to 0.3339.
    d, lower, upper = scoring.difference_interval(56 / 70, 70, 48 / 80, 80)
    assert d == pytest.approx(0.2)
    assert lower == pytest.approx(0.0524, abs=5e-5)
    assert upper == pytest.approx(0.3339, abs=5e-5)


def test_wilson_interval_matches_newcombe_example():
    # Newcombe 1998 (single proportion paper, Stat Med 17:857), 81/263: 0.2553 to 0.3662.
    lower, upper = scoring.wilson_interval(81, 263)
    assert lower == pytest.approx(0.2553, abs=5e-5)
    assert upper == pytest.approx(0.3662, abs=5e-5)
