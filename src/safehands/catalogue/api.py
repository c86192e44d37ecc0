"""Catalogue endpoints under /api/v1/catalogue/. Read-only; any signed-in caller may read.

Each endpoint asks the permission function, then calls one query; the nested lists of an
item come from the same queries the pages use.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from safehands.catalogue.models import (
    ActionPlan,
    ActionPlanArea,
    Measure,
    Programme,
    TargetArea,
)
from safehands.catalogue.queries import (
    action_plan_get,
    action_plan_list,
    aim_list,
    bundle_element_list,
    measure_list,
    programme_get,
    programme_list,
    target_area_get,
    target_area_list,
)
from safehands.orgs.access import authorize

router = Router(tags=["catalogue"])


class ItemOut(Schema):
    code: str
    name: str
    name_nb: str
    description: str
    source: str
    confidence: str
    to_be_confirmed: bool
    note: str
    locally_edited: bool
    is_retired: bool


class AimOut(ItemOut):
    pass


class BundleElementOut(ItemOut):
    pass


class TargetAreaSummaryOut(ItemOut):
    number: int
    settings: list[str]


class ProgrammeOut(ItemOut):
    country: str
    version: str


class ProgrammeDetailOut(ProgrammeOut):
    aims: list[AimOut]
    target_areas: list[TargetAreaSummaryOut]
    action_plans: list[str]

    @staticmethod
    def resolve_aims(programme: Programme) -> list:
        return list(aim_list(programme=programme))

    @staticmethod
    def resolve_target_areas(programme: Programme) -> list:
        return list(target_area_list(programme=programme))

    @staticmethod
    def resolve_action_plans(programme: Programme) -> list[str]:
        return [plan.code for plan in action_plan_list(programme=programme)]


class TargetOut(Schema):
    value: float
    note: str
    source: str
    confidence: str


class MeasureOut(ItemOut):
    target_area: str
    kind: str
    value_type: str
    numerator: str
    numerator_nb: str
    denominator: str
    denominator_nb: str
    unit: str
    multiplier: float
    direction: str
    chart: str
    frequency: str
    sampling: str
    sampling_nb: str
    sample_size: int | None
    target: TargetOut | None
    is_default: bool
    is_bundle_compliance: bool
    compliance_elements: list[str]

    @staticmethod
    def resolve_target_area(measure: Measure) -> str:
        return measure.target_area.code

    @staticmethod
    def resolve_target(measure: Measure) -> dict | None:
        if measure.target_value is None:
            return None
        return {"value": measure.target_value, "note": measure.target_note,
                "source": measure.target_source, "confidence": measure.target_confidence}

    @staticmethod
    def resolve_compliance_elements(measure: Measure) -> list[str]:
        return [element.code for element in measure.compliance_elements.all()]


class TargetAreaDetailOut(TargetAreaSummaryOut):
    programme: str
    bundle_elements: list[BundleElementOut]
    measures: list[MeasureOut]

    @staticmethod
    def resolve_programme(area: TargetArea) -> str:
        return area.programme.code

    @staticmethod
    def resolve_bundle_elements(area: TargetArea) -> list:
        return list(bundle_element_list(target_area=area))

    @staticmethod
    def resolve_measures(area: TargetArea) -> list:
        return list(measure_list(target_area=area))


class RecommendationOut(ItemOut):
    number: int


class ActionPlanAreaOut(ItemOut):
    number: int
    recommendations: list[RecommendationOut]

    @staticmethod
    def resolve_recommendations(area: ActionPlanArea) -> list:
        return list(area.recommendations.all())  # filtered and prefetched by the query


class ActionPlanOut(ItemOut):
    programme: str
    period_start: int
    period_end: int | None
    areas_are: str
    areas: list[ActionPlanAreaOut]

    @staticmethod
    def resolve_programme(plan: ActionPlan) -> str:
        return plan.programme.code

    @staticmethod
    def resolve_areas(plan: ActionPlan) -> list:
        return list(plan.areas.all())  # filtered and prefetched by the query


@router.get("/programmes", response=list[ProgrammeOut], summary="Programmes")
def programme_list_api(request: HttpRequest) -> list[Programme]:
    authorize(request.auth, "catalogue.view")
    return list(programme_list())


@router.get("/programmes/{code}", response=ProgrammeDetailOut,
            summary="A programme with its aims and target areas")
def programme_detail_api(request: HttpRequest, code: str) -> Programme:
    authorize(request.auth, "catalogue.view")
    return programme_get(code=code)


@router.get("/target-areas/{code}", response=TargetAreaDetailOut,
            summary="A target area with its bundle elements and measures")
def target_area_detail_api(request: HttpRequest, code: str) -> TargetArea:
    authorize(request.auth, "catalogue.view")
    return target_area_get(code=code)


@router.get("/measures", response=list[MeasureOut], summary="Measures, with full definitions")
def measure_list_api(request: HttpRequest, target_area: str | None = None) -> list[Measure]:
    """Every current measure; `target_area` (a code) limits the list to one target area."""
    authorize(request.auth, "catalogue.view")
    area = target_area_get(code=target_area) if target_area else None
    return list(measure_list(target_area=area))


@router.get("/action-plans", response=list[ActionPlanOut],
            summary="Action plans with their areas or principles and recommendations")
def action_plan_list_api(request: HttpRequest) -> list[ActionPlan]:
    authorize(request.auth, "catalogue.view")
    return list(action_plan_list())


@router.get("/action-plans/{code}", response=ActionPlanOut, summary="One action plan")
def action_plan_detail_api(request: HttpRequest, code: str) -> ActionPlan:
    authorize(request.auth, "catalogue.view")
    return action_plan_get(code=code)
