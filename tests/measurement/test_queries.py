"""Reads: the one rule that blanks small counts in raw values for people outside the team."""

from __future__ import annotations

from safehands.measurement import queries

from .conftest import SMALL_MONTH as MONTH


def _rows(unit):
    return queries.export_rows(values=queries.data_value_list(unit=unit, subtree=True))


def _by_key(rows):
    return {(r["org_unit"], r["measure"], r["period"]): r for r in rows}


def test_a_viewer_gets_small_counts_blanked_and_marked(small, make_user):
    viewer = make_user("v", ("H1", "viewer"))
    rows = _by_key(queries.values_suppressed(rows=_rows(small["H1"]), user=viewer))
    falls = rows[("W1", "falls.rate", MONTH)]
    assert (falls["numerator"], falls["denominator"], falls["suppressed"]) == (None, 1000, True)
    assert falls["comment"] == "two falls"
    assert rows[("W2", "falls.rate", MONTH)]["numerator"] == 12
    assert not rows[("W2", "falls.rate", MONTH)]["suppressed"]
    # Zero is below the threshold too.
    assert rows[("W2", "falls.risk_assessed", MONTH)]["numerator"] is None
    assert rows[("W1", "local.w1.huddles", "2026-01")]["value"] is None
    assert rows[("W1", "local.w1.huddles", "2026-01")]["suppressed"]
    assert rows[("W1", "local.w1.huddles", "2026-02")]["value"] == 8


def test_continuous_values_count_nothing_and_stay(small, make_user):
    from safehands.catalogue.models import Measure

    viewer = make_user("v", ("H1", "viewer"))
    minutes = Measure(code="minutes", value_type="continuous")
    rows = [{"numerator": None, "denominator": None, "value": 1.5}]
    queries.values_suppressed(rows=rows, user=viewer, unit=small["W1"], measure=minutes)
    assert (rows[0]["value"], rows[0]["suppressed"]) == (1.5, False)


def test_a_reporter_sees_their_own_units_counts_and_not_the_others(small, make_user):
    user = make_user("r", ("W1", "reporter"), ("H1", "viewer"))
    rows = _by_key(queries.values_suppressed(rows=_rows(small["H1"]), user=user))
    assert rows[("W1", "falls.rate", MONTH)]["numerator"] == 2
    assert rows[("W1", "local.w1.huddles", "2026-01")]["value"] == 3
    assert not any(rows[k]["suppressed"] for k in rows if k[0] == "W1")
    assert rows[("W2", "falls.risk_assessed", MONTH)]["suppressed"]


def test_the_operator_sees_everything(small):
    rows = queries.values_suppressed(rows=_rows(small["H1"]), user=None)
    assert rows == [{**row, "suppressed": False} for row in _rows(small["H1"])]


def test_derived_fields_go_with_the_count(small, make_user, measures):
    viewer = make_user("v", ("H1", "viewer"))
    rows = [{"numerator": 2.0, "denominator": 1000.0, "value": None, "y": 2.0},
            {"numerator": 9.0, "denominator": 1000.0, "value": None, "y": 9.0}]
    queries.values_suppressed(rows=rows, user=viewer, unit=small["W1"],
                              measure=measures["falls.rate"], derived=("y",))
    assert [(r["numerator"], r["y"], r["suppressed"]) for r in rows] == [
        (None, None, True), (9.0, 9.0, False)]


def test_the_threshold_setting_decides_what_is_small(small, make_user, settings):
    viewer = make_user("v", ("H1", "viewer"))
    settings.SAFEHANDS_SMALL_CELL_THRESHOLD = 2
    rows = _by_key(queries.values_suppressed(rows=_rows(small["H1"]), user=viewer))
    assert rows[("W1", "falls.rate", MONTH)]["numerator"] == 2
    assert rows[("W2", "falls.risk_assessed", MONTH)]["suppressed"]
    settings.SAFEHANDS_SMALL_CELL_THRESHOLD = 13
    rows = _by_key(queries.values_suppressed(rows=_rows(small["H1"]), user=viewer))
    assert rows[("W2", "falls.rate", MONTH)]["suppressed"]
