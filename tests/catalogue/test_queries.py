"""Catalogue reads: counts stay right, retired items leave listings but remain reachable."""

from __future__ import annotations

import pytest

from safehands.catalogue.models import ActionPlan, Measure, Programme, TargetArea
from safehands.catalogue.queries import (
    action_plan_list,
    measure_list,
    programme_list,
    target_area_get,
    target_area_list,
)
from safehands.core.errors import NotFound


def test_programme_counts_do_not_multiply_with_several_plans(loaded):
    ish = Programme.objects.get(code="in-safe-hands")
    ActionPlan.objects.create(code="extra-plan", name="Extra", name_nb="Ekstra", source="test",
                              confidence="V", programme=ish, period_start=2024,
                              areas_are="principle")
    listed = {p.code: p for p in programme_list()}
    assert listed["in-safe-hands"].target_area_count == 16
    assert listed["in-safe-hands"].action_plan_count == 2
    assert listed["safer-together"].target_area_count == 0


def test_target_areas_come_in_programme_order_with_counts(loaded):
    areas = list(target_area_list(programme=Programme.objects.get(code="in-safe-hands")))
    assert [a.number for a in areas] == list(range(1, 17))
    falls = next(a for a in areas if a.code == "falls")
    assert (falls.bundle_element_count, falls.measure_count) == (5, 5)


def test_retired_items_leave_listings(loaded):
    Measure.objects.filter(code="falls.rate").update(is_retired=True)
    TargetArea.objects.filter(code="sepsis").update(is_retired=True)
    falls = target_area_get(code="falls")
    assert "falls.rate" not in {m.code for m in measure_list(target_area=falls)}
    assert "sepsis" not in {a.code for a in target_area_list()}
    assert target_area_get(code="sepsis").is_retired


def test_unknown_target_area_raises_not_found(loaded):
    with pytest.raises(NotFound, match=r"There is no target area 'nope'\."):
        target_area_get(code="nope")


def test_action_plans_fetch_areas_and_recommendations_in_few_queries(loaded,
                                                                    django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        plans = list(action_plan_list())
        recommendations = [r for p in plans for a in p.areas.all() for r in a.recommendations.all()]
    assert len(recommendations) == 17


def test_a_units_own_measures_stay_out_of_the_catalogue(loaded):
    falls = target_area_get(code="falls")
    Measure.objects.create(
        code="local.w1.hip_fractures", name="Hip fractures", name_nb="Hoftebrudd",
        source="Local measure of W1", confidence="V", origin="local", target_area=falls,
        kind="outcome", value_type="count", numerator="Hip fractures.",
        direction="lower_is_better", chart="c", sampling="All.", is_default=False)
    assert "local.w1.hip_fractures" not in {m.code for m in measure_list(target_area=falls)}
    assert next(a for a in target_area_list() if a.code == "falls").measure_count == 5
