"""Assessment endpoints under /api/v1/assessment/. Each parses, authorises, calls one query or
service. An org unit's assessments and plan are readable on its subtree (assessment.view);
rating and actions need assessment.rate, as on the pages."""

from __future__ import annotations

import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from safehands.assessment import queries, services
from safehands.assessment.models import Action, Assessment
from safehands.orgs.access import authorize
from safehands.orgs.queries import org_unit_get

router = Router(tags=["assessment"])


class InstrumentOut(Schema):
    code: str
    name: str
    action_plan: str
    version: str
    elements: int


@router.get("/instruments", response=list[InstrumentOut], summary="Self-assessment instruments")
def instrument_list_api(request: HttpRequest) -> list[dict]:
    authorize(request.auth, "catalogue.view")
    return [{"code": i.code, "name": i.name, "action_plan": i.action_plan.code,
             "version": i.version, "elements": i.elements.filter(is_retired=False).count()}
            for i in queries.instrument_list()]


class AssessmentOut(Schema):
    id: int
    org_unit: str
    instrument: str
    title: str
    status: str
    started_at: datetime.datetime
    closed_at: datetime.datetime | None


def _assessment_out(a: Assessment) -> dict:
    return {"id": a.pk, "org_unit": a.org_unit.code, "instrument": a.instrument.code,
            "title": a.title, "status": a.status, "started_at": a.started_at,
            "closed_at": a.closed_at}


@router.get("/units/{code}/assessments", response=list[AssessmentOut],
            summary="A unit's own assessments")
def assessment_list_api(request: HttpRequest, code: str) -> list[dict]:
    unit = org_unit_get(code=code)
    authorize(request.auth, "assessment.view", unit)
    return [_assessment_out(a) for a in queries.assessment_list(org_unit=unit)
            .select_related("org_unit")]


class ScoreOut(Schema):
    area: str
    element: str
    raters: int
    mean_rating: float | None
    min_rating: int | None
    max_rating: int | None
    unsure: int
    agreed: str | None


class AssessmentDetailOut(AssessmentOut):
    scores: list[ScoreOut]


@router.get("/assessments/{pk}", response=AssessmentDetailOut,
            summary="One assessment with its scores per element and area")
def assessment_detail_api(request: HttpRequest, pk: int) -> dict:
    assessment = queries.assessment_get(pk=pk)
    authorize(request.auth, "assessment.view", assessment.org_unit)
    agreed = queries.consensus_map(assessment=assessment)
    rows = []
    for row in queries.assessment_scores(assessment=assessment):
        c = agreed.get(row.element)
        rows.append({**row.__dict__, "agreed": None if c is None else (
            "unsure" if c.value is None else str(c.value))})
    return {**_assessment_out(assessment), "scores": rows}


class RatingIn(Schema):
    element: str
    rating: str
    comment: str = ""


class RatingsIn(Schema):
    ratings: list[RatingIn]


class SavedOut(Schema):
    changed: int


@router.post("/assessments/{pk}/ratings", response=SavedOut,
             summary="Save the caller's own ratings (all or nothing)")
def ratings_save_api(request: HttpRequest, pk: int, payload: RatingsIn) -> dict:
    assessment = queries.assessment_get(pk=pk)
    authorize(request.auth, "assessment.rate", assessment.org_unit)
    changed = services.ratings_save(
        assessment=assessment, actor=request.auth, source="api",
        ratings={r.element: (r.rating, r.comment) for r in payload.ratings})
    return {"changed": changed}


class ActionOut(Schema):
    id: int
    org_unit: str
    what: str
    owner: str
    due_date: datetime.date | None
    status: str
    overdue: bool
    tactic: str | None
    recommendation: str | None
    plan_area: str | None
    target_area: str | None
    measure: str | None
    assessment: int | None
    note: str


def _action_out(a: Action) -> dict:
    def code(item: object) -> str | None:
        return getattr(item, "code", None)

    return {"id": a.pk, "org_unit": a.org_unit.code, "what": a.what, "owner": a.owner,
            "due_date": a.due_date, "status": a.status, "overdue": a.is_overdue(),
            "tactic": code(a.tactic), "recommendation": code(a.recommendation),
            "plan_area": code(a.plan_area), "target_area": code(a.target_area),
            "measure": code(a.measure), "assessment": a.assessment_id, "note": a.note}


@router.get("/units/{code}/actions", response=list[ActionOut],
            summary="A unit's action plan; below=true adds the units below it")
def action_list_api(request: HttpRequest, code: str, below: bool = False) -> list[dict]:
    unit = org_unit_get(code=code)
    authorize(request.auth, "assessment.view", unit)
    return [_action_out(a) for a in queries.action_list(org_unit=unit, subtree=below)]


# The schema says what the service checks, so a client learns the rules from the document;
# "not empty, not only spaces" is left to the service, whose message says which field.
_SAID = {"pattern": r"\S"}


class ActionIn(Schema):
    what: str = Field(max_length=500, json_schema_extra=_SAID)
    owner: str = Field(max_length=200, json_schema_extra=_SAID)
    due_date: datetime.date | None = None
    status: Literal["planned", "in_progress", "done", "dropped"] = "planned"
    tactic: str | None = None
    recommendation: str | None = None
    plan_area: str | None = None
    target_area: str | None = None
    measure: str | None = None
    note: str = ""


@router.post("/units/{code}/actions", response={201: ActionOut},
             summary="Add an action to a unit's plan")
def action_create_api(request: HttpRequest, code: str, payload: ActionIn) -> Status:
    unit = org_unit_get(code=code)
    authorize(request.auth, "assessment.rate", unit)
    action = services.action_create(org_unit=unit, actor=request.auth, source="api",
                                    **payload.dict())
    return Status(201, _action_out(action))
