"""Scoring a team's self-assessment: pure Python, no Django.

Each rater gives every element a maturity rating 1-4 (1 Beginning, 2 Making progress,
3 Significant impact, 4 Exemplary) or "unsure" (NSC-SAT 2024 scale). Per element we report
how many raters answered, the mean, lowest and highest numeric rating, and the number of
"unsure" answers; "unsure" never counts as a number.

An area row aggregates its elements as the **mean of the element means** (each element
weighs the same however many raters scored it; elements nobody scored numerically are left
out and the area mean is empty when none are left). Its `raters` is the number of distinct
raters who answered any element of the area, `min_rating`/`max_rating` the lowest and
highest single rating in the area, and `unsure` the number of "unsure" answers in it.

The spread of an element is max - min: the team discusses the elements it disagrees on most
before the coordinator records the agreed score.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import NamedTuple

from safehands.core.csvtext import CsvReader
from safehands.core.errors import DomainError
from safehands.core.tables import csv_writer

SCALE = (1, 2, 3, 4)
UNSURE = "unsure"
REQUIRED_COLUMNS = ("rater", "element", "rating")
SCORE_COLUMNS = ("area", "element", "raters", "mean_rating", "min_rating", "max_rating",
                 "unsure")
DISPUTED_SPREAD = 2  # ratings two or more steps apart: worth a discussion

RATINGS_INVALID = "{file}: {count} problem(s), nothing was scored:"
EMPTY_FILE = "the file is empty; the first line must name the columns rater, element, rating"
MISSING_COLUMNS = "missing column(s) {columns}; the first line must name rater, element, rating"
RAGGED_ROW = "the row has {found} cells but the header has {expected}"
EMPTY_RATER = "the rater is empty"
UNKNOWN_ELEMENT = "unknown element {element!r} for instrument {instrument}"
OFF_SCALE = "{value!r} is not on the scale; use 1, 2, 3, 4 or unsure"
RATED_TWICE = "rater {rater!r} already rated element {element} on row {first}"
MAX_SHOWN = 20


@dataclass(frozen=True)
class Problem:
    row: int  # line in the file; the header is line 1
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, field {self.field}: {self.message}"


class RatingsInvalid(DomainError):
    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:MAX_SHOWN])
        more = f"\n  ... and {len(problems) - MAX_SHOWN} more" if len(problems) > MAX_SHOWN else ""
        super().__init__(RATINGS_INVALID.format(file=file, count=len(problems)) + "\n" + shown
                         + more, {"problems": [p.__dict__ for p in problems]})


class Rating(NamedTuple):
    """One answer; a tuple because a national batch holds millions of them."""

    rater: str
    element: str
    value: int | None  # None means "unsure"
    row: int = 0


@dataclass(frozen=True)
class ScoreRow:
    area: str
    element: str  # empty on an area row
    raters: int
    mean_rating: float | None
    min_rating: int | None
    max_rating: int | None
    unsure: int

    @property
    def spread(self) -> int | None:
        if self.min_rating is None or self.max_rating is None:
            return None
        return self.max_rating - self.min_rating

    @property
    def disputed(self) -> bool:
        return (self.spread or 0) >= DISPUTED_SPREAD


_VALUES: dict[str, int | None] = {str(v): v for v in SCALE} | {UNSURE: None}


def parse_rating(text: str) -> int | None:
    """'1'..'4' -> int, 'unsure' (any case) -> None; anything else raises ValueError."""
    value = text.strip()
    try:
        return _VALUES[value.lower()]
    except KeyError:
        raise ValueError(OFF_SCALE.format(value=value)) from None


def ratings_read(text: str, *, elements: Iterable[str], instrument: str,
                 file: str = "ratings") -> list[Rating]:
    """Parse RATINGS.csv (columns rater, element, rating; others ignored). All or nothing."""
    known = set(elements)
    reader = CsvReader(text)
    header = next(reader, None)
    if header is None or not any(cell.strip() for cell in header):
        raise RatingsInvalid(file, [Problem(1, "header", EMPTY_FILE)])
    names = [cell.strip().lower() for cell in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise RatingsInvalid(file, [Problem(1, "header", MISSING_COLUMNS.format(
            columns=", ".join(missing)))])
    index = {c: names.index(c) for c in REQUIRED_COLUMNS}
    problems: list[Problem] = []
    ratings: list[Rating] = []
    first_seen: dict[tuple[str, str], int] = {}
    for cells in reader:
        row = reader.line_num
        if not "".join(cells).strip():
            continue
        if len(cells) != len(header):
            problems.append(Problem(row, "row", RAGGED_ROW.format(found=len(cells),
                                                                  expected=len(header))))
            continue
        rater = cells[index["rater"]].strip()
        element = cells[index["element"]].strip()
        ok = True
        if not rater:
            problems.append(Problem(row, "rater", EMPTY_RATER))
            ok = False
        if element not in known:
            problems.append(Problem(row, "element", UNKNOWN_ELEMENT.format(
                element=element, instrument=instrument)))
            ok = False
        try:
            value = parse_rating(cells[index["rating"]])
        except ValueError as error:
            problems.append(Problem(row, "rating", str(error)))
            ok = False
        if not ok:
            continue
        key = (rater, element)
        if key in first_seen:
            problems.append(Problem(row, "element", RATED_TWICE.format(
                rater=rater, element=element, first=first_seen[key])))
            continue
        first_seen[key] = row
        ratings.append(Rating(rater, element, value, row))
    if problems:
        raise RatingsInvalid(file, problems)
    return ratings


def comments_read(text: str) -> dict[int, str]:
    """row number -> the optional `comment` column, for files that passed `ratings_read`."""
    reader = CsvReader(text)
    header = [cell.strip().lower() for cell in next(reader, [])]
    if "comment" not in header:
        return {}
    at = header.index("comment")
    comments: dict[int, str] = {}
    for cells in reader:
        if len(cells) > at and cells[at].strip():
            comments[reader.line_num] = cells[at].strip()
    return comments


def _element_row(area: str, element: str, ratings: Sequence[Rating]) -> ScoreRow:
    values = [r.value for r in ratings if r.value is not None]
    return ScoreRow(
        area=area, element=element, raters=len({r.rater for r in ratings}),
        mean_rating=fmean(values) if values else None,
        min_rating=min(values) if values else None,
        max_rating=max(values) if values else None,
        unsure=sum(1 for r in ratings if r.value is None),
    )


def score(ratings: Iterable[Rating], *,
          areas: Sequence[tuple[str, Sequence[str]]]) -> list[ScoreRow]:
    """Element rows in instrument order, each area's row right after its elements.

    `areas` lists (area code, element codes) in instrument order. Every element gets a row,
    rated or not, so the output always has the same shape.
    """
    by_element: dict[str, list[Rating]] = {}
    for rating in ratings:
        by_element.setdefault(rating.element, []).append(rating)
    rows: list[ScoreRow] = []
    for area, elements in areas:
        element_rows = [_element_row(area, e, by_element.get(e, [])) for e in elements]
        rows.extend(element_rows)
        area_ratings = [r for e in elements for r in by_element.get(e, [])]
        means = [row.mean_rating for row in element_rows if row.mean_rating is not None]
        values = [r.value for r in area_ratings if r.value is not None]
        rows.append(ScoreRow(
            area=area, element="", raters=len({r.rater for r in area_ratings}),
            mean_rating=fmean(means) if means else None,
            min_rating=min(values) if values else None,
            max_rating=max(values) if values else None,
            unsure=sum(1 for r in area_ratings if r.value is None),
        ))
    return rows


def number_text(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return repr(float(value))  # the shortest decimal that round-trips, as `safehands spc`


def scores_csv(rows: Iterable[ScoreRow]) -> str:
    """SCORES.csv: the column contract of `safehands assessment score`; empty cells for none."""
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(SCORE_COLUMNS)
    for row in rows:
        writer.writerow([row.area, row.element, row.raters, number_text(row.mean_rating),
                         number_text(row.min_rating), number_text(row.max_rating), row.unsure])
    return out.getvalue()
