"""Survey instruments as data: the YAML format, its validation and a plain in-memory form.

An instrument is items (code, scale, reverse flag, response scale), scales (SAQ scales or
SOPS composites), response scales (values, labels, an optional "does not apply" value) and a
scoring method (`saq` or `sops`, see `safehands.culture.scoring`). The packaged files in
`safehands/culture/data/` carry the structure of SAQ and SOPS Hospital 2.0 with Safehands'
own demo wording, never the official item texts.

No Django here: `safehands survey score` reads these files without a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from safehands.core.errors import DomainError

PACKAGED_DIR = Path(__file__).resolve().parent / "data"
METHODS = ("saq", "sops")
WORDINGS = ("demo", "official", "local")

INSTRUMENT_INVALID = "{file}: {problems}"
INSTRUMENT_UNKNOWN = "There is no survey instrument {code!r}; known: {known}."
SCALE_UNKNOWN = "item {item} names scale {scale!r}, which the instrument does not define"
RESPONSE_SCALE_UNKNOWN = "item {item} uses response scale {scale!r}, which is not defined"
DUPLICATE_CODE = "{kind} code {code!r} appears twice"
EMPTY_SCALE = "scale {scale!r} has no items"
NA_CLASH = "response scale {scale!r}: the does-not-apply value {value} is also an answer"

ItemCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=40)]
ScaleCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OptionIn(_Strict):
    value: int
    label: Text
    label_nb: str = ""


class ResponseScaleIn(_Strict):
    options: list[OptionIn] = Field(min_length=2)
    not_applicable: int | None = None
    not_applicable_label: str = "Does not apply"
    not_applicable_label_nb: str = "Ikke relevant"


class ScaleIn(_Strict):
    code: ScaleCode
    name: Text
    name_nb: str = ""


class ItemIn(_Strict):
    code: ItemCode
    text: Text
    text_nb: str = ""
    scale: ScaleCode | None = None
    reverse: bool = False
    response_scale: str | None = None


class ScoringIn(_Strict):
    positive_threshold: float = 75.0
    mature_pct: float = 60.0
    positive: list[int] = [4, 5]
    negative: list[int] = [1, 2]


class InstrumentIn(_Strict):
    code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$", max_length=60)]
    version: str = "1"
    name: Text
    name_nb: str = ""
    method: Literal["saq", "sops"]
    wording: Literal["demo", "official", "local"] = "demo"
    source: str = ""
    confidence: Literal["V", "M", "?"] = "?"
    scoring: ScoringIn = ScoringIn()
    response_scales: dict[str, ResponseScaleIn] = Field(min_length=1)
    scales: list[ScaleIn] = Field(min_length=1)
    items: list[ItemIn] = Field(min_length=1)


@dataclass(frozen=True)
class ItemSpec:
    code: str
    scale: str | None
    reverse: bool
    values: frozenset[int]       # the valid answers
    not_applicable: int | None   # the "does not apply / don't know" value, if any


@dataclass(frozen=True)
class InstrumentSpec:
    """What scoring needs, in plain Python."""

    code: str
    method: str
    scales: tuple[str, ...]
    items: dict[str, ItemSpec]
    positive_threshold: float = 75.0
    mature_pct: float = 60.0
    positive: frozenset[int] = frozenset({4, 5})
    negative: frozenset[int] = frozenset({1, 2})

    def scale_items(self, scale: str) -> list[ItemSpec]:
        return [item for item in self.items.values() if item.scale == scale]


def validate(data: object, *, origin: str) -> InstrumentIn:
    """Check one instrument document; every problem is named in one DomainError."""
    try:
        instrument = InstrumentIn.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors())
        raise DomainError(INSTRUMENT_INVALID.format(file=origin, problems=problems)) from None
    problems: list[str] = []
    for kind, codes in (("item", [i.code for i in instrument.items]),
                        ("scale", [s.code for s in instrument.scales])):
        seen: set[str] = set()
        for code in codes:
            if code in seen:
                problems.append(DUPLICATE_CODE.format(kind=kind, code=code))
            seen.add(code)
    scale_codes = {s.code for s in instrument.scales}
    default_scale = next(iter(instrument.response_scales))
    for item in instrument.items:
        if item.scale is not None and item.scale not in scale_codes:
            problems.append(SCALE_UNKNOWN.format(item=item.code, scale=item.scale))
        if (item.response_scale or default_scale) not in instrument.response_scales:
            problems.append(RESPONSE_SCALE_UNKNOWN.format(item=item.code,
                                                          scale=item.response_scale))
    for scale in instrument.scales:
        if not any(item.scale == scale.code for item in instrument.items):
            problems.append(EMPTY_SCALE.format(scale=scale.code))
    for name, rs in instrument.response_scales.items():
        if rs.not_applicable is not None and rs.not_applicable in {o.value for o in rs.options}:
            problems.append(NA_CLASH.format(scale=name, value=rs.not_applicable))
    if problems:
        raise DomainError(INSTRUMENT_INVALID.format(file=origin, problems="; ".join(problems)))
    return instrument


def to_spec(instrument: InstrumentIn) -> InstrumentSpec:
    default_scale = next(iter(instrument.response_scales))
    items = {}
    for item in instrument.items:
        rs = instrument.response_scales[item.response_scale or default_scale]
        items[item.code] = ItemSpec(
            code=item.code, scale=item.scale, reverse=item.reverse,
            values=frozenset(o.value for o in rs.options), not_applicable=rs.not_applicable)
    return InstrumentSpec(
        code=instrument.code, method=instrument.method,
        scales=tuple(s.code for s in instrument.scales), items=items,
        positive_threshold=instrument.scoring.positive_threshold,
        mature_pct=instrument.scoring.mature_pct,
        positive=frozenset(instrument.scoring.positive),
        negative=frozenset(instrument.scoring.negative))


def read_file(path: Path) -> InstrumentIn:
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise DomainError(INSTRUMENT_INVALID.format(file=path.name, problems=str(err))) from None
    return validate(data, origin=path.name)


def packaged() -> dict[str, InstrumentIn]:
    """The instruments shipped with Safehands, by code."""
    found = [read_file(p) for p in sorted(PACKAGED_DIR.glob("*.yaml"))]
    return {i.code: i for i in found}


def packaged_spec(code: str) -> InstrumentSpec:
    instruments = packaged()
    if code not in instruments:
        raise DomainError(INSTRUMENT_UNKNOWN.format(code=code, known=", ".join(sorted(
            instruments))))
    return to_spec(instruments[code])


def questionnaire_resource(instrument: InstrumentIn) -> dict:
    """The instrument as a FHIR R4 Questionnaire: one group per scale, then unscaled items.

    linkIds are the item codes, so an organisation can replace `text` with its licensed
    wording and import the file back (`safehands survey import-wording --format fhir`).
    """
    default = next(iter(instrument.response_scales))

    def question(item: ItemIn) -> dict:
        rs = instrument.response_scales[item.response_scale or default]
        options = [{"valueCoding": {"code": str(o.value), "display": o.label}}
                   for o in rs.options]
        if rs.not_applicable is not None:
            options.append({"valueCoding": {"code": str(rs.not_applicable),
                                            "display": rs.not_applicable_label}})
        return {"linkId": item.code, "text": item.text, "type": "choice",
                "required": False, "answerOption": options}

    groups = [{"linkId": scale.code, "text": scale.name, "type": "group",
               "item": [question(i) for i in instrument.items if i.scale == scale.code]}
              for scale in instrument.scales]
    groups += [question(i) for i in instrument.items if i.scale is None]
    return {
        "resourceType": "Questionnaire",
        "url": f"urn:safehands:culture:{instrument.code}",
        "version": instrument.version,
        "name": instrument.code.replace("-", "_"),
        "title": instrument.name,
        "status": "active",
        "description": ("Structure with Safehands demo wording, not the official item texts."
                        if instrument.wording == "demo" else instrument.name),
        "item": groups,
    }
