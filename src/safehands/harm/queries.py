"""Reads of GTT data: teams, records for review, rates per team and over the org tree."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from safehands.core.errors import NotFound
from safehands.core.suppression import suppressed_cells, threshold
from safehands.harm import rates as gtt_rates
from safehands.harm.models import (
    GttTeam,
    PrimaryReview,
    RecordStatus,
    ReviewPeriod,
    ReviewRecord,
    SampleDraw,
)
from safehands.orgs.access import can, org_units_permitted
from safehands.orgs.models import OrgUnit

TEAM_UNKNOWN = "There is no GTT team with code '{code}'."


def team_get(*, code: str) -> GttTeam:
    team = GttTeam.objects.select_related("population").filter(code=code).first()
    if team is None:
        raise NotFound(TEAM_UNKNOWN.format(code=code), {"code": code})
    return team


def team_list(*, user: Any, under: OrgUnit | None = None,
              permission: str = "gtt.view") -> QuerySet[GttTeam]:
    """Teams whose population the user may see with `permission` (optionally under a unit)."""
    units = org_units_permitted(user, permission)
    teams = GttTeam.objects.select_related("population").filter(population__in=units)
    if under is not None:
        teams = teams.filter(population__path__startswith=under.path)
    return teams.order_by("code")


def teams_within(*, unit: OrgUnit) -> QuerySet[GttTeam]:
    return GttTeam.objects.select_related("population").filter(
        population__path__startswith=unit.path).order_by("population__path", "code")


def team_for_unit(*, unit: OrgUnit) -> GttTeam | None:
    """The team whose population contains this unit (at most one: populations never overlap)."""
    for team in GttTeam.objects.select_related("population"):
        if unit.path.startswith(team.population.path):
            return team
    return None


def period_list(*, team: GttTeam) -> QuerySet[ReviewPeriod]:
    return ReviewPeriod.objects.filter(team=team).select_related("draw").order_by("-start")


def next_period_start(*, team: GttTeam) -> date | None:
    """The day after the latest period ends: where the next period starts."""
    last = ReviewPeriod.objects.filter(team=team).order_by("-end").first()
    return last.end + timedelta(days=1) if last else None


def record_list(*, period: ReviewPeriod) -> QuerySet[ReviewRecord]:
    return period.records.prefetch_related("reviews__reviewer", "events").order_by("stay_id")


def record_get(*, team: GttTeam, stay_id: str) -> ReviewRecord:
    record = ReviewRecord.objects.select_related("period", "team__population").filter(
        team=team, stay_id=stay_id).first()
    if record is None:
        raise NotFound(f"Team {team.code} has no record '{stay_id}'.", {"stay_id": stay_id})
    return record


@dataclass(frozen=True)
class Comparison:
    """Where the primary reviewers agree and disagree on one record."""

    reviews: list[PrimaryReview]
    agreed: list[str]
    disagreed: dict[str, list[str]]  # trigger -> reviewers who found it
    candidate_counts: dict[str, int]
    candidates_disagree: bool
    over_limit: list[str]


def review_comparison(*, record: ReviewRecord) -> Comparison:
    reviews = list(record.reviews.select_related("reviewer").order_by("reviewer__username"))
    found: dict[str, list[str]] = defaultdict(list)
    for review in reviews:
        for code in review.triggers:
            found[code].append(review.reviewer.get_username())
    everyone = len(reviews)
    agreed = sorted(c for c, who in found.items() if len(who) == everyone and everyone > 1)
    disagreed = {c: who for c, who in sorted(found.items()) if len(who) < everyone}
    counts = {r.reviewer.get_username(): r.candidate_count for r in reviews}
    return Comparison(reviews=reviews, agreed=agreed, disagreed=disagreed,
                      candidate_counts=counts,
                      candidates_disagree=len(set(counts.values())) > 1,
                      over_limit=[r.reviewer.get_username() for r in reviews if r.minutes > 20])


def _rate_records(records: QuerySet[ReviewRecord]) -> list[gtt_rates.Record]:
    """Confirmed records only: a record counts once the physician has decided."""
    records = records.filter(status=RecordStatus.CONFIRMED).prefetch_related("events")
    return [
        gtt_rates.Record(
            stay_id=r.stay_id, discharge_date=r.discharge_date,
            patient_days=float(r.patient_days),
            events=tuple(gtt_rates.Event(e.severity, e.harm_type) for e in r.events.all()),
        )
        for r in records
    ]


def team_rate_records(*, team: GttTeam) -> list[gtt_rates.Record]:
    return _rate_records(ReviewRecord.objects.filter(team=team))


def unit_rate_records(*, unit: OrgUnit) -> list[gtt_rates.Record]:
    """Every confirmed record of the teams whose population lies in the unit's subtree."""
    return _rate_records(ReviewRecord.objects.filter(
        team__population__path__startswith=unit.path))


def team_rates(*, team: GttTeam, by: str = "month") -> list[gtt_rates.RateRow]:
    return gtt_rates.rates(team_rate_records(team=team), by=by)


@dataclass(frozen=True)
class RollupRow:
    unit: OrgUnit
    row: gtt_rates.RateRow | None
    suppressed: bool


def rollup_children(*, unit: OrgUnit, by: str = "year", period: str | None = None,
                    user: Any = None) -> list[RollupRow]:
    """One row per child unit holding GTT teams, for one period (default the latest).

    Cells whose count of stays with harm is below the threshold are hidden for users who may
    not see the records themselves (gtt.view only); secondary suppression keeps them from
    being recovered from the parent's total.
    """
    children = list(unit.children.order_by("name"))
    per_child: dict[str, list[gtt_rates.RateRow]] = {}
    for child in children:
        if teams_within(unit=child).exists():
            per_child[child.code] = gtt_rates.rates(unit_rate_records(unit=child), by=by)
    periods = sorted({r.period for rows in per_child.values() for r in rows})
    if period is None and periods:
        period = periods[-1]
    result = []
    counts: dict[Any, int] = {}
    for child in children:
        if child.code not in per_child:
            continue
        row = next((r for r in per_child[child.code] if r.period == period), None)
        counts[child.code] = row.records_with_ae if row else 0
        result.append(RollupRow(child, row, False))
    own = teams_within(unit=unit).filter(population=unit).exists()
    hide: set[Any] = set()
    if user is not None and not can(user, "gtt.review", unit):
        parts = list(counts) + ([("own", unit.code)] if own else [])
        hide = suppressed_cells(counts, children={unit.code: parts},
                                threshold=threshold())
    return [RollupRow(r.unit, r.row, r.unit.code in hide) for r in result]


@dataclass(frozen=True)
class NationalYear:
    estimate: gtt_rates.NationalEstimate
    strata: list[gtt_rates.Stratum]


def population_sizes(*, teams: list[GttTeam]) -> dict[tuple[int, str], int]:
    """Eligible stays per team and year, summed over the period draws (by period start)."""
    sizes: dict[tuple[int, str], int] = defaultdict(int)
    for draw in SampleDraw.objects.filter(period__team__in=teams).select_related("period"):
        sizes[(draw.period.team_id, str(draw.period.start.year))] += draw.eligible
    return sizes


def national_estimates(*, unit: OrgUnit) -> list[NationalYear]:
    """Yearly population-weighted share of stays with harm over the teams under `unit`."""
    teams = list(teams_within(unit=unit))
    sizes = population_sizes(teams=teams)
    per_year: dict[str, list[gtt_rates.Stratum]] = defaultdict(list)
    for team in teams:
        for row in gtt_rates.rates(team_rate_records(team=team), by="year"):
            per_year[row.period].append(gtt_rates.Stratum(
                team=team.code, reviewed=row.records, harmed=row.records_with_ae,
                population=sizes.get((team.pk, row.period), 0)))
    return [NationalYear(gtt_rates.national_estimate(strata, period=year), strata)
            for year, strata in sorted(per_year.items())]


@dataclass(frozen=True)
class StratumRow:
    year: str
    stratum: gtt_rates.Stratum
    weight: float
    suppressed: bool


def national_strata_visible(*, years: list[NationalYear], unit: OrgUnit,
                            user: Any) -> list[StratumRow]:
    """Each team's part in each year's estimate, so every figure traces to its data. For users
    who may not read the records, small counts of harmed stays are hidden as in roll-ups."""
    rows = []
    may_review = can(user, "gtt.review", unit)
    for year in years:
        total = year.estimate.population or 0
        counts = {s.team: s.harmed for s in year.strata}
        hide = set() if may_review else suppressed_cells(
            counts, children={"total": list(counts)}, threshold=threshold())
        for s in year.strata:
            weight = s.population / total if total and s.team not in year.estimate.excluded \
                else 0.0
            rows.append(StratumRow(year.estimate.period, s, weight, s.team in hide))
    return rows


def sample_reproduced(*, period: ReviewPeriod) -> bool | None:
    """Draw the sample again from the recorded seed and the stored discharge list: True when
    it gives exactly the period's records. None when the period has no draw."""
    from safehands.harm.models import Stay
    from safehands.harm.services import sample_choose

    draw = SampleDraw.objects.filter(period=period).first()
    if draw is None:
        return None
    tz = timezone.get_current_timezone()
    lower = datetime.combine(period.start, time(), tzinfo=tz)
    upper = datetime.combine(period.end + timedelta(days=1), time(), tzinfo=tz)
    taken_elsewhere = ReviewRecord.objects.filter(team=period.team).exclude(
        period=period).values("stay_id")
    stays = list(Stay.objects.filter(team=period.team, eligible=True, discharge_time__gte=lower,
                                     discharge_time__lt=upper).exclude(
        stay_id__in=taken_elsewhere).order_by("stay_id"))
    if len(stays) != draw.eligible:
        return False
    chosen = {s.stay_id for s in sample_choose(stays, size=draw.sample_size, seed=draw.seed)}
    return chosen == set(period.records.values_list("stay_id", flat=True))
