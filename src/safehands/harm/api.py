"""GTT endpoints. Each parses, asks the permission function, calls one query."""

from __future__ import annotations

import math
from datetime import date
from typing import Literal

from django.http import HttpRequest
from ninja import Router, Schema

from safehands.audit.models import ReadKind, ReadPurpose
from safehands.core.errors import DomainError
from safehands.harm import queries
from safehands.harm import rates as gtt_rates
from safehands.harm.services import records_authorize, reviews_import
from safehands.orgs.access import authorize
from safehands.orgs.queries import org_unit_get
from safehands.orgs.reads import record_request_read

router = Router(tags=["harm"])

By = Literal["month", "tertial", "year"]


def _num(value: float) -> float | None:
    return None if math.isnan(value) else value


class RateOut(Schema):
    period: str
    category: str = ""
    records: int
    patient_days: float
    adverse_events: int
    records_with_ae: int
    ae_per_1000_patient_days: float | None
    ae_per_100_admissions: float | None
    pct_records_with_ae: float | None
    pct_ci_low: float | None
    pct_ci_high: float | None


def _rates_out(rows: list[gtt_rates.RateRow]) -> list[dict]:
    return [{k: (_num(v) if isinstance(v, float) else v) for k, v in r.as_dict().items()}
            for r in rows]


@router.get("/units/{code}/rates", response=list[RateOut],
            summary="Harm rates of every GTT team under a unit")
def unit_rates_api(request: HttpRequest, code: str, by: By = "month") -> list[dict]:
    unit = org_unit_get(code=code)
    authorize(request.auth, "gtt.view", unit)
    return _rates_out(gtt_rates.rates(queries.unit_rate_records(unit=unit), by=by))


class ChildRateOut(Schema):
    unit: str
    suppressed: bool
    rate: RateOut | None


@router.get("/units/{code}/children", response=list[ChildRateOut],
            summary="Harm rates per child unit, small cells hidden")
def unit_children_api(request: HttpRequest, code: str, by: By = "year",
                      period: str | None = None) -> list[dict]:
    """Cells with fewer harmed stays than the small-cell threshold (default 5) are hidden,
    with secondary suppression, for callers who may read rates but not GTT records."""
    unit = org_unit_get(code=code)
    authorize(request.auth, "gtt.view", unit)
    rows = queries.rollup_children(unit=unit, by=by, period=period, user=request.auth)
    return [{"unit": r.unit.code, "suppressed": r.suppressed,
             "rate": None if r.suppressed or r.row is None else _rates_out([r.row])[0]}
            for r in rows]


class NationalOut(Schema):
    year: str
    pct_records_with_ae: float | None
    pct_ci_low: float | None
    pct_ci_high: float | None
    records: int
    population: int
    teams: int
    excluded: list[str]


@router.get("/units/{code}/national", response=list[NationalOut],
            summary="Yearly share of stays with harm, weighted by population size")
def national_api(request: HttpRequest, code: str) -> list[dict]:
    unit = org_unit_get(code=code)
    authorize(request.auth, "gtt.view", unit)
    return [{"year": y.estimate.period,
             "pct_records_with_ae": _num(y.estimate.pct_records_with_ae),
             "pct_ci_low": _num(y.estimate.pct_ci_low),
             "pct_ci_high": _num(y.estimate.pct_ci_high), "records": y.estimate.records,
             "population": y.estimate.population, "teams": y.estimate.teams,
             "excluded": list(y.estimate.excluded)} for y in queries.national_estimates(unit=unit)]


@router.get("/teams/{team}/rates", response=list[RateOut], summary="One GTT team's rates")
def team_rates_api(request: HttpRequest, team: str, by: By = "month") -> list[dict]:
    team_obj = queries.team_get(code=team)
    authorize(request.auth, "gtt.view", team_obj.population)
    return _rates_out(queries.team_rates(team=team_obj, by=by))


class EventOut(Schema):
    severity: str
    harm_type: str
    harm_type_text: str
    description: str
    triggers: list[str]


class RecordOut(Schema):
    stay_id: str
    admission_date: date
    discharge_date: date
    patient_days: float
    status: str
    events: list[EventOut]


@router.get("/teams/{team}/records", response=list[RecordOut],
            summary="A GTT team's records (team members and coordinators only)")
def team_records_api(request: HttpRequest, team: str) -> list[dict]:
    team_obj = queries.team_get(code=team)
    records_authorize(request.auth, team_obj)
    records = list(team_obj.records.prefetch_related("events").order_by("discharge_date",
                                                                         "stay_id"))
    record_request_read(request, actor=request.auth, unit=team_obj.population,
                        kind=ReadKind.GTT_RECORD, purpose=ReadPurpose.GTT_RECORDS_API,
                        objects=records, source="api")
    return [{"stay_id": r.stay_id, "admission_date": r.admission_date,
             "discharge_date": r.discharge_date, "patient_days": float(r.patient_days),
             "status": r.status,
             "events": [{"severity": e.severity, "harm_type": e.harm_type,
                         "harm_type_text": e.harm_type_text, "description": e.description,
                         "triggers": e.triggers} for e in r.events.all()]}
            for r in records]


class ReviewsImportIn(Schema):
    records_csv: str
    events_csv: str | None = None
    dry_run: bool = False


class ImportCounts(Schema):
    created: int
    updated: int
    unchanged: int
    events: int


class ReviewsImportOut(Schema):
    status: str
    dry_run: bool
    counts: ImportCounts


IMPORT_INVALID = "Nothing was imported: {count} problem(s)."


@router.post("/teams/{team}/reviews/import", response=ReviewsImportOut,
             summary="Import completed reviews (RECORDS.csv and EVENTS.csv), all or nothing")
def reviews_import_api(request: HttpRequest, team: str, payload: ReviewsImportIn) -> dict:
    """The same contract as `safehands gtt import-reviews`. With any problem nothing changes
    and the answer is 400 with every problem (file, row, field, message) in `extra`."""
    team_obj = queries.team_get(code=team)
    authorize(request.auth, "gtt.manage", team_obj.population)
    summary = reviews_import(team=team_obj, records_text=payload.records_csv,
                             events_text=payload.events_csv, actor=request.auth,
                             dry_run=payload.dry_run, source="api")
    result = summary.as_dict()
    if summary.problems:
        raise DomainError(IMPORT_INVALID.format(count=len(summary.problems)), result)
    return result
