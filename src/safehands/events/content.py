"""The event taxonomy as data: types, outcomes, contributing factors, action strengths and
deadlines, from `data/taxonomy.yaml`.

Programme content is data, never code: this module loads and checks the YAML once and
answers the questions services and pages ask of it (is this type known? which target area
does it count under? which deadlines does a severe event in a hospital start?).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml
from django.utils.translation import get_language

CONTENT_INVALID = "Event taxonomy {where}: {problem}"
OUTCOME_ORDER = ("none", "low", "moderate", "severe", "death")
STEPS = ("triaged", "notified", "closed")


@dataclass(frozen=True)
class Term:
    code: str
    name: str
    name_nb: str = ""
    group: str = ""
    target_area: str = ""
    definition: str = ""
    definition_nb: str = ""
    source: str = ""
    confidence: str = "V"

    @property
    def label(self) -> str:
        """The name in the language of the current request."""
        return self.name_nb if (get_language() or "en").startswith("nb") and self.name_nb \
            else self.name

    @property
    def explanation(self) -> str:
        return self.definition_nb if (get_language() or "en").startswith("nb") and \
            self.definition_nb else self.definition


@dataclass(frozen=True)
class DeadlineRule:
    code: str
    name: str
    name_nb: str
    outcomes: tuple[str, ...]
    org_kinds: tuple[str, ...]
    within_hours: int
    met_by: str
    source: str

    @property
    def label(self) -> str:
        return self.name_nb if (get_language() or "en").startswith("nb") else self.name

    def applies(self, *, outcome: str, kinds_above: set[str]) -> bool:
        return (not self.outcomes or outcome in self.outcomes) and (
            not self.org_kinds or bool(kinds_above & set(self.org_kinds)))


@dataclass(frozen=True)
class Taxonomy:
    version: str
    categories: dict[str, Term]
    event_types: dict[str, Term]
    outcomes: dict[str, Term]
    factor_groups: dict[str, Term]
    factors: dict[str, Term]
    action_strengths: dict[str, Term]
    deadlines: tuple[DeadlineRule, ...]

    def types_of(self, category: str) -> list[Term]:
        return [t for t in self.event_types.values() if t.group == category]

    def factors_of(self, group: str) -> list[Term]:
        return [f for f in self.factors.values() if f.group == group]


def _terms(raw: Any, section: str, *, group_key: str = "", groups: dict | None = None,
           ) -> dict[str, Term]:
    if not isinstance(raw, list) or not raw:
        raise ValueError(CONTENT_INVALID.format(where=section, problem="must be a list"))
    terms: dict[str, Term] = {}
    for index, item in enumerate(raw, start=1):
        where = f"{section} item {index}"
        if not isinstance(item, dict) or not item.get("code") or not item.get("name"):
            raise ValueError(CONTENT_INVALID.format(where=where, problem="needs code and name"))
        code = str(item["code"])
        if code in terms:
            raise ValueError(CONTENT_INVALID.format(where=where, problem=f"{code} repeated"))
        group = str(item.get(group_key, "")) if group_key else ""
        if groups is not None and group not in groups:
            raise ValueError(CONTENT_INVALID.format(
                where=where, problem=f"unknown {group_key} {group!r}"))
        terms[code] = Term(
            code=code, name=str(item["name"]), name_nb=str(item.get("name_nb", "")),
            group=group, target_area=str(item.get("target_area", "") or ""),
            definition=str(item.get("definition", "")),
            definition_nb=str(item.get("definition_nb", "")),
            source=str(item.get("source", "")), confidence=str(item.get("confidence", "V")))
    return terms


def taxonomy_parse(text: str) -> Taxonomy:
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or data.get("format_version") != 1:
        raise ValueError(CONTENT_INVALID.format(where="file", problem="format_version 1 needed"))
    categories = _terms(data.get("categories"), "categories")
    outcomes = _terms(data.get("outcomes"), "outcomes")
    if tuple(outcomes) != OUTCOME_ORDER:
        raise ValueError(CONTENT_INVALID.format(
            where="outcomes", problem=f"must be {', '.join(OUTCOME_ORDER)} in that order"))
    groups = _terms(data.get("factor_groups"), "factor_groups")
    deadlines = []
    for index, item in enumerate(data.get("deadlines") or [], start=1):
        where = f"deadlines item {index}"
        if item.get("met_by") not in STEPS:
            raise ValueError(CONTENT_INVALID.format(
                where=where, problem=f"met_by must be one of {', '.join(STEPS)}"))
        unknown = set(item.get("outcomes") or []) - set(outcomes)
        if unknown:
            raise ValueError(CONTENT_INVALID.format(
                where=where, problem=f"unknown outcomes {sorted(unknown)}"))
        deadlines.append(DeadlineRule(
            code=str(item["code"]), name=str(item["name"]), name_nb=str(item.get("name_nb", "")),
            outcomes=tuple(item.get("outcomes") or ()),
            org_kinds=tuple(item.get("org_kinds") or ()),
            within_hours=int(item["within_hours"]), met_by=item["met_by"],
            source=str(item.get("source", ""))))
    return Taxonomy(
        version=str(data.get("version", "")),
        categories=categories,
        event_types=_terms(data.get("event_types"), "event_types", group_key="category",
                           groups=categories),
        outcomes=outcomes,
        factor_groups=groups,
        factors=_terms(data.get("factors"), "factors", group_key="group", groups=groups),
        action_strengths=_terms(data.get("action_strengths"), "action_strengths"),
        deadlines=tuple(deadlines),
    )


@cache
def taxonomy() -> Taxonomy:
    text = resources.files("safehands.events").joinpath("data/taxonomy.yaml").read_text("utf-8")
    return taxonomy_parse(text)
