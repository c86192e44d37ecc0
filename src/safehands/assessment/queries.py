"""Reads for pages, API and exports. Never writes.

The report of an assessment ("where to start") is computed here from the ratings with the
pure scoring module; nothing computed is stored.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from safehands.assessment.models import (
    Action,
    Assessment,
    Consensus,
    Element,
    Instrument,
    Rating,
    Tactic,
    TeamMember,
)
from safehands.assessment.scoring import Rating as PureRating
from safehands.assessment.scoring import ScoreRow, score
from safehands.catalogue.models import ActionPlanArea
from safehands.core import suppression
from safehands.core.errors import NotFound
from safehands.core.suppression import suppressed_cells
from safehands.orgs.models import OrgUnit

NO_ASSESSMENT = "There is no assessment {pk}."
NO_INSTRUMENT = "There is no instrument {code!r}."
NO_ACTION = "There is no action {pk}."
LOWEST_COUNT = 5
BANDS = ("1", "2", "3", "4")  # agreed area mean rounded half up to the nearest stage


def instrument_list() -> QuerySet[Instrument]:
    return Instrument.objects.filter(is_retired=False).select_related("action_plan")


def instrument_get(*, code: str) -> Instrument:
    instrument = Instrument.objects.select_related("action_plan").filter(code=code).first()
    if instrument is None:
        raise NotFound(NO_INSTRUMENT.format(code=code))
    return instrument


def element_list(*, instrument: Instrument) -> QuerySet[Element]:
    return (instrument.elements.filter(is_retired=False).select_related("area")
            .prefetch_related("recommendations").order_by("area__number", "position", "code"))


def instrument_areas(*, instrument: Instrument) -> list[ActionPlanArea]:
    return list(instrument.action_plan.areas.filter(is_retired=False).order_by("number"))


def tactic_list(*, recommendations: list[Any] | None = None,
                areas: list[Any] | None = None) -> QuerySet[Tactic]:
    tactics = Tactic.objects.filter(is_retired=False).prefetch_related("resources").select_related(
        "recommendation", "area")
    if recommendations is None and areas is None:
        return tactics
    from django.db.models import Q

    condition = Q(pk__in=[])
    if recommendations:
        condition |= Q(recommendation__in=recommendations)
    if areas:
        condition |= Q(area__in=areas)
    return tactics.filter(condition)


def assessment_get(*, pk: int) -> Assessment:
    assessment = (Assessment.objects.select_related("org_unit", "instrument__action_plan",
                                                    "started_by", "closed_by")
                  .filter(pk=pk).first())
    if assessment is None:
        raise NotFound(NO_ASSESSMENT.format(pk=pk))
    return assessment


def assessment_list(*, org_unit: OrgUnit) -> QuerySet[Assessment]:
    """The unit's own assessments, newest first (never its children's: no comparisons)."""
    return Assessment.objects.filter(org_unit=org_unit).select_related("instrument")


def team_list(*, assessment: Assessment) -> QuerySet[TeamMember]:
    return assessment.members.select_related("user")


def is_member(*, assessment: Assessment, user: Any) -> bool:
    return assessment.members.filter(user=user).exists()


def my_ratings(*, assessment: Assessment, user: Any) -> dict[str, Rating]:
    return {r.element.code: r for r in Rating.objects.filter(
        assessment=assessment, rater=user).select_related("element")}


def consensus_map(*, assessment: Assessment) -> dict[str, Consensus]:
    return {c.element.code: c for c in Consensus.objects.filter(
        assessment=assessment).select_related("element")}


def raters_done(*, assessment: Assessment) -> dict[int, int]:
    """user id -> number of elements rated, for the team list."""
    return dict(Counter(Rating.objects.filter(assessment=assessment).values_list(
        "rater_id", flat=True)))


def assessment_scores(*, assessment: Assessment) -> list[ScoreRow]:
    """The team's ratings scored per element and area (docs/assessment.md)."""
    elements = list(element_list(instrument=assessment.instrument))
    ratings = [PureRating(rater=str(rater), element=code, value=value)
               for rater, code, value in Rating.objects.filter(assessment=assessment)
               .values_list("rater_id", "element__code", "value")]
    areas = [(a.code, [e.code for e in elements if e.area_id == a.pk])
             for a in instrument_areas(instrument=assessment.instrument)]
    return score(ratings, areas=areas)


@dataclass(frozen=True)
class ElementLine:
    element: Element
    scores: ScoreRow
    agreed: int | None
    agreed_unsure: bool
    note: str

    @property
    def level(self) -> float | None:
        """The agreed score when recorded, else the team mean: what 'lowest' is judged on."""
        if self.agreed is not None:
            return float(self.agreed)
        return self.scores.mean_rating


@dataclass(frozen=True)
class AreaLine:
    area: ActionPlanArea
    scores: ScoreRow
    agreed_mean: float | None
    previous_agreed_mean: float | None
    elements: list[ElementLine]

    @property
    def change(self) -> float | None:
        if self.agreed_mean is None or self.previous_agreed_mean is None:
            return None
        return self.agreed_mean - self.previous_agreed_mean


@dataclass
class Report:
    assessment: Assessment
    previous: Assessment | None
    areas: list[AreaLine]
    lowest: list[ElementLine]
    disputed: list[ElementLine]
    tactics: dict[int, list[Tactic]] = field(default_factory=dict)  # element id -> tactics
    lowest_area: AreaLine | None = None

    @property
    def elements(self) -> list[ElementLine]:
        return [line for area in self.areas for line in area.elements]


def previous_assessment(*, assessment: Assessment) -> Assessment | None:
    """The unit's last closed assessment with the same instrument before this one."""
    return (Assessment.objects.filter(
        org_unit=assessment.org_unit, instrument=assessment.instrument,
        status=Assessment.Status.CLOSED, started_at__lt=assessment.started_at)
        .exclude(pk=assessment.pk).order_by("-started_at").first())


def _agreed_means(assessment: Assessment) -> dict[int, float]:
    """area id -> mean of the agreed numeric scores (unsure left out)."""
    values: dict[int, list[int]] = {}
    for area_id, value in Consensus.objects.filter(
            assessment=assessment, value__isnull=False).values_list("element__area_id", "value"):
        values.setdefault(area_id, []).append(value)
    return {area: fmean(v) for area, v in values.items()}


def assessment_report(*, assessment: Assessment) -> Report:
    """Where to start: profile by area, lowest and most disputed elements, their tactics."""
    elements = {e.code: e for e in element_list(instrument=assessment.instrument)}
    rows = assessment_scores(assessment=assessment)
    agreed = consensus_map(assessment=assessment)
    previous = previous_assessment(assessment=assessment)
    now_means = _agreed_means(assessment)
    before_means = _agreed_means(previous) if previous else {}
    by_code = {a.code: a for a in instrument_areas(instrument=assessment.instrument)}
    areas: list[AreaLine] = []
    current: list[ElementLine] = []
    for row in rows:
        if row.element:
            c = agreed.get(row.element)
            current.append(ElementLine(
                element=elements[row.element], scores=row,
                agreed=c.value if c else None, agreed_unsure=bool(c and c.value is None),
                note=c.note if c else ""))
        else:
            area = by_code[row.area]
            areas.append(AreaLine(area=area, scores=row, agreed_mean=now_means.get(area.pk),
                                  previous_agreed_mean=before_means.get(area.pk),
                                  elements=current))
            current = []
    lines = [line for area in areas for line in area.elements]
    scored = [line for line in lines if line.level is not None]
    lowest = sorted(scored, key=lambda line: (
        line.level, line.scores.mean_rating if line.scores.mean_rating is not None else 9,
        line.element.position))[:LOWEST_COUNT]
    disputed = sorted((line for line in lines if line.scores.disputed),
                      key=lambda line: (-(line.scores.spread or 0), line.element.position))
    report = Report(assessment=assessment, previous=previous, areas=areas, lowest=lowest,
                    disputed=disputed)
    for line in {id(x): x for x in lowest + disputed}.values():
        recs = list(line.element.recommendations.all())
        report.tactics[line.element.pk] = list(tactic_list(
            recommendations=recs, areas=[line.element.area]))

    def area_level(a: AreaLine) -> float:
        value = a.agreed_mean if a.agreed_mean is not None else a.scores.mean_rating
        return value if value is not None else 99.0
    candidates = [a for a in areas if area_level(a) < 99]
    report.lowest_area = min(candidates, key=area_level) if candidates else None
    return report


# --------------------------------------------------------------------------- action plans


def action_list(*, org_unit: OrgUnit, subtree: bool = False) -> QuerySet[Action]:
    actions = Action.objects.select_related(
        "org_unit", "tactic", "recommendation", "plan_area", "target_area", "measure",
        "assessment")
    if subtree:
        return actions.filter(org_unit__path__startswith=org_unit.path)
    return actions.filter(org_unit=org_unit)


def action_get(*, pk: int) -> Action:
    action = Action.objects.select_related("org_unit").filter(pk=pk).first()
    if action is None:
        raise NotFound(NO_ACTION.format(pk=pk))
    return action


@dataclass(frozen=True)
class AreaProgress:
    label: str
    total: int
    done: int
    overdue: int

    @property
    def percent_done(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def action_progress(*, actions: list[Action], today: datetime.date | None = None
                    ) -> list[AreaProgress]:
    """Done and overdue actions per action-plan area (dropped actions are not counted)."""
    today = today or timezone.localdate()
    groups: dict[str, list[Action]] = {}
    for action in actions:
        if action.status == Action.Status.DROPPED:
            continue
        area = action.plan_area or (action.recommendation.area if action.recommendation
                                    else None)
        label = area.display_name if area else (
            action.target_area.display_name if action.target_area else "Other")
        groups.setdefault(label, []).append(action)
    return [AreaProgress(label=label, total=len(items),
                         done=sum(a.status == Action.Status.DONE for a in items),
                         overdue=sum(a.is_overdue(today) for a in items))
            for label, items in groups.items()]


# --------------------------------------------------------------------------- above a unit


@dataclass(frozen=True)
class Distribution:
    """How many units below `org_unit` reached each stage per area. No unit is named."""

    instrument: Instrument
    units_assessed: int
    rows: list[tuple[ActionPlanArea, list[int | None]]]  # None = suppressed
    suppressed_any: bool


def distribution(*, org_unit: OrgUnit, instrument: Instrument,
                 threshold: int | None = None) -> Distribution:
    """Per area, the number of units (the latest closed assessment of each unit strictly
    below `org_unit`) whose agreed area mean rounds to each stage 1-4.

    Never a ranking: counts only, and counts below `threshold` are hidden together with
    whatever would let them be recovered from the row total (core.suppression); the
    threshold is the deployment's (SAFEHANDS_SMALL_CELL_THRESHOLD) unless given.
    """
    if threshold is None:
        threshold = suppression.threshold()
    latest: dict[int, Assessment] = {}
    for a in (Assessment.objects.filter(
            org_unit__path__startswith=org_unit.path, instrument=instrument,
            status=Assessment.Status.CLOSED).exclude(org_unit=org_unit)
            .order_by("org_unit_id", "-started_at")):
        latest.setdefault(a.org_unit_id, a)
    areas = instrument_areas(instrument=instrument)
    counts: dict[tuple[int, str], int] = {(a.pk, b): 0 for a in areas for b in BANDS}
    for assessment in latest.values():
        for area_id, mean in _agreed_means(assessment).items():
            band = str(min(4, max(1, int(mean + 0.5))))
            if (area_id, band) in counts:
                counts[(area_id, band)] += 1
    total = len(latest)
    all_counts: dict[Any, int] = dict(counts)
    children: dict[Any, list[Any]] = {}
    for a in areas:
        all_counts[(a.pk, "all")] = sum(counts[(a.pk, b)] for b in BANDS)
        children[(a.pk, "all")] = [(a.pk, b) for b in BANDS]
    # Zero cells disclose nothing about a person or a unit; only 1..threshold-1 are small.
    hidden = suppressed_cells({k: (v if v else threshold) for k, v in all_counts.items()},
                              children=children, threshold=threshold)
    rows = [(a, [None if (a.pk, b) in hidden else counts[(a.pk, b)] for b in BANDS])
            for a in areas]
    return Distribution(instrument=instrument, units_assessed=total, rows=rows,
                        suppressed_any=bool(hidden))


def team_prefetch() -> Prefetch:
    return Prefetch("members", queryset=TeamMember.objects.select_related("user"))
