"""Period keys: `2025-03` (month), `2025-W12` (ISO week), `2025-Q1` (quarter).

The same keys DHIS2 uses for its monthly, weekly and quarterly period types (ECOSYSTEM §1),
so files move between the two systems without translation. Pure Python, no Django: the key
is the only place the period lives, and parsing it is the only way in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

FREQUENCIES = ("weekly", "monthly", "quarterly")

BAD_PERIOD = "{key!r} is not a period; write 2025-03 (month), 2025-W12 (week) or 2025-Q1 (quarter)."
BAD_YEAR = "{key!r}: the year must be 1900 to 2999."
BAD_MONTH = "{key!r}: the month must be 01 to 12."
BAD_WEEK = "{key!r}: {year} has weeks W01 to W{weeks:02d}."
BAD_QUARTER = "{key!r}: the quarter must be Q1 to Q4."
FUTURE_PERIOD = "{key} has not started yet."
WRONG_FREQUENCY = "{key} is a {actual} period; this measure is reported {expected}."

_PATTERN = re.compile(r"^([0-9]{4})-(?:([0-9]{2})|W([0-9]{2})|Q([0-9]))$")

# The same rule as JSON Schema, for API parameters: all a pattern can say (it cannot say
# which years have a week 53; `parse` does).
KEY_PATTERN = (r"^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2]|W(0[1-9]|[1-4][0-9]|5[0-3])|Q[1-4])$")


class PeriodError(ValueError):
    """A period key that cannot be read, or is not allowed where it was given."""


@dataclass(frozen=True, order=True)
class Period:
    """A reporting period. Ordered by start date, then length (weeks before months)."""

    start: date
    end: date  # inclusive
    frequency: str
    key: str

    def __str__(self) -> str:
        return self.key

    def previous(self, count: int = 1) -> Period:
        period = self
        for _ in range(count):
            period = parse(period.start - timedelta(days=1), frequency=self.frequency)
        return period

    def next(self) -> Period:
        return parse(self.end + timedelta(days=1), frequency=self.frequency)


def _weeks_in(year: int) -> int:
    return date(year, 12, 28).isocalendar()[1]  # 28 December is always in the last ISO week


def _month_end(year: int, month: int) -> date:
    if month == 12:
        return date(year, 12, 31)
    return date(year, month + 1, 1) - timedelta(days=1)


def parse(key: str | date, *, frequency: str | None = None) -> Period:
    """The period of a key, or (with `frequency`) the period of that kind containing a date."""
    if isinstance(key, date):
        if frequency == "weekly":
            year, week, _ = key.isocalendar()
            return parse(f"{year}-W{week:02d}")
        if frequency == "quarterly":
            return parse(f"{key.year}-Q{(key.month - 1) // 3 + 1}")
        return parse(f"{key.year}-{key.month:02d}")
    text = str(key).strip()
    match = _PATTERN.match(text)
    if not match:
        raise PeriodError(BAD_PERIOD.format(key=key))
    year = int(match.group(1))
    if not 1900 <= year <= 2999:
        raise PeriodError(BAD_YEAR.format(key=text))
    month, week, quarter = match.group(2), match.group(3), match.group(4)
    if month is not None:
        m = int(month)
        if not 1 <= m <= 12:
            raise PeriodError(BAD_MONTH.format(key=text))
        return Period(date(year, m, 1), _month_end(year, m), "monthly", text)
    if week is not None:
        w = int(week)
        weeks = _weeks_in(year)
        if not 1 <= w <= weeks:
            raise PeriodError(BAD_WEEK.format(key=text, year=year, weeks=weeks))
        start = date.fromisocalendar(year, w, 1)
        return Period(start, start + timedelta(days=6), "weekly", text)
    q = int(quarter)
    if not 1 <= q <= 4:
        raise PeriodError(BAD_QUARTER.format(key=text))
    first = 3 * (q - 1) + 1
    return Period(date(year, first, 1), _month_end(year, first + 2), "quarterly", text)


def validate(key: str, *, frequency: str | None = None, today: date | None = None) -> Period:
    """Parse and check a key for data entry: right frequency, and already started."""
    period = parse(key)
    if frequency is not None and period.frequency != frequency:
        raise PeriodError(WRONG_FREQUENCY.format(
            key=period.key, actual=period.frequency, expected=frequency))
    if period.start > (today or date.today()):
        raise PeriodError(FUTURE_PERIOD.format(key=period.key))
    return period


def sort_key(key: str) -> tuple[date, int]:
    """Order period keys chronologically (a plain string sort puts W and Q keys wrongly)."""
    period = parse(key)
    return (period.start, (period.end - period.start).days)


def span(first: str, last: str) -> list[str]:
    """Every period key from `first` to `last` inclusive, both of the same frequency."""
    start, end = parse(first), parse(last)
    if start.frequency != end.frequency:
        raise PeriodError(WRONG_FREQUENCY.format(
            key=end.key, actual=end.frequency, expected=start.frequency))
    keys = []
    period = start
    while period.start <= end.start:
        keys.append(period.key)
        period = period.next()
    return keys


def latest(frequency: str, *, count: int, today: date | None = None) -> list[str]:
    """The `count` most recent started periods of a frequency, oldest first."""
    period = parse(today or date.today(), frequency=frequency)
    keys = [period.key]
    for _ in range(count - 1):
        period = period.previous()
        keys.append(period.key)
    return list(reversed(keys))


def has_ended(key: str | Period, *, today: date | None = None) -> bool:
    """True once the period is over: only then is a report for it due.

    Completeness counts only ended periods, so the month still running is never shown as
    0 % reported.
    """
    period = key if isinstance(key, Period) else parse(key)
    return period.end < (today or date.today())
