"""Reads for the culture pages, API and exports. Never writes.

Results are computed, not stored: every response of a round is scored for every unit of the
round's subtree (its own respondents plus everyone below it), and minimum-respondent
protection is decided once for the whole tree, so the same cells are hidden whoever looks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from safehands.core.errors import NotFound
from safehands.culture import scoring
from safehands.culture.instruments import InstrumentSpec
from safehands.culture.models import ActionNote, RoundUnit, Scale, SurveyRound
from safehands.orgs.access import org_units_permitted
from safehands.orgs.models import OrgUnit

ROUND_NOT_FOUND = "There is no survey round {id}."
OWN = "/own"   # group key suffix: a unit's own respondents, when units below it answered too


def survey_round_get(*, round_id: int) -> SurveyRound:
    found = SurveyRound.objects.select_related("instrument", "root").filter(pk=round_id).first()
    if found is None:
        raise NotFound(ROUND_NOT_FOUND.format(id=round_id), {"round": round_id})
    return found


def rounds_for_unit(*, unit: OrgUnit) -> QuerySet[SurveyRound]:
    """Rounds that cover the unit or anything below it."""
    prefixes = [unit.path[:i + 1] for i, ch in enumerate(unit.path) if ch == "/"]
    return SurveyRound.objects.select_related("instrument", "root").filter(
        Q(root__path__startswith=unit.path) | Q(root__path__in=prefixes)).order_by(
        "-opens_on", "-id")


def rounds_visible(*, user: Any) -> QuerySet[SurveyRound]:
    """Rounds whose subtree holds at least one unit the user may read results for."""
    units = org_units_permitted(user, "survey.results")
    unit_ids = RoundUnit.objects.filter(org_unit__in=units).values("survey_round")
    return SurveyRound.objects.select_related("instrument", "root").filter(
        pk__in=unit_ids).order_by("-opens_on", "-id")


@dataclass
class RoundResults:
    survey_round: SurveyRound
    spec: InstrumentSpec
    scales: list[Scale]
    units: dict[str, OrgUnit]                       # code -> unit, every unit of the round
    cells: dict[str, dict[str, scoring.ScaleResult]]  # group -> scale -> result
    answers: dict[str, list[dict[str, int]]] = field(repr=False)

    def unit_result(self, code: str) -> dict[str, scoring.ScaleResult] | None:
        return self.cells.get(code)

    def shown(self, code: str) -> bool:
        cells = self.cells.get(code)
        return bool(cells) and not all(c.suppressed for c in cells.values())

    def distribution(self, code: str, scale: str) -> scoring.Distribution | None:
        cell = self.cells.get(code, {}).get(scale)
        if cell is None or cell.suppressed:
            return None
        return scoring.answer_distribution(self.answers[code], self.spec, scale)


def round_results(*, survey_round: SurveyRound) -> RoundResults:
    """Every unit of the round, rolled up, with primary and secondary suppression."""
    units = {ru.org_unit.code: ru.org_unit for ru in RoundUnit.objects.filter(
        survey_round=survey_round).select_related("org_unit")}
    by_path = {u.path: u.code for u in units.values()}
    own: dict[str, list[dict[str, int]]] = {}
    subtree: dict[str, list[dict[str, int]]] = {}
    for path, answers in survey_round.responses.values_list("org_unit__path", "answers"):
        own.setdefault(by_path[path], []).append(answers)
        prefix = ""
        for part in path.strip("/").split("/"):
            prefix += part + "/"
            if prefix in by_path:
                subtree.setdefault(by_path[prefix], []).append(answers)
    groups: dict[str, list[dict[str, int]]] = dict(subtree)
    children: dict[str, list[str]] = {}
    for code in subtree:
        unit = units[code]
        kids = [c for c, u in units.items() if u.parent_id == unit.pk and c in subtree]
        if not kids:
            continue
        if code in own:
            groups[code + OWN] = own[code]
            kids.append(code + OWN)
        children[code] = kids
    spec = survey_round.instrument.spec()
    results = scoring.score_groups(groups, spec, children=children,
                                   min_respondents=survey_round.min_respondents)
    cells: dict[str, dict[str, scoring.ScaleResult]] = {}
    for r in results:
        cells.setdefault(r.group, {})[r.scale] = r
    return RoundResults(survey_round, spec, list(survey_round.instrument.scales.all()), units,
                        cells, groups)


def previous_round(*, survey_round: SurveyRound, unit: OrgUnit) -> SurveyRound | None:
    """The latest earlier round with the same instrument that covered the unit."""
    return rounds_for_unit(unit=unit).filter(
        instrument=survey_round.instrument, opens_on__lt=survey_round.opens_on,
        units__org_unit=unit).first()


@dataclass(frozen=True)
class Change:
    scale: str
    previous_pct: float
    current_pct: float
    difference: float     # percentage points
    lower: float
    upper: float


def changes(*, current: RoundResults, previous: RoundResults, code: str) -> dict[str, Change]:
    """Change in % positive per scale with a 95 % Newcombe interval; shown cells only."""
    found: dict[str, Change] = {}
    for scale, now in (current.cells.get(code) or {}).items():
        before = (previous.cells.get(code) or {}).get(scale)
        if before is None or now.suppressed or before.suppressed:
            continue
        if not now.respondents or not before.respondents:
            continue
        d, lower, upper = scoring.difference_interval(
            now.pct_positive / 100, now.respondents,  # type: ignore[operator]
            before.pct_positive / 100, before.respondents)  # type: ignore[operator]
        found[scale] = Change(scale, before.pct_positive, now.pct_positive,  # type: ignore[arg-type]
                              100 * d, 100 * lower, 100 * upper)
    return found


def action_note_get(*, survey_round: SurveyRound, unit: OrgUnit) -> ActionNote | None:
    return ActionNote.objects.filter(survey_round=survey_round, org_unit=unit).first()


def heatmap_spec(*, results: RoundResults, codes: list[str], labels: dict[str, str],
                 scale_names: dict[str, str]) -> dict[str, Any]:
    """Vega-Lite: units x scales coloured by % positive; hidden cells grey, marked."""
    values = []
    for code in codes:
        for scale in results.spec.scales:
            cell = (results.cells.get(code) or {}).get(scale)
            shown = cell is not None and not cell.suppressed and cell.pct_positive is not None
            values.append({
                "unit": labels.get(code, code), "scale": scale_names.get(scale, scale),
                "pct": round(cell.pct_positive, 1) if shown else None,  # type: ignore[union-attr]
                "label": f"{cell.pct_positive:.0f}%" if shown else "–",  # type: ignore[union-attr]
            })
    order_units = [labels.get(c, c) for c in codes]
    order_scales = [scale_names.get(s, s) for s in results.spec.scales]
    encoding = {
        "x": {"field": "scale", "type": "nominal", "sort": order_scales, "title": None,
              "axis": {"labelAngle": -30, "labelLimit": 180}},
        "y": {"field": "unit", "type": "nominal", "sort": order_units, "title": None},
    }
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {"values": values},
        "width": {"step": 70}, "height": {"step": 28},
        "encoding": encoding,
        "layer": [
            {"mark": {"type": "rect", "color": "#e5e5e5"}},
            {"mark": "rect", "encoding": {"color": {
                "field": "pct", "type": "quantitative", "title": "% positive",
                "scale": {"domain": [0, 100], "scheme": "blues"}}}},
            {"mark": {"type": "text", "fontSize": 11},
             "encoding": {"text": {"field": "label"}, "color": {
                 "condition": {"test": "datum.pct > 65", "value": "white"},
                 "value": "black"}}},
        ],
    }
