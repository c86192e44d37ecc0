"""Reads of the catalogue for pages, the API and later capabilities. Never writes.

Listings leave out retired items; fetching one item by code finds it even when retired, so
old links keep working and the page can say that it is retired.
"""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from safehands.catalogue.models import (
    ActionPlan,
    ActionPlanArea,
    Aim,
    BundleElement,
    Measure,
    Programme,
    Recommendation,
    TargetArea,
)
from safehands.core.errors import NotFound

# Codes a unit gives the measures it adds for itself (measurement app). They belong to that
# unit, not to the programme, so the catalogue's own listings leave them out.
UNIT_LOCAL_PREFIX = "local."

PROGRAMME_UNKNOWN = "There is no programme '{code}'."
TARGET_AREA_UNKNOWN = "There is no target area '{code}'."
ACTION_PLAN_UNKNOWN = "There is no action plan '{code}'."


def programme_list() -> QuerySet[Programme]:
    return Programme.objects.filter(is_retired=False).annotate(
        target_area_count=Count("target_areas", filter=Q(target_areas__is_retired=False),
                                distinct=True),
        action_plan_count=Count("action_plans", filter=Q(action_plans__is_retired=False),
                                distinct=True),
    ).order_by("position", "code")


def programme_get(*, code: str) -> Programme:
    programme = Programme.objects.filter(code=code).first()
    if programme is None:
        raise NotFound(PROGRAMME_UNKNOWN.format(code=code), {"code": code})
    return programme


def aim_list(*, programme: Programme) -> QuerySet[Aim]:
    return programme.aims.filter(is_retired=False)


def target_area_list(*, programme: Programme | None = None) -> QuerySet[TargetArea]:
    areas = TargetArea.objects.filter(is_retired=False).select_related("programme").annotate(
        measure_count=Count("measures", filter=Q(measures__is_retired=False) & ~Q(
            measures__code__startswith=UNIT_LOCAL_PREFIX), distinct=True),
        bundle_element_count=Count("bundle_elements",
                                   filter=Q(bundle_elements__is_retired=False), distinct=True),
    )
    if programme is not None:
        areas = areas.filter(programme=programme)
    return areas.order_by("number", "code")


def target_area_get(*, code: str) -> TargetArea:
    area = TargetArea.objects.select_related("programme").filter(code=code).first()
    if area is None:
        raise NotFound(TARGET_AREA_UNKNOWN.format(code=code), {"code": code})
    return area


def bundle_element_list(*, target_area: TargetArea) -> QuerySet[BundleElement]:
    return target_area.bundle_elements.filter(is_retired=False)


def measure_list(*, target_area: TargetArea | None = None) -> QuerySet[Measure]:
    """The programme's measures (not a unit's own), with target area and compliance elements."""
    measures = (
        Measure.objects.filter(is_retired=False)
        .exclude(code__startswith=UNIT_LOCAL_PREFIX)
        .select_related("target_area")
        .prefetch_related(Prefetch("compliance_elements",
                                   queryset=BundleElement.objects.order_by("position", "code")))
    )
    if target_area is not None:
        measures = measures.filter(target_area=target_area)
    return measures.order_by("target_area__number", "position", "code")


def _plans() -> QuerySet[ActionPlan]:
    recommendations = Recommendation.objects.filter(is_retired=False).order_by("number")
    areas = ActionPlanArea.objects.filter(is_retired=False).order_by("number").prefetch_related(
        Prefetch("recommendations", queryset=recommendations))
    return ActionPlan.objects.select_related("programme").prefetch_related(
        Prefetch("areas", queryset=areas))


def action_plan_list(*, programme: Programme | None = None) -> QuerySet[ActionPlan]:
    """Action plans with their areas (principles) and recommendations fetched."""
    plans = _plans().filter(is_retired=False)
    if programme is not None:
        plans = plans.filter(programme=programme)
    return plans.order_by("programme__position", "position", "code")


def action_plan_get(*, code: str) -> ActionPlan:
    plan = _plans().filter(code=code).first()
    if plan is None:
        raise NotFound(ACTION_PLAN_UNKNOWN.format(code=code), {"code": code})
    return plan
