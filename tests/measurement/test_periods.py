from datetime import date

import pytest

from safehands.measurement import periods
from safehands.measurement.periods import PeriodError


@pytest.mark.parametrize("key,start,end,frequency", [
    ("2025-03", date(2025, 3, 1), date(2025, 3, 31), "monthly"),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "monthly"),
    ("2025-W12", date(2025, 3, 17), date(2025, 3, 23), "weekly"),
    ("2020-W53", date(2020, 12, 28), date(2021, 1, 3), "weekly"),
    ("2025-Q1", date(2025, 1, 1), date(2025, 3, 31), "quarterly"),
    ("2025-Q4", date(2025, 10, 1), date(2025, 12, 31), "quarterly"),
])
def test_parse_gives_the_dates_of_the_period(key, start, end, frequency):
    period = periods.parse(key)
    assert (period.start, period.end, period.frequency, period.key) == (start, end, frequency,
                                                                         key)


@pytest.mark.parametrize("key,message", [
    ("2025-3", periods.BAD_PERIOD.format(key="2025-3")),
    ("March 2025", periods.BAD_PERIOD.format(key="March 2025")),
    ("2025-13", periods.BAD_MONTH.format(key="2025-13")),
    ("2025-00", periods.BAD_MONTH.format(key="2025-00")),
    ("2025-W53", periods.BAD_WEEK.format(key="2025-W53", year=2025, weeks=52)),
    ("2025-Q5", periods.BAD_QUARTER.format(key="2025-Q5")),
])
def test_parse_names_what_is_wrong(key, message):
    with pytest.raises(PeriodError) as error:
        periods.parse(key)
    assert str(error.value) == message


def test_validate_refuses_a_period_that_has_not_started():
    with pytest.raises(PeriodError, match="2026-07 has not started yet"):
        periods.validate("2026-07", today=date(2026, 6, 30))
    assert periods.validate("2026-06", today=date(2026, 6, 1)).key == "2026-06"


def test_validate_refuses_the_wrong_frequency():
    with pytest.raises(PeriodError) as error:
        periods.validate("2025-Q1", frequency="monthly", today=date(2026, 1, 1))
    assert str(error.value) == periods.WRONG_FREQUENCY.format(
        key="2025-Q1", actual="quarterly", expected="monthly")


def test_periods_order_chronologically_not_as_text():
    keys = ["2025-Q1", "2025-W12", "2024-12", "2025-02", "2025-W01"]
    assert sorted(keys, key=periods.sort_key) == [
        "2024-12", "2025-W01", "2025-Q1", "2025-02", "2025-W12"]


def test_span_and_latest():
    assert periods.span("2024-11", "2025-02") == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert periods.span("2024-W52", "2025-W02") == ["2024-W52", "2025-W01", "2025-W02"]
    assert periods.latest("quarterly", count=3, today=date(2025, 2, 1)) == [
        "2024-Q3", "2024-Q4", "2025-Q1"]
    with pytest.raises(PeriodError):
        periods.span("2024-11", "2025-Q1")


def test_period_of_a_date():
    day = date(2025, 3, 19)
    assert periods.parse(day, frequency="weekly").key == "2025-W12"
    assert periods.parse(day, frequency="monthly").key == "2025-03"
    assert periods.parse(day, frequency="quarterly").key == "2025-Q1"
