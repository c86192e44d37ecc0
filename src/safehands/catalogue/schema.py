"""The catalogue file format and its validation.

Programme content is data: one YAML file per programme in `safehands/catalogue/data/`
(or in the directory named by `--path` / `SAFEHANDS_CATALOGUE_DIR`). This module reads those
files, checks every field with pydantic, then checks the rules that span items (unique codes,
bundle-compliance measures naming real bundle elements, a denominator for every proportion).

It imports nothing from Django, so `safehands catalogue show` works without a database.
The format is documented field by field in `docs/catalogue.md`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    computed_field,
)

from safehands.core.errors import DomainError

FORMAT_VERSION = 1
PACKAGED_DIR = Path(__file__).resolve().parent / "data"
DIR_ENV = "SAFEHANDS_CATALOGUE_DIR"

# Choice lists. The database models take their choices from these tuples.
CONFIDENCES = ("V", "M", "?")
TO_BE_CONFIRMED = ("M", "?")  # tagged from background knowledge or uncertain: show as such
SETTINGS = (
    "hospital",
    "emergency_department",
    "nursing_home",
    "home_care",
    "general_practice",
    "mental_health_inpatient",
    "substance_use_treatment",
)
KINDS = ("process", "outcome", "balancing")
VALUE_TYPES = ("proportion", "rate", "count", "continuous", "time_between", "cases_between")
DIRECTIONS = ("higher_is_better", "lower_is_better")
CHARTS = ("run", "i", "mr", "xbar", "s", "t", "p", "pp", "c", "u", "up", "g")
FREQUENCIES = ("weekly", "monthly", "quarterly")
AREA_KINDS = ("principle", "foundational_area")

# Which charts suit which kind of value (Provost & Murray 2011, ch. 5 "Which chart?").
CHARTS_FOR_VALUE_TYPE: dict[str, tuple[str, ...]] = {
    "proportion": ("run", "p", "pp", "i"),
    "rate": ("run", "u", "up", "i"),
    "count": ("run", "c", "i"),
    "continuous": ("run", "i", "mr", "xbar", "s"),
    "time_between": ("run", "t", "i"),
    "cases_between": ("run", "g", "i"),
}
NEEDS_DENOMINATOR = ("proportion", "rate")
NEEDS_UNIT = ("continuous", "time_between", "cases_between")

CODE_PATTERN = r"^[a-z][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*$"

Code = Annotated[str, StringConstraints(pattern=CODE_PATTERN, max_length=100)]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=300, strip_whitespace=True)]
Confidence = Literal["V", "M", "?"]
Setting = Literal[
    "hospital",
    "emergency_department",
    "nursing_home",
    "home_care",
    "general_practice",
    "mental_health_inpatient",
    "substance_use_treatment",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Item(_Strict):
    """What every catalogue item has: a stable code, names, its source and confidence."""

    code: Code
    name: Name
    name_nb: Name
    description: str = ""
    description_nb: str = ""
    source: Text
    confidence: Confidence
    note: str = ""

    @computed_field  # in the JSON output, never read from the YAML
    @property
    def to_be_confirmed(self) -> bool:
        return self.confidence in TO_BE_CONFIRMED


class Aim(Item):
    pass


class BundleElement(Item):
    pass


class Target(_Strict):
    value: float
    note: str = ""
    source: Text
    confidence: Confidence


class Measure(Item):
    kind: Literal["process", "outcome", "balancing"]
    value_type: Literal[
        "proportion", "rate", "count", "continuous", "time_between", "cases_between"
    ]
    numerator: Text
    numerator_nb: str = ""
    denominator: str = ""
    denominator_nb: str = ""
    unit: str = ""
    multiplier: float = Field(default=1, gt=0)
    direction: Literal["higher_is_better", "lower_is_better"]
    chart: Literal["run", "i", "mr", "xbar", "s", "t", "p", "pp", "c", "u", "up", "g"]
    frequency: Literal["weekly", "monthly", "quarterly"] = "monthly"
    sampling: Text
    sampling_nb: str = ""
    sample_size: int | None = Field(default=None, ge=1)
    target: Target | None = None
    compliance_elements: list[Code] = []
    is_default: bool

    @computed_field
    @property
    def is_bundle_compliance(self) -> bool:
        return bool(self.compliance_elements)


class TargetArea(Item):
    number: int = Field(ge=1)
    settings: list[Setting] = Field(min_length=1)
    bundle_elements: list[BundleElement] = []
    measures: list[Measure] = []


class Recommendation(Item):
    number: int = Field(ge=1)


class ActionPlanArea(Item):
    number: int = Field(ge=1)
    recommendations: list[Recommendation] = []


class ActionPlan(Item):
    period_start: int = Field(ge=1900, le=2100)
    period_end: int | None = Field(default=None, ge=1900, le=2100)
    areas_are: Literal["principle", "foundational_area"]
    areas: list[ActionPlanArea] = Field(min_length=1)


class Programme(Item):
    format_version: Literal[1]
    version: Text
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    aims: list[Aim] = []
    target_areas: list[TargetArea] = []
    action_plans: list[ActionPlan] = []


class Catalogue(_Strict):
    """Every programme file in one directory, in file-name order."""

    files: dict[str, Programme]

    @property
    def programmes(self) -> list[Programme]:
        return list(self.files.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "programmes": [
                {"file": name, **programme.model_dump(mode="json")}
                for name, programme in self.files.items()
            ],
        }


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class CatalogueError:
    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}" if self.path else (
            f"{self.file}: {self.message}"
        )


class CatalogueInvalid(DomainError):
    """The catalogue files break the format; `errors` lists every problem found."""

    def __init__(self, errors: list[CatalogueError]) -> None:
        self.errors = errors
        super().__init__(
            CATALOGUE_INVALID.format(count=len(errors)) + "\n" + "\n".join(map(str, errors)),
            {"errors": [str(e) for e in errors]},
        )


CATALOGUE_INVALID = "The catalogue is not valid ({count} problem(s)):"
NO_FILES = "no catalogue files (*.yaml) in {directory}"
NOT_A_DIRECTORY = "{directory} is not a directory"
NOT_A_MAPPING = "the file must hold one mapping (a programme), not {kind}"
DUPLICATE_KEY = "line {line}, column {column}: the key {key!r} appears twice in one mapping"
DUPLICATE_CODE = "duplicate code {code!r} (first used at {first})"
DUPLICATE_NUMBER = "duplicate number {number} (first used at {first})"
CODE_PREFIX = "{code!r} must start with {prefix!r}, the code of its target area"
NEEDS_DENOMINATOR_MSG = "a {value_type} measure needs a denominator"
NO_DENOMINATOR_MSG = "a {value_type} measure has no denominator; describe the value in numerator"
NEEDS_UNIT_MSG = "a {value_type} measure needs a unit (e.g. minutes, days, admissions)"
CHART_MISMATCH = "chart {chart!r} does not suit a {value_type} measure; use one of {allowed}"
COMPLIANCE_NOT_PROPORTION = (
    "a bundle-compliance measure must be a process measure of type proportion"
)
UNKNOWN_ELEMENT = "unknown bundle element {code!r}; this target area has: {known}"
TARGET_OUT_OF_RANGE = "a proportion target must lie between 0 and the multiplier ({multiplier:g})"
NB_WITHOUT_EN = "a Norwegian denominator needs the English one in denominator"
PERIOD_ORDER = "period_end ({end}) is before period_start ({start})"


def _path(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _message(error: dict[str, Any]) -> str:
    kind, given = error["type"], error.get("input")
    if kind == "literal_error":
        return f"{given!r} is not one of {error['ctx']['expected']}"
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field (see docs/catalogue.md)"
    if kind == "string_pattern_mismatch":
        return f"{given!r} does not match the pattern {error['ctx']['pattern']}"
    if kind == "string_too_short":
        return "must not be empty"
    return f"{error['msg']} (got {given!r})"


# --------------------------------------------------------------------------- reading


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # plain data only
    """A safe loader that refuses a key given twice in one mapping (PyYAML keeps the last)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    seen: set[Any] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            mark = key_node.start_mark
            raise yaml.constructor.ConstructorError(
                None, None,
                DUPLICATE_KEY.format(line=mark.line + 1, column=mark.column + 1, key=key),
                None,
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def catalogue_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The directory to read: the argument, else $SAFEHANDS_CATALOGUE_DIR, else the package's."""
    if path:
        return Path(path)
    if os.environ.get(DIR_ENV):
        return Path(os.environ[DIR_ENV])
    return PACKAGED_DIR


def _read_file(file: Path, errors: list[CatalogueError]) -> Programme | None:
    name = file.name
    try:
        raw = yaml.load(file.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = error.problem or error.context or "not valid YAML"
        errors.append(CatalogueError(name, "", f"{where}{problem}"))
        return None
    except yaml.YAMLError as error:
        errors.append(CatalogueError(name, "", str(error)))
        return None
    if not isinstance(raw, dict):
        errors.append(CatalogueError(name, "", NOT_A_MAPPING.format(kind=type(raw).__name__)))
        return None
    try:
        return Programme.model_validate(raw)
    except ValidationError as error:
        for e in error.errors():
            errors.append(CatalogueError(name, _path(e["loc"]), _message(e)))
        return None


def read_catalogue(path: str | os.PathLike[str] | None = None) -> Catalogue:
    """Read and check every `*.yaml` file of the catalogue directory; raise CatalogueInvalid."""
    directory = catalogue_dir(path)
    if not directory.is_dir():
        raise CatalogueInvalid([CatalogueError(str(directory), "", NOT_A_DIRECTORY.format(
            directory=directory))])
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise CatalogueInvalid([CatalogueError(str(directory), "", NO_FILES.format(
            directory=directory))])
    errors: list[CatalogueError] = []
    programmes: dict[str, Programme] = {}
    for file in files:
        programme = _read_file(file, errors)
        if programme is not None:
            programmes[file.name] = programme
    errors.extend(check_rules(programmes))
    if errors:
        raise CatalogueInvalid(errors)
    return Catalogue(files=programmes)


# --------------------------------------------------------------------------- rules across items


def _walk(programmes: dict[str, Programme]) -> Iterator[tuple[str, str, str, Item]]:
    """(kind, file, path, item) for every item, in file order."""
    for file, p in programmes.items():
        yield "programme", file, "", p
        for i, aim in enumerate(p.aims):
            yield "aim", file, f"aims[{i}]", aim
        for a, area in enumerate(p.target_areas):
            base = f"target_areas[{a}]"
            yield "target_area", file, base, area
            for b, element in enumerate(area.bundle_elements):
                yield "bundle_element", file, f"{base}.bundle_elements[{b}]", element
            for m, measure in enumerate(area.measures):
                yield "measure", file, f"{base}.measures[{m}]", measure
        for k, plan in enumerate(p.action_plans):
            base = f"action_plans[{k}]"
            yield "action_plan", file, base, plan
            for r, plan_area in enumerate(plan.areas):
                yield "action_plan_area", file, f"{base}.areas[{r}]", plan_area
                for c, rec in enumerate(plan_area.recommendations):
                    yield "recommendation", file, f"{base}.areas[{r}].recommendations[{c}]", rec


def _where(file: str, path: str) -> str:
    return f"{file}: {path}" if path else file


def measure_problems(
    *,
    kind: str,
    value_type: str,
    denominator: str,
    unit: str,
    chart: str,
    multiplier: float,
    target_value: float | None,
    is_bundle_compliance: bool,
) -> list[tuple[str, str]]:
    """(field, message) for every rule one measure breaks on its own.

    Shared by the YAML check and the database model's `clean()`, so both say the same.
    """
    problems: list[tuple[str, str]] = []
    if value_type in NEEDS_DENOMINATOR and not denominator.strip():
        problems.append(("denominator", NEEDS_DENOMINATOR_MSG.format(value_type=value_type)))
    if value_type not in NEEDS_DENOMINATOR and denominator.strip():
        problems.append(("denominator", NO_DENOMINATOR_MSG.format(value_type=value_type)))
    if value_type in NEEDS_UNIT and not unit.strip():
        problems.append(("unit", NEEDS_UNIT_MSG.format(value_type=value_type)))
    allowed = CHARTS_FOR_VALUE_TYPE.get(value_type, ())
    if chart not in allowed:
        problems.append(("chart", CHART_MISMATCH.format(
            chart=chart, value_type=value_type, allowed=", ".join(allowed))))
    if is_bundle_compliance and (value_type != "proportion" or kind != "process"):
        problems.append(("compliance_elements", COMPLIANCE_NOT_PROPORTION))
    if (target_value is not None and value_type == "proportion"
            and not 0 <= target_value <= multiplier):
        problems.append(("target.value", TARGET_OUT_OF_RANGE.format(multiplier=multiplier)))
    return problems


def _measure_rules(file: str, path: str, area: TargetArea, m: Measure) -> list[CatalogueError]:
    errors = [
        CatalogueError(file, f"{path}.{field}", message)
        for field, message in measure_problems(
            kind=m.kind, value_type=m.value_type, denominator=m.denominator, unit=m.unit,
            chart=m.chart, multiplier=m.multiplier,
            target_value=m.target.value if m.target else None,
            is_bundle_compliance=m.is_bundle_compliance,
        )
    ]
    if m.denominator_nb.strip() and not m.denominator.strip():
        errors.append(CatalogueError(file, f"{path}.denominator_nb", NB_WITHOUT_EN))
    if not m.code.startswith(area.code + "."):
        errors.insert(0, CatalogueError(file, f"{path}.code", CODE_PREFIX.format(
            code=m.code, prefix=area.code + ".")))
    known = [e.code for e in area.bundle_elements]
    for i, code in enumerate(m.compliance_elements):
        if code not in known:
            errors.append(CatalogueError(file, f"{path}.compliance_elements[{i}]",
                                         UNKNOWN_ELEMENT.format(
                                             code=code,
                                             known=", ".join(known) or "(no bundle elements)")))
    return errors


def check_rules(programmes: dict[str, Programme]) -> list[CatalogueError]:
    """The rules no single field can check: unique codes and numbers, measure coherence."""
    errors: list[CatalogueError] = []
    first_code: dict[tuple[str, str], str] = {}
    for kind, file, path, item in _walk(programmes):
        key = (kind, item.code)
        if key in first_code:
            errors.append(CatalogueError(file, f"{path}.code" if path else "code",
                                         DUPLICATE_CODE.format(code=item.code,
                                                               first=first_code[key])))
        else:
            first_code[key] = _where(file, f"{path}.code" if path else "code")

    for file, p in programmes.items():
        seen_numbers: dict[int, str] = {}
        for a, area in enumerate(p.target_areas):
            base = f"target_areas[{a}]"
            if area.number in seen_numbers:
                errors.append(CatalogueError(file, f"{base}.number", DUPLICATE_NUMBER.format(
                    number=area.number, first=seen_numbers[area.number])))
            else:
                seen_numbers[area.number] = _where(file, f"{base}.number")
            for b, element in enumerate(area.bundle_elements):
                if not element.code.startswith(area.code + "."):
                    errors.append(CatalogueError(
                        file, f"{base}.bundle_elements[{b}].code",
                        CODE_PREFIX.format(code=element.code, prefix=area.code + ".")))
            for m, measure in enumerate(area.measures):
                errors.extend(_measure_rules(file, f"{base}.measures[{m}]", area, measure))
        for k, plan in enumerate(p.action_plans):
            base = f"action_plans[{k}]"
            if plan.period_end is not None and plan.period_end < plan.period_start:
                errors.append(CatalogueError(file, f"{base}.period_end", PERIOD_ORDER.format(
                    end=plan.period_end, start=plan.period_start)))
            area_numbers: dict[int, str] = {}
            rec_numbers: dict[int, str] = {}
            for r, plan_area in enumerate(plan.areas):
                where = f"{base}.areas[{r}]"
                if plan_area.number in area_numbers:
                    errors.append(CatalogueError(file, f"{where}.number", DUPLICATE_NUMBER.format(
                        number=plan_area.number, first=area_numbers[plan_area.number])))
                else:
                    area_numbers[plan_area.number] = _where(file, f"{where}.number")
                for c, rec in enumerate(plan_area.recommendations):
                    rec_path = f"{where}.recommendations[{c}].number"
                    if rec.number in rec_numbers:
                        errors.append(CatalogueError(file, rec_path, DUPLICATE_NUMBER.format(
                            number=rec.number, first=rec_numbers[rec.number])))
                    else:
                        rec_numbers[rec.number] = _where(file, rec_path)
    return errors
