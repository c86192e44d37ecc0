"""The analysis queries: counts, near misses, closure times, factors, bed days and rates."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from safehands.core.errors import DomainError
from safehands.events import analysis, rates
from safehands.events import scope as event_scope
from safehands.events.scope import Scope

OSLO = ZoneInfo("Europe/Oslo")


def at(text: str) -> datetime:
    """A time on Oslo's clock: '2026-01-31 23:30'."""
    return datetime.fromisoformat(text).replace(tzinfo=OSLO)


@pytest.fixture
def add(tree, people, report):
    """add(unit, "2026-01-10 12:00", **fields) -> an event reported two hours later."""

    def make(code: str, when: str, **fields):
        occurred = at(when)
        return report(org_unit=tree[code], occurred_at=occurred,
                      reported_at=fields.pop("reported_at", occurred + timedelta(hours=2)),
                      **fields).event

    return make


@pytest.fixture
def bed_days(tree, catalogue):
    """bed_days("W1", "2026-01", 900, measure="falls.rate"): a data value with that
    denominator for an enrolled unit."""
    from safehands.catalogue.models import Measure, TargetArea
    from safehands.measurement.models import Enrolment
    from safehands.measurement.services import data_value_upsert, enrolment_create

    falls = TargetArea.objects.get(code="falls")

    def make(code: str, period: str, days: float, measure: str = "falls.rate",
             numerator: float = 1):
        unit = tree[code]
        if not Enrolment.objects.filter(unit=unit, target_area=falls).exists():
            enrolment_create(unit=unit, target_area=falls, started=date(2020, 1, 1), actor=None)
        return data_value_upsert(unit=unit, measure=Measure.objects.get(code=measure),
                                 period=period, numerator=numerator, denominator=days,
                                 actor=None, source="system")

    return make


def _close(event, people, *, days: float):
    from safehands.events.services import event_step

    handler, lead = people["handler"], people["lead"]
    event_step(event=event, step="triage", actor=handler, at=event.reported_at)
    event_step(event=event, step="request_approval", actor=handler, feedback="Thank you.",
               at=event.reported_at)
    return event_step(event=event, step="close", actor=lead,
                      at=event.reported_at + timedelta(days=days))


def test_only_counted_statuses_count(add, people):
    from safehands.events.services import event_step

    add("W1", "2026-01-10 12:00")
    rejected = add("W1", "2026-01-11 12:00")
    event_step(event=rejected, step="reject", actor=people["handler"], note="Not an event.")
    duplicate = add("W1", "2026-01-12 12:00")
    event_step(event=duplicate, step="duplicate", actor=people["handler"],
               duplicate_of=rejected)
    scope = Scope(people["handler"].memberships.get().org_unit)
    assert event_scope.events_counted(scope).count() == 1
    assert [(r.key, r.events) for r in analysis.counts_by(scope, "event_type")] == [("fall", 1)]


def test_an_event_belongs_to_its_oslo_month(add, tree):
    # 23:30 on 31 January in Oslo is 22:30 UTC, still January; 00:30 on 1 February in Oslo
    # is 23:30 UTC on 31 January, but February on the programme's clock.
    add("W1", "2026-01-31 23:30")
    add("W1", "2026-02-01 00:30")
    cells = rates.month_cells(Scope(tree["W1"]))
    assert [(c.month, c.events) for c in cells] == [(date(2026, 1, 1), 1),
                                                     (date(2026, 2, 1), 1)]
    january = Scope(tree["W1"], date_from=date(2026, 1, 1), date_to=date(2026, 1, 31))
    assert event_scope.events_counted(january).count() == 1


def test_subtree_or_the_unit_alone(add, tree):
    add("W1", "2026-01-10 12:00")
    add("W2", "2026-01-10 12:00", event_type="medication")
    add("W3", "2026-01-10 12:00")
    assert event_scope.events_counted(Scope(tree["H1"])).count() == 2
    assert event_scope.events_counted(Scope(tree["H1"], subtree=False)).count() == 0
    assert event_scope.events_counted(Scope(tree["NO"])).count() == 3


def test_counts_by_type_outcome_target_area_and_category(add, tree):
    add("W1", "2026-01-10 12:00", outcome="severe")
    add("W1", "2026-01-11 12:00", outcome="none", reached_patient=False)
    add("W2", "2026-01-12 12:00", event_type="medication", outcome="low")
    add("W2", "2026-01-13 12:00", event_type="staff_violence", outcome="moderate")
    add("W2", "2026-01-14 12:00", event_type="documentation", outcome="none")
    scope = Scope(tree["H1"])
    by_type = {r.key: (r.events, r.near_misses) for r in analysis.counts_by(scope, "event_type")}
    assert by_type == {"fall": (2, 1), "medication": (1, 0), "staff_violence": (1, 0),
                       "documentation": (1, 0)}
    assert analysis.counts_by(scope, "event_type")[0].share == pytest.approx(0.4)
    assert [r.key for r in analysis.counts_by(scope, "outcome")] == [
        "none", "low", "moderate", "severe"]  # order of severity
    areas = {r.key: r.events for r in analysis.counts_by(scope, "target_area")}
    assert areas == {"falls": 2, "med_reconciliation": 1, "": 2}
    categories = analysis.category_harm(scope)
    assert [(c.category, c.events, c.harmed, c.serious) for c in categories] == [
        ("patient", 4, 2, 1), ("staff", 1, 1, 1)]
    with pytest.raises(ValueError):
        analysis.counts_by(scope, "description")


def test_near_miss_share_is_among_the_events_where_it_is_known(add, tree):
    add("W1", "2026-01-10 12:00", reached_patient=False)
    add("W1", "2026-01-11 12:00", reached_patient=True)
    add("W1", "2026-01-12 12:00", reached_patient=True)
    add("W1", "2026-01-13 12:00", reached_patient=None)
    share = analysis.near_miss_share(Scope(tree["W1"]))
    assert (share.events, share.known, share.near_misses, share.unknown) == (4, 3, 1, 1)
    assert share.share == pytest.approx(1 / 3)
    assert analysis.near_miss_share(Scope(tree["W3"])).share is None


def test_closure_times_median_and_90th_percentile(add, tree, people):
    import numpy as np

    days = [1, 2, 3, 10, 30]
    for i, d in enumerate(days):
        _close(add("W1", f"2026-01-{10 + i} 12:00"), people, days=d)
    add("W1", "2026-01-20 12:00")  # open: not in the closure times
    times = analysis.closure_times(Scope(tree["H1"]))
    assert times.closed == 5
    assert times.median_days == pytest.approx(np.percentile(days, 50))
    assert times.p90_days == pytest.approx(np.percentile(days, 90))  # 22.0, interpolated
    empty = analysis.closure_times(Scope(tree["W3"]))
    assert (empty.closed, empty.median_days, empty.p90_days) == (0, None, None)


def test_factor_pareto_counts_both_stages_and_accumulates(add, tree, people):
    from safehands.events.investigation import investigation_update
    from safehands.events.services import event_step

    add("W1", "2026-01-10 12:00", factors=["team.handover", "environment.staffing"])
    add("W1", "2026-01-11 12:00", factors=["team.handover"])
    third = add("W1", "2026-01-12 12:00", factors=["team.handover"])
    event_step(event=third, step="triage", actor=people["handler"])
    event_step(event=third, step="investigate", actor=people["handler"])
    third.refresh_from_db()
    investigation_update(event=third, actor=people["handler"], summary="Found.",
                         factors=["team.handover", "task.it"])
    rows = analysis.factor_pareto(Scope(tree["H1"]))
    assert [(r.code, r.reported, r.investigation, r.events) for r in rows] == [
        ("team.handover", 3, 1, 3), ("environment.staffing", 1, 0, 1), ("task.it", 0, 1, 1)]
    assert [round(r.cumulative, 3) for r in rows] == [0.6, 0.8, 1.0]
    assert rows[0].share == pytest.approx(0.6)


def test_bed_days_prefer_falls_rate_and_sum_over_the_subtree(add, tree, bed_days):
    bed_days("W1", "2026-01", 900)
    bed_days("W1", "2026-01", 800, measure="falls.injury_rate")  # falls.rate wins
    bed_days("W2", "2026-01", 500, measure="falls.injury_rate")  # the only one: used
    bed_days("W2", "2026-02", 450)
    assert rates.bed_days_by_month(Scope(tree["H1"])) == {
        date(2026, 1, 1): 1400.0, date(2026, 2, 1): 450.0}
    assert rates.bed_days_by_month(Scope(tree["W1"], subtree=False)) == {
        date(2026, 1, 1): 900.0}
    assert rates.bed_days_by_month(Scope(tree["H2"])) == {}


def test_stats_rows_by_month_quarter_and_year(add, tree, bed_days):
    bed_days("W1", "2026-01", 1000)
    bed_days("W1", "2026-02", 500)
    add("W1", "2026-01-10 12:00")
    add("W1", "2026-01-11 12:00", reached_patient=False, outcome="none")
    add("W1", "2026-02-11 12:00")
    add("W1", "2026-04-02 12:00")  # no bed days in April
    scope = Scope(tree["W1"])
    monthly = [(r.period, r.event_type, r.outcome, r.events, r.near_misses, r.bed_days,
                r.events_per_1000_bed_days) for r in rates.stats_rows(scope, by="month")]
    assert monthly == [
        ("2026-01", "fall", "none", 1, 1, 1000.0, 1.0),
        ("2026-01", "fall", "low", 1, 0, 1000.0, 1.0),
        ("2026-02", "fall", "low", 1, 0, 500.0, 2.0),
        ("2026-04", "fall", "low", 1, 0, None, None),
    ]
    quarterly = [(r.period, r.outcome, r.events, r.bed_days, r.events_per_1000_bed_days)
                 for r in rates.stats_rows(scope, by="quarter")]
    assert quarterly == [("2026-Q1", "none", 1, 1500.0, pytest.approx(1 / 1.5)),
                         ("2026-Q1", "low", 2, 1500.0, pytest.approx(2 / 1.5)),
                         ("2026-Q2", "low", 1, None, None)]
    yearly = [(r.period, r.outcome, r.events) for r in rates.stats_rows(scope, by="year")]
    assert yearly == [("2026", "none", 1), ("2026", "low", 3)]
    with pytest.raises(DomainError, match="'week' is not a way to group periods"):
        rates.stats_rows(scope, by="week")


def test_a_stats_row_rate_is_its_own_events_over_its_own_bed_days(add, tree, bed_days):
    # W1 reports 1000 bed days; W2 reports none. The row can be checked from its columns;
    # the u chart of the page counts only W1's events (see the monthly series).
    bed_days("W1", "2026-01", 1000)
    add("W1", "2026-01-10 12:00")
    add("W1", "2026-01-11 12:00")
    add("W2", "2026-01-12 12:00")
    (row,) = rates.stats_rows(Scope(tree["H1"]), by="month")
    assert (row.events, row.bed_days, row.events_per_1000_bed_days) == (3, 1000.0, 3.0)
    (month,) = rates.monthly_series(Scope(tree["H1"]))
    assert month.per_1000_bed_days == 2.0


def test_monthly_series_fills_months_without_events(add, tree, bed_days):
    bed_days("W1", "2026-02", 700)
    add("W1", "2026-01-10 12:00")
    add("W1", "2026-03-10 12:00")
    series = rates.monthly_series(Scope(tree["W1"]))
    assert [(p.period, p.events, p.bed_days) for p in series] == [
        ("2026-01", 1, None), ("2026-02", 0, 700.0), ("2026-03", 1, None)]
    assert series[1].per_1000_bed_days == 0.0
    bounded = rates.monthly_series(Scope(tree["W1"], date_from=date(2025, 12, 1),
                                            date_to=date(2026, 1, 31)))
    assert [p.period for p in bounded] == ["2025-12", "2026-01"]
    assert rates.monthly_series(Scope(tree["W3"])) == []


def test_reversed_period_is_refused(tree):
    with pytest.raises(DomainError, match=r"starts \(2026-02-01\) after it ends \(2026-01-01\)"):
        Scope(tree["W1"], date_from=date(2026, 2, 1), date_to=date(2026, 1, 1))


def _breakdown(rows):
    return {(r.unit.code, r.own): (r.events, r.near_misses, r.serious) for r in rows}


@override_settings(SAFEHANDS_SMALL_CELL_THRESHOLD=3)
def test_child_breakdown_suppresses_small_counts_for_viewers(add, tree, people, make_user):
    for i in range(6):
        add("W1", f"2026-01-{10 + i} 12:00")
    add("W2", "2026-01-20 12:00", outcome="severe")
    viewer = make_user("region.viewer", ("R1", "viewer"))
    scope = Scope(tree["H1"])
    # The hospital's handler reads the reports: every count is shown.
    assert _breakdown(analysis.child_breakdown(scope, user=people["handler"])) == {
        ("W1", False): (6, 0, 0), ("W2", False): (1, 0, 1)}
    # A viewer sees W2's single event hidden; W1's count would give it back from the
    # hospital's total, so it is hidden too (secondary suppression).
    rows = analysis.child_breakdown(scope, user=viewer)
    assert _breakdown(rows) == {("W1", False): (None, None, None),
                                ("W2", False): (None, None, None)}
    assert rows[1].suppressed == ("events", "near_misses", "serious")
    # The server operator (no user) sees everything.
    assert _breakdown(analysis.child_breakdown(scope)) == {
        ("W1", False): (6, 0, 0), ("W2", False): (1, 0, 1)}


@override_settings(SAFEHANDS_SMALL_CELL_THRESHOLD=3)
def test_child_breakdown_has_a_row_for_the_units_own_events(add, tree, make_user):
    for i in range(4):
        add("W1", f"2026-01-{10 + i} 12:00")
        add("W2", f"2026-01-{10 + i} 13:00")
        add("H1", f"2026-01-{10 + i} 14:00")
    viewer = make_user("region.viewer", ("R1", "viewer"))
    rows = analysis.child_breakdown(Scope(tree["H1"]), user=viewer)
    assert _breakdown(rows)[("H1", True)] == (4, None, None)
    assert _breakdown(rows)[("W1", False)] == (4, None, None)  # zeros are small counts too


def test_analysis_get_bundles_every_table(add, tree, bed_days, people):
    bed_days("W1", "2026-01", 1000)
    add("W1", "2026-01-10 12:00", factors=["team.handover"])
    result = analysis.analysis_get(Scope(tree["H1"], date_from=date(2026, 1, 1),
                                         date_to=date(2026, 3, 31)), by="quarter",
                                   user=people["viewer"])
    assert result.near_miss.events == 1
    assert [p.period for p in result.series] == ["2026-01", "2026-02", "2026-03"]
    assert [r.period for r in result.periods] == ["2026-Q1"]
    assert result.has_bed_days
    assert result.factors[0].code == "team.handover"


def test_bed_day_spans_are_unbroken_runs_of_months(tree, bed_days):
    for period in ("2025-11", "2025-12", "2026-01", "2026-03"):
        bed_days("W1", period, 900)
    bed_days("W2", "2026-02", 400, measure="falls.injury_rate")
    spans = sorted(rates.bed_day_spans(Scope(tree["H1"])))
    w1, w2 = tree["W1"].pk, tree["W2"].pk
    assert sorted(spans) == sorted([
        (w1, at("2025-11-01 00:00"), at("2026-02-01 00:00")),
        (w1, at("2026-03-01 00:00"), at("2026-04-01 00:00")),
        (w2, at("2026-02-01 00:00"), at("2026-03-01 00:00")),
    ])


def test_months_fall_on_oslos_clock_and_quarters_sum_their_bed_days(add, tree, bed_days):
    # W1 reports bed days for January and March, not February. Events at the edges of the
    # months on Oslo's clock (summer time from 29 March) fall where they belong.
    bed_days("W1", "2026-01", 1000)
    bed_days("W1", "2026-03", 500)
    add("W1", "2026-01-01 00:10")
    add("W1", "2026-01-31 23:50")
    add("W1", "2026-02-15 12:00")
    add("W1", "2026-03-31 23:50")  # 21:50 UTC, still March
    add("W1", "2026-04-01 00:10")  # 22:10 UTC on 31 March, but April: no bed days
    cells = {c.month: (c.events, c.with_bed_days) for c in rates.month_cells(
        Scope(tree["H1"]))}
    assert cells == {date(2026, 1, 1): (2, 2), date(2026, 2, 1): (1, 0),
                     date(2026, 3, 1): (1, 1), date(2026, 4, 1): (1, 0)}
    quarter = rates.stats_rows(Scope(tree["H1"]), by="quarter")
    assert [(r.period, r.events, r.bed_days, r.events_per_1000_bed_days) for r in quarter] == [
        ("2026-Q1", 4, 1500.0, pytest.approx(4 / 1.5)), ("2026-Q2", 1, None, None)]


def test_a_unit_alone_and_a_period_bound_the_cells(add, tree, bed_days):
    bed_days("H1", "2026-01", 300)
    add("H1", "2026-01-10 12:00")
    add("W1", "2026-01-10 12:00")
    add("H1", "2026-02-10 12:00")
    alone = rates.month_cells(Scope(tree["H1"], subtree=False, date_to=date(2026, 1, 31)))
    assert [(c.month, c.events, c.with_bed_days, c.known) for c in alone] == [
        (date(2026, 1, 1), 1, 1, 1)]


def test_counts_from_cells_match_the_counts_of_the_database(add, tree):
    add("W1", "2026-01-10 12:00", outcome="severe", reached_patient=None)
    add("W1", "2026-02-11 12:00", outcome="none", reached_patient=False)
    add("W2", "2026-02-12 12:00", event_type="medication", outcome="low")
    scope = Scope(tree["H1"])
    cells = rates.month_cells(scope)
    for name in ("event_type", "outcome"):
        assert analysis.counts_from_cells(cells, name) == analysis.counts_by(scope, name)
    result = analysis.analysis_get(scope)
    assert result.near_miss == analysis.near_miss_share(scope)
