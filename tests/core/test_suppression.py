"""Small-cell suppression: nothing hidden can be recovered by subtraction."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safehands.core.suppression import suppressed_cells


def test_counts_below_the_threshold_are_hidden():
    assert suppressed_cells({"a": 4, "b": 5, "c": 0}, threshold=5) == {"a", "c"}


def test_one_hidden_child_of_a_visible_parent_hides_the_smallest_sibling_too():
    counts = {"H": 30, "W1": 3, "W2": 12, "W3": 15}
    assert suppressed_cells(counts, children={"H": ["W1", "W2", "W3"]}) == {"W1", "W2"}


def test_two_hidden_children_protect_each_other():
    counts = {"H": 30, "W1": 3, "W2": 4, "W3": 23}
    assert suppressed_cells(counts, children={"H": ["W1", "W2", "W3"]}) == {"W1", "W2"}


def test_an_only_child_hides_its_parent():
    counts = {"H": 3, "W1": 3}
    assert suppressed_cells(counts, children={"H": ["W1"]}) == {"H", "W1"}
    counts = {"T": 6, "H": 6, "W": 6}
    assert suppressed_cells(counts, children={"T": ["H"], "H": ["W"]}, threshold=7) == {
        "T", "H", "W"}


def test_secondary_suppression_cascades_up_the_tree():
    # W1 hidden -> W2 hidden (sibling); then H1 is still visible with both children hidden;
    # at the trust, nothing is hidden yet, so all is consistent.
    counts = {"T": 60, "H1": 20, "H2": 40, "W1": 2, "W2": 18}
    hidden = suppressed_cells(counts, children={"T": ["H1", "H2"], "H1": ["W1", "W2"]})
    assert hidden == {"W1", "W2"}


def test_a_parents_own_count_is_a_part_like_any_other():
    counts = {"H": 20, ("H", "own"): 2, "W1": 18}
    hidden = suppressed_cells(counts, children={"H": [("H", "own"), "W1"]})
    assert hidden == {("H", "own"), "W1"}


def test_threshold_must_be_positive():
    with pytest.raises(ValueError):
        suppressed_cells({"a": 1}, threshold=0)


@st.composite
def trees(draw):
    """A random two-level tree whose parents are the sums of their children."""
    n_parents = draw(st.integers(1, 4))
    counts, children = {}, {"root": []}
    for p in range(n_parents):
        kids = draw(st.lists(st.integers(0, 20), min_size=1, max_size=5))
        names = [f"p{p}c{i}" for i in range(len(kids))]
        counts.update(zip(names, kids, strict=True))
        counts[f"p{p}"] = sum(kids)
        children[f"p{p}"] = names
        children["root"].append(f"p{p}")
    counts["root"] = sum(counts[p] for p in children["root"])
    return counts, children


@given(trees(), st.integers(1, 10))
def test_no_hidden_cell_can_be_recovered_by_subtracting_visible_ones(tree, threshold):
    counts, children = tree
    hidden = suppressed_cells(counts, children=children, threshold=threshold)
    assert {k for k, v in counts.items() if v < threshold} <= hidden
    for parent, parts in children.items():
        if parent in hidden:
            continue
        hidden_parts = [p for p in parts if p in hidden]
        assert len(hidden_parts) != 1, (parent, hidden_parts)


def test_exhaustive_small_case_never_leaves_a_single_hidden_part():
    for a, b, c in itertools.product(range(7), repeat=3):
        counts = {"P": a + b + c, "a": a, "b": b, "c": c}
        hidden = suppressed_cells(counts, children={"P": ["a", "b", "c"]})
        if "P" not in hidden:
            assert len({"a", "b", "c"} & hidden) != 1


@pytest.mark.parametrize(("text", "expected"), [(None, 5), ("", 5), (" 3 ", 3), ("1", 1),
                                                ("11", 11)])
def test_the_threshold_setting_reads_whole_numbers_of_at_least_one(text, expected):
    from safehands.core.suppression import parse_threshold

    assert parse_threshold(text) == expected


@pytest.mark.parametrize("text", ["0", "-2", "five", "2.5"])
def test_a_bad_threshold_setting_is_refused_with_its_name(text):
    from safehands.core.suppression import parse_threshold

    with pytest.raises(ValueError, match="SAFEHANDS_SMALL_CELL_THRESHOLD must be a whole number"):
        parse_threshold(text)


def _settings_with(value: str):
    import os
    import subprocess
    import sys

    env = {**os.environ, "SAFEHANDS_SMALL_CELL_THRESHOLD": value}
    return subprocess.run(
        [sys.executable, "-c",
         "import safehands.settings as s; print(s.SAFEHANDS_SMALL_CELL_THRESHOLD)"],
        env=env, capture_output=True, text=True, check=False)


def test_the_server_refuses_to_start_with_a_bad_threshold():
    bad = _settings_with("0")
    assert bad.returncode != 0
    assert "ImproperlyConfigured: SAFEHANDS_SMALL_CELL_THRESHOLD must be a whole number" in (
        bad.stderr)
    good = _settings_with("8")
    assert good.returncode == 0 and good.stdout.strip() == "8"


def test_threshold_follows_the_setting(settings):
    from safehands.core.suppression import threshold

    assert threshold() == 5
    settings.SAFEHANDS_SMALL_CELL_THRESHOLD = 3
    assert threshold() == 3
