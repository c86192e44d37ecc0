"""GTT content as data: severities, harm types and trigger lists from `data/gtt.yaml`.

Programme content is data, never code: this module only loads and validates the YAML, and
answers the questions services ask of it (is this trigger code known in this variant? which
catalogue harm type is this text?).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

CONFIDENCES = ("V", "M", "?")
TO_BE_CONFIRMED = ("M", "?")
OTHER_HARM_TYPE = "other"

CONTENT_INVALID = "GTT content {where}: {problem}"


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    name_nb: str = ""
    source: str = ""
    confidence: str = "V"
    module: str = ""

    @property
    def to_be_confirmed(self) -> bool:
        return self.confidence in TO_BE_CONFIRMED


@dataclass(frozen=True)
class Module:
    code: str
    name: str
    source: str
    confidence: str
    triggers: tuple[Item, ...]

    @property
    def to_be_confirmed(self) -> bool:
        return self.confidence in TO_BE_CONFIRMED


@dataclass(frozen=True)
class Variant:
    code: str
    name: str
    source: str
    confidence: str
    modules: tuple[Module, ...]

    def trigger(self, code: str) -> Item | None:
        for module in self.modules:
            for item in module.triggers:
                if item.code == code:
                    return item
        return None

    @property
    def trigger_codes(self) -> tuple[str, ...]:
        return tuple(t.code for m in self.modules for t in m.triggers)


@dataclass(frozen=True)
class GttContent:
    version: str
    severities: tuple[Item, ...]
    harm_types: tuple[Item, ...]
    variants: dict[str, Variant]
    default_variant: str

    def variant(self, code: str | None = None) -> Variant:
        return self.variants[code or self.default_variant]

    @property
    def severity_codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.severities)

    def harm_type_match(self, text: str) -> tuple[str, str]:
        """(catalogue code, free text): a text not in the list is kept and counted as other."""
        wanted = text.strip().casefold()
        for item in self.harm_types:
            if wanted in (item.code.casefold(), item.name.casefold(), item.name_nb.casefold()):
                return item.code, ""
        return OTHER_HARM_TYPE, text.strip()

    def harm_type_name(self, code: str) -> str:
        return next((h.name for h in self.harm_types if h.code == code), code)


def _item(raw: dict[str, Any], where: str, defaults: dict[str, str] | None = None) -> Item:
    defaults = defaults or {}
    for key in ("code", "name"):
        if not str(raw.get(key, "")).strip():
            raise ValueError(CONTENT_INVALID.format(where=where, problem=f"{key} is missing"))
    confidence = str(raw.get("confidence", defaults.get("confidence", "")))
    if confidence not in CONFIDENCES:
        raise ValueError(CONTENT_INVALID.format(
            where=f"{where} {raw['code']}", problem=f"confidence must be one of {CONFIDENCES}"))
    return Item(code=str(raw["code"]), name=str(raw["name"]), name_nb=str(raw.get("name_nb", "")),
                source=str(raw.get("source", defaults.get("source", ""))), confidence=confidence,
                module=defaults.get("module", ""))


def _unique(items: list[Item], where: str) -> None:
    seen: set[str] = set()
    for item in items:
        if item.code in seen:
            raise ValueError(CONTENT_INVALID.format(where=where,
                                                    problem=f"code {item.code} twice"))
        seen.add(item.code)


def content_parse(text: str) -> GttContent:
    """Parse and validate the GTT YAML; raise ValueError naming the item on any problem."""
    raw = yaml.safe_load(text)
    severities = [_item(s, "severity") for s in raw.get("severities", [])]
    if [s.code for s in severities] != ["E", "F", "G", "H", "I"]:
        raise ValueError(CONTENT_INVALID.format(where="severities",
                                                problem="must be E, F, G, H, I in order"))
    harm_types = [_item(h, "harm type") for h in raw.get("harm_types", [])]
    _unique(harm_types, "harm types")
    if OTHER_HARM_TYPE not in {h.code for h in harm_types}:
        raise ValueError(CONTENT_INVALID.format(where="harm types",
                                                problem="the list needs 'other'"))
    variants: dict[str, Variant] = {}
    for v in raw.get("variants", []):
        modules = []
        for m in v.get("modules", []):
            defaults = {"source": str(m.get("source", "")),
                        "confidence": str(m.get("confidence", "")), "module": str(m["code"])}
            triggers = tuple(_item(t, f"variant {v['code']} module {m['code']}", defaults)
                             for t in m.get("triggers", []))
            modules.append(Module(code=str(m["code"]), name=str(m["name"]),
                                  source=defaults["source"],
                                  confidence=defaults["confidence"], triggers=triggers))
        variant = Variant(code=str(v["code"]), name=str(v["name"]), source=str(v.get("source", "")),
                          confidence=str(v.get("confidence", "")), modules=tuple(modules))
        _unique([t for m in variant.modules for t in m.triggers], f"variant {variant.code}")
        variants[variant.code] = variant
    default = str(raw.get("default_variant", ""))
    if default not in variants:
        raise ValueError(CONTENT_INVALID.format(where="default_variant",
                                                problem=f"{default!r} is not a variant"))
    return GttContent(version=str(raw.get("version", "")), severities=tuple(severities),
                      harm_types=tuple(harm_types), variants=variants, default_variant=default)


@cache
def gtt_content() -> GttContent:
    """The GTT content shipped with Safehands (cached: it is read-only package data)."""
    text = resources.files("safehands.harm").joinpath("data/gtt.yaml").read_text("utf-8")
    return content_parse(text)
