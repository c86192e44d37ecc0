"""Measurement endpoints: enrolments, data values, bulk import with dry run, roll-ups.

Thin: each parses its In schema, asks the permission function, calls one query or service.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from safehands.catalogue.models import Measure, TargetArea
from safehands.core.errors import DomainError, NotFound
from safehands.measurement import formats, periods, queries, services
from safehands.measurement.models import DataValue, Enrolment
from safehands.orgs.access import authorize, org_units_permitted
from safehands.orgs.queries import org_unit_get

router = Router(tags=["measurement"])

NO_TARGET_AREA = "There is no target area with code {code!r}."


class EnrolmentOut(Schema):
    unit: str
    target_area: str
    phase: str
    started: date
    ended: date | None
    aim_text: str
    target_value: float | None
    target_date: date | None
    measures: list[str]

    @staticmethod
    def resolve_unit(e: Enrolment) -> str:
        return e.unit.code

    @staticmethod
    def resolve_target_area(e: Enrolment) -> str:
        return e.target_area.code

    @staticmethod
    def resolve_measures(e: Enrolment) -> list[str]:
        return sorted(m.code for m in e.measures.all())


class EnrolmentIn(Schema):
    unit: str
    target_area: str
    started: date
    phase: Literal["preparing", "testing", "implementing", "spreading", "sustaining"] = \
        "preparing"
    aim_text: str = ""
    target_value: float | None = None
    target_date: date | None = None
    measures: list[str] = []


class DataValueOut(Schema):
    org_unit: str
    measure: str
    period: str
    numerator: float | None
    denominator: float | None
    value: float | None
    comment: str
    version: int

    @staticmethod
    def resolve_org_unit(v: DataValue) -> str:
        return v.unit.code

    @staticmethod
    def resolve_measure(v: DataValue) -> str:
        return v.measure.code


class DataValueRowOut(Schema):
    """A listed value; `suppressed` says a small count was blanked (queries.values_suppressed)."""

    org_unit: str
    measure: str
    period: str
    numerator: float | None
    denominator: float | None
    value: float | None
    comment: str
    version: int
    suppressed: bool


class DataValueIn(Schema):
    measure: str
    period: str
    numerator: float | None = None
    denominator: float | None = None
    value: float | None = None
    comment: str = ""
    expected_version: int | None = Field(
        None, ge=0, description="The version you read (0: no value yet); a value saved "
        "meanwhile by someone else answers 409 instead of being overwritten.")


class ImportIn(Schema):
    format: Literal["csv", "json", "fhir"] = "csv"
    text: str
    dry_run: bool = False
    strategy: Literal["create", "update", "create_and_update"] = "create_and_update"


class ConflictOut(Schema):
    row: int
    field: str
    value: str
    message: str


class ImportCountsOut(Schema):
    created: int
    updated: int
    unchanged: int
    ignored: int


class ImportOut(Schema):
    status: str
    dry_run: bool
    counts: ImportCountsOut
    conflicts: list[ConflictOut]


class RollupOut(Schema):
    period: str
    numerator: float | None
    denominator: float | None
    value: float | None
    reporting_units: int
    expected_units: int | None
    suppressed: bool = False


def _measure(code: str) -> Measure:
    return queries.measure_get(code=code)


PERIOD_QUERY = Query(None, pattern=periods.KEY_PATTERN,
                     description="a period key: 2025-03 (month), 2025-W12 (week), 2025-Q1")


def _periods_read(**keys: str | None) -> None:
    """A 400 naming the parameter whose period the pattern let through but does not exist."""
    for name, key in keys.items():
        if key:
            try:
                periods.parse(key)
            except periods.PeriodError as error:
                raise DomainError(str(error), {"field": name}) from None


@router.get("/enrolments", response=list[EnrolmentOut], summary="Enrolments you may see")
def enrolment_list_api(request: HttpRequest, under: str | None = None) -> list[Enrolment]:
    """Enrolments of every unit the caller may read; `under` limits it to one subtree."""
    enrolments = queries.enrolment_list().filter(
        unit__in=org_units_permitted(request.auth, "data.view"))
    if under:
        unit = org_unit_get(code=under)
        authorize(request.auth, "data.view", unit)
        enrolments = enrolments.filter(unit__path__startswith=unit.path)
    return list(enrolments)


@router.post("/enrolments", response={201: EnrolmentOut}, summary="Enrol a unit")
def enrolment_create_api(request: HttpRequest, payload: EnrolmentIn) -> Status:
    unit = org_unit_get(code=payload.unit)
    authorize(request.auth, "enrolment.manage", unit)
    area = TargetArea.objects.filter(code=payload.target_area).first()
    if area is None:
        raise NotFound(NO_TARGET_AREA.format(code=payload.target_area))
    enrolment = services.enrolment_create(
        unit=unit, target_area=area, started=payload.started, actor=request.auth,
        phase=payload.phase, aim_text=payload.aim_text, target_value=payload.target_value,
        target_date=payload.target_date,
        measures=[_measure(code) for code in payload.measures], source="api")
    return Status(201, enrolment)


@router.get("/units/{code}/values", response=list[DataValueRowOut], summary="A unit's values")
def data_value_list_api(request: HttpRequest, code: str, measure: str | None = None,
                        period_from: str | None = PERIOD_QUERY,
                        period_to: str | None = PERIOD_QUERY,
                        subtree: bool = False) -> list[dict]:
    """Small counts of units you may not enter data for come back blank, `suppressed` true."""
    unit = org_unit_get(code=code)
    authorize(request.auth, "data.view", unit)
    _periods_read(period_from=period_from, period_to=period_to)
    values = queries.data_value_list(
        unit=unit, measure=_measure(measure) if measure else None,
        period_from=period_from, period_to=period_to, subtree=subtree)
    rows = [{"org_unit": u, "measure": m, "period": p, "numerator": n, "denominator": d,
             "value": v, "comment": c, "version": version}
            for u, m, p, n, d, v, c, version in values.order_by(
                "unit__path", "measure__code", "period_start").values_list(
                "unit__code", "measure__code", "period", "numerator", "denominator", "value",
                "comment", "version")]
    return queries.values_suppressed(rows=rows, user=request.auth)


@router.get("/units/{code}/export", summary="Export values as CSV, JSON or FHIR")
def data_values_export_api(request: HttpRequest, code: str,
                           format: Literal["csv", "json", "fhir"] = "csv",
                           measure: str | None = None, period_from: str | None = PERIOD_QUERY,
                           period_to: str | None = PERIOD_QUERY,
                           subtree: bool = False) -> HttpResponse:
    """The same file `safehands data export --as` writes; small counts of units the caller
    may not enter data for are blanked and marked. A team's own export imports back
    unchanged."""
    unit = org_unit_get(code=code)
    authorize(request.auth, "data.view", unit)
    _periods_read(period_from=period_from, period_to=period_to)
    values = queries.data_value_list(
        unit=unit, measure=_measure(measure) if measure else None,
        period_from=period_from, period_to=period_to, subtree=subtree)
    content_type = {"csv": "text/csv", "json": "application/json",
                    "fhir": "application/fhir+json"}[format]
    rows = queries.values_suppressed(rows=queries.export_rows(values=values), user=request.auth)
    return HttpResponse(formats.write(rows, format),
                        content_type=f"{content_type}; charset=utf-8")


@router.post("/units/{code}/values", response=DataValueOut, summary="Create or change a value")
def data_value_upsert_api(request: HttpRequest, code: str, payload: DataValueIn) -> DataValue:
    """Per-field problems come back as 400 with `extra.fields`."""
    unit = org_unit_get(code=code)
    authorize(request.auth, "data.enter", unit)
    return services.data_value_upsert(
        unit=unit, measure=_measure(payload.measure), period=payload.period,
        numerator=payload.numerator, denominator=payload.denominator, value=payload.value,
        comment=payload.comment, actor=request.auth, source="api",
        expected_version=payload.expected_version)


@router.post("/imports", response={200: ImportOut, 422: ImportOut},
             summary="Import values, all or nothing")
def data_values_import_api(request: HttpRequest, payload: ImportIn) -> Status:
    """200 when applied (or a dry run found nothing wrong), 422 with the conflicts otherwise.

    Every row's org unit must be one the caller may enter data for (checked per row).
    """
    summary = services.data_values_import(
        text=payload.text, fmt=payload.format, actor=request.auth, strategy=payload.strategy,
        dry_run=payload.dry_run, source="api", file_name="api")
    return Status(422 if summary.conflicts else 200, summary.as_dict())


@router.get("/units/{code}/rollups/{measure}", response=list[RollupOut],
            summary="Roll-up of a measure over a subtree")
def rollup_api(request: HttpRequest, code: str, measure: str) -> list[dict]:
    """Small counts are suppressed (null, `suppressed` true) where the caller may not enter
    data on the unit."""
    unit = org_unit_get(code=code)
    authorize(request.auth, "data.view", unit)
    item = _measure(measure)
    return queries.rollup_rows(points=queries.rollup(unit=unit, measure=item),
                               user=request.auth, unit=unit, measure=item)
