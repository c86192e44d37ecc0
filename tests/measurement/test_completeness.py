"""Reporting completeness leaves out the period still running: its reports are not due."""

from __future__ import annotations

from datetime import date

import pytest

from safehands.measurement import periods, queries, services


@pytest.fixture
def login(client, make_user):
    def sign_in(*grants):
        user = make_user("leader", *grants)
        client.force_login(user)
        return user
    return sign_in


def test_a_period_has_ended_only_after_its_last_day():
    assert not periods.has_ended("2026-03", today=date(2026, 3, 31))
    assert periods.has_ended("2026-03", today=date(2026, 4, 1))
    assert not periods.has_ended("2026-Q2", today=date(2026, 4, 1))


def _enter(tree, measures, keys, numerator=2):
    for key in keys:
        services.data_value_upsert(unit=tree["W1"], measure=measures["falls.rate"], period=key,
                                   numerator=numerator, denominator=1000, actor=None)


def test_rollup_has_no_expected_units_for_the_open_period(enrolled, tree, measures):
    now, last = periods.latest("monthly", count=2)[::-1]
    _enter(tree, measures, [last, now])
    points = {p.period: p for p in queries.rollup(unit=tree["NO"], measure=measures["falls.rate"])}
    assert (points[last].reporting_units, points[last].expected_units) == (1, 3)
    assert (points[now].reporting_units, points[now].expected_units) == (1, None)


def test_rollup_page_and_csv_show_the_open_period_as_open(client, login, enrolled, tree,
                                                          measures):
    now, last = periods.latest("monthly", count=2)[::-1]
    _enter(tree, measures, [last, now], numerator=6)  # not a small count: shown to a viewer
    login(("NO", "viewer"))
    body = client.get("/measurement/NO/rollups/falls.rate/").content.decode()
    assert ">open</span>" in body
    csv_text = client.get("/measurement/NO/rollups/falls.rate/rollup.csv").content.decode()
    lines = dict(line.split(",", 1) for line in csv_text.splitlines()[1:])
    assert lines[last].endswith(",1,3")
    assert lines[now].endswith(",1,")


def test_dashboard_completeness_covers_only_ended_months(enrolled, tree, measures):
    today = date(2026, 5, 14)
    _enter(tree, measures, ["2026-04", "2026-05"])
    board = queries.dashboard(unit=tree["NO"], today=today)
    assert board.completeness_periods[-1] == "2026-04"
    assert len(board.completeness_periods) == 12
    points = board.completeness[measures["falls.rate"].pk]
    assert [p for p, _, _ in points] == board.completeness_periods
    assert points[-1] == ("2026-04", 1, 3)
    assert "2026-05" not in board.completeness_periods


def test_dashboard_page_heads_completeness_with_ended_months(client, login, enrolled, tree,
                                                             measures):
    now, last = periods.latest("monthly", count=2)[::-1]
    _enter(tree, measures, [last, now])
    login(("NO", "viewer"))
    response = client.get("/measurement/NO/dashboard/")
    assert response.context["recent"][-1] == last
    row = response.context["completeness"][0]["points"]
    assert [p["period"] for p in row] == response.context["recent"]
    assert row[-1]["percent"] == 33


def test_an_ended_enrolment_is_not_expected_after_its_end(enrolled, tree, measures):
    keys = ["2026-06", "2026-07", "2026-08"]
    _enter(tree, measures, keys)
    # W2 leaves falls in the middle of July: due for July, no longer for August.
    services.enrolment_end(enrolment=enrolled["W2"], ended=date(2026, 7, 15), actor=None,
                           today=date(2026, 9, 10))
    rate = measures["falls.rate"]
    points = {p.period: p for p in queries.rollup(unit=tree["NO"], measure=rate,
                                                  today=date(2026, 9, 10))}
    assert [points[k].expected_units for k in keys] == [3, 3, 2]
    # A measure W3 does not report: W1 and W2 were due, then W1 alone.
    injury = measures["falls.injury_rate"]
    for key in keys:
        services.data_value_upsert(unit=tree["W1"], measure=injury, period=key,
                                   numerator=1, denominator=1000, actor=None)
    points = {p.period: p for p in queries.rollup(unit=tree["NO"], measure=injury,
                                                  today=date(2026, 9, 10))}
    assert [points[k].expected_units for k in keys] == [2, 2, 1]
    board = queries.dashboard(unit=tree["NO"], today=date(2026, 9, 10))
    completeness = dict((p, (r, d)) for p, r, d in board.completeness[rate.pk])
    assert [completeness[k] for k in keys] == [(1, 3), (1, 3), (1, 2)]
    # The spread counts W2 at June's end, not at July's (it left on the 15th), nor as
    # enrolled today.
    spread = {month: sum(counts[i] for counts in board.spread["falls"].values())
              for i, month in enumerate(board.spread_months)}
    assert [spread[k] for k in keys] == [3, 2, 2]
    assert board.enrolled == {"falls": 2}


def test_reopening_an_enrolment_makes_it_expected_again(enrolled, tree, measures):
    _enter(tree, measures, ["2026-08"])
    services.enrolment_end(enrolment=enrolled["W2"], ended=date(2026, 7, 15), actor=None,
                           today=date(2026, 9, 10))
    services.enrolment_end(enrolment=enrolled["W2"], ended=None, actor=None,
                           today=date(2026, 9, 10))
    point = queries.rollup(unit=tree["NO"], measure=measures["falls.rate"],
                           today=date(2026, 9, 10))[0]
    assert point.expected_units == 3
