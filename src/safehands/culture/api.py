"""Survey endpoints: rounds you may read, and protected results per unit.

Results are the same protected figures the pages show: a hidden cell has no numbers, and
hiding is decided once for the whole round tree (primary and secondary suppression).
"""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from safehands.audit.models import ReadKind, ReadPurpose
from safehands.core.errors import NotFound
from safehands.culture import queries
from safehands.culture.models import RoundUnit, SurveyRound
from safehands.orgs.access import authorize
from safehands.orgs.queries import org_unit_get
from safehands.orgs.reads import record_request_read

router = Router(tags=["culture"])

UNIT_NOT_IN_ROUND = "{unit} is not part of survey round {round}."


class RoundOut(Schema):
    id: int
    title: str
    instrument: str
    root: str
    opens_on: datetime.date
    closes_on: datetime.date
    status: str
    min_respondents: int

    @staticmethod
    def resolve_instrument(r: SurveyRound) -> str:
        return r.instrument.code

    @staticmethod
    def resolve_root(r: SurveyRound) -> str:
        return r.root.code


class ScaleOut(Schema):
    scale: str
    respondents: int | None
    mean_score: float | None
    pct_positive: float | None
    suppressed: bool
    mature: bool | None


class ResultsOut(Schema):
    round: int
    unit: str
    min_respondents: int
    scales: list[ScaleOut]


@router.get("/rounds", response=list[RoundOut], summary="Survey rounds you may read")
def round_list_api(request: HttpRequest) -> list[SurveyRound]:
    return list(queries.rounds_visible(user=request.auth))


@router.get("/rounds/{round_id}/results/{code}", response=ResultsOut,
            summary="Protected results of one unit in one round")
def round_results_api(request: HttpRequest, round_id: int, code: str) -> dict:
    survey_round = queries.survey_round_get(round_id=round_id)
    unit = org_unit_get(code=code)
    authorize(request.auth, "survey.results", unit)
    if not RoundUnit.objects.filter(survey_round=survey_round, org_unit=unit).exists():
        raise NotFound(UNIT_NOT_IN_ROUND.format(unit=unit.name, round=round_id))
    results = queries.round_results(survey_round=survey_round)
    record_request_read(request, actor=request.auth, unit=unit, kind=ReadKind.SURVEY_RESULTS,
                        purpose=ReadPurpose.SURVEY_RESULTS_API, objects=[survey_round],
                        source="api")
    cells = results.cells.get(unit.code, {})
    scales = []
    for scale in results.spec.scales:
        cell = cells.get(scale)
        if cell is None or cell.suppressed:
            scales.append({"scale": scale, "respondents": None, "mean_score": None,
                           "pct_positive": None, "suppressed": True, "mature": None})
        else:
            scales.append({"scale": scale, "respondents": cell.respondents,
                           "mean_score": cell.mean_score, "pct_positive": cell.pct_positive,
                           "suppressed": False, "mature": cell.mature})
    return {"round": survey_round.pk, "unit": unit.code,
            "min_respondents": survey_round.min_respondents, "scales": scales}
