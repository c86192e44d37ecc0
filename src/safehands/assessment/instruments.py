"""Assessment instruments and the implementation resource guide, read from the packaged YAML.

Pure: no Django. The command line scores ratings and writes FHIR Questionnaires from these
files alone; the database loader (`services.instruments_load`) stores the same content so
that programme administrators can edit it. Areas and recommendations are the catalogue's,
named by code and checked against the catalogue YAML, never copied.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from safehands.catalogue.schema import CODE_PATTERN, Catalogue, read_catalogue
from safehands.core.errors import DomainError

PACKAGED_DIR = Path(__file__).resolve().parent / "data"
DIR_ENV = "SAFEHANDS_ASSESSMENT_DIR"
GUIDE_FILE = "resource-guide.yaml"

# The levels a tactic can suit, in the order pages show them.
LEVELS: dict[str, str] = {
    "board_leaders": "Board and leaders",
    "managers": "Managers",
    "clinicians_staff": "Clinicians and staff",
    "patients_families": "Patients and families",
    "regional_national": "Regional and national bodies",
}
RESOURCE_KINDS = ("toolkit", "measure", "case_example", "training", "guidance", "safehands")
UNSURE = "unsure"

INSTRUMENTS_INVALID = "The assessment instruments are not valid ({count} problem(s)):"
UNKNOWN_INSTRUMENT = "Unknown instrument {code!r}; use one of {known}."
UNKNOWN_PLAN = "action plan {code!r} is not in the catalogue"
AREA_NOT_IN_PLAN = "area {code!r} is not an area of action plan {plan!r}"
RECOMMENDATION_NOT_IN_PLAN = "recommendation {code!r} is not in action plan {plan!r}"
UNKNOWN_RECOMMENDATION = "recommendation {code!r} is not in the catalogue"
UNKNOWN_AREA = "area {code!r} is not in the catalogue"
DUPLICATE = "duplicate code {code!r}"
SCALE_VALUES = "the scale must run 1, 2, 3, 4 in order"
TACTIC_TARGET = "a tactic names exactly one of recommendation or area"
AREA_WITHOUT_ELEMENTS = "area {code!r} of the plan has no elements"

Code = Annotated[str, StringConstraints(pattern=CODE_PATTERN, max_length=100)]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
Confidence = Literal["V", "M", "?"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScaleStep(_Strict):
    value: int = Field(ge=1, le=4)
    label: Text
    label_nb: Text
    description: str = ""


class Element(_Strict):
    code: Code
    area: Code
    name: Text
    name_nb: Text
    criteria: list[Text] = Field(min_length=1)
    criteria_nb: list[Text] = []
    recommendations: list[Code] = []
    source: Text
    confidence: Confidence


class Instrument(_Strict):
    format_version: Literal[1]
    code: Code
    version: Text
    name: Text
    name_nb: Text
    action_plan: Code
    description: str = ""
    description_nb: str = ""
    source: Text
    confidence: Confidence
    scale: list[ScaleStep]
    scale_source: Text
    scale_confidence: Confidence
    unsure_label: Text
    unsure_label_nb: Text
    elements: list[Element] = Field(min_length=1)


class Resource(_Strict):
    title: Text
    kind: Literal["toolkit", "measure", "case_example", "training", "guidance", "safehands"]
    link: str = ""
    note: str = ""


class Tactic(_Strict):
    code: Code
    recommendation: Code | None = None
    area: Code | None = None
    name: Text
    name_nb: str = ""
    description: str = ""
    levels: list[Literal["board_leaders", "managers", "clinicians_staff", "patients_families",
                         "regional_national"]] = Field(min_length=1)
    resources: list[Resource] = []
    source: Text
    confidence: Confidence


class Guide(_Strict):
    format_version: Literal[1]
    version: Text
    tactics: list[Tactic]


@dataclass(frozen=True)
class Area:
    """An area of the instrument's action plan, as the catalogue names it."""

    code: str
    number: int
    name: str
    name_nb: str


@dataclass(frozen=True)
class Bundle:
    """Every instrument and the guide, checked against each other and the catalogue."""

    instruments: dict[str, Instrument]
    areas: dict[str, list[Area]]  # instrument code -> its plan's areas, in order
    recommendation_names: dict[str, str]
    guide: Guide

    def instrument(self, code: str) -> Instrument:
        try:
            return self.instruments[code]
        except KeyError:
            raise DomainError(UNKNOWN_INSTRUMENT.format(
                code=code, known=", ".join(sorted(self.instruments)))) from None


class InstrumentsInvalid(DomainError):
    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__(INSTRUMENTS_INVALID.format(count=len(errors)) + "\n" + "\n".join(errors),
                         {"errors": errors})


def instruments_dir(path: str | os.PathLike[str] | None = None) -> Path:
    if path:
        return Path(path)
    return Path(os.environ.get(DIR_ENV) or PACKAGED_DIR)


def _load(file: Path, model: type[BaseModel], errors: list[str]) -> BaseModel | None:
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        errors.append(f"{file.name}: {error}")
        return None
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        for e in error.errors():
            where = ".".join(str(p) for p in e["loc"])
            errors.append(f"{file.name}: {where}: {e['msg']}")
        return None


def _check(file: str, instrument: Instrument, catalogue: Catalogue) -> tuple[list[Area], list[str]]:
    errors: list[str] = []
    plans = {p.code: p for prog in catalogue.programmes for p in prog.action_plans}
    plan = plans.get(instrument.action_plan)
    if plan is None:
        return [], [f"{file}: action_plan: " + UNKNOWN_PLAN.format(code=instrument.action_plan)]
    if [s.value for s in instrument.scale] != [1, 2, 3, 4]:
        errors.append(f"{file}: scale: {SCALE_VALUES}")
    area_codes = {a.code for a in plan.areas}
    rec_codes = {r.code for a in plan.areas for r in a.recommendations}
    seen: set[str] = set()
    for i, element in enumerate(instrument.elements):
        where = f"{file}: elements.{i}"
        if element.code in seen:
            errors.append(f"{where}.code: " + DUPLICATE.format(code=element.code))
        seen.add(element.code)
        if element.area not in area_codes:
            errors.append(f"{where}.area: " + AREA_NOT_IN_PLAN.format(
                code=element.area, plan=plan.code))
        for code in element.recommendations:
            if code not in rec_codes:
                errors.append(f"{where}.recommendations: " + RECOMMENDATION_NOT_IN_PLAN.format(
                    code=code, plan=plan.code))
    used = {e.area for e in instrument.elements}
    for area in plan.areas:
        if area.code not in used:
            errors.append(f"{file}: elements: " + AREA_WITHOUT_ELEMENTS.format(code=area.code))
    areas = [Area(a.code, a.number, a.name, a.name_nb) for a in plan.areas]
    return areas, errors


def read_instruments(path: str | os.PathLike[str] | None = None,
                     catalogue: Catalogue | None = None) -> Bundle:
    """Read and cross-check every instrument file and the resource guide; raise on any problem."""
    directory = instruments_dir(path)
    catalogue = catalogue or read_catalogue()
    errors: list[str] = []
    instruments: dict[str, Instrument] = {}
    areas: dict[str, list[Area]] = {}
    element_codes: set[str] = set()
    for file in sorted(directory.glob("*.yaml")):
        if file.name == GUIDE_FILE:
            continue
        instrument = _load(file, Instrument, errors)
        if instrument is None:
            continue
        if instrument.code in instruments:
            errors.append(f"{file.name}: code: " + DUPLICATE.format(code=instrument.code))
            continue
        plan_areas, problems = _check(file.name, instrument, catalogue)
        for e in instrument.elements:
            if e.code in element_codes:
                problems.append(f"{file.name}: element {e.code}: " + DUPLICATE.format(code=e.code))
            element_codes.add(e.code)
        errors.extend(problems)
        instruments[instrument.code] = instrument
        areas[instrument.code] = plan_areas
    all_areas = {a.code for p in catalogue.programmes for plan in p.action_plans
                 for a in plan.areas}
    recommendations = {r.code: r.name for p in catalogue.programmes for plan in p.action_plans
                       for a in plan.areas for r in a.recommendations}
    guide = _load(directory / GUIDE_FILE, Guide, errors) if (directory / GUIDE_FILE).exists() \
        else Guide(format_version=1, version="none", tactics=[])
    if guide is not None:
        seen: set[str] = set()
        for i, tactic in enumerate(guide.tactics):
            where = f"{GUIDE_FILE}: tactics.{i}"
            if tactic.code in seen:
                errors.append(f"{where}.code: " + DUPLICATE.format(code=tactic.code))
            seen.add(tactic.code)
            if (tactic.recommendation is None) == (tactic.area is None):
                errors.append(f"{where}: {TACTIC_TARGET}")
            if tactic.recommendation and tactic.recommendation not in recommendations:
                errors.append(f"{where}.recommendation: " + UNKNOWN_RECOMMENDATION.format(
                    code=tactic.recommendation))
            if tactic.area and tactic.area not in all_areas:
                errors.append(f"{where}.area: " + UNKNOWN_AREA.format(code=tactic.area))
    if errors:
        raise InstrumentsInvalid(errors)
    assert guide is not None
    return Bundle(instruments=instruments, areas=areas, recommendation_names=recommendations,
                  guide=guide)
