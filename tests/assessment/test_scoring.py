"""Scoring: hand-computed examples and one test per kind of bad input."""

from __future__ import annotations

import pytest

from safehands.assessment import scoring
from safehands.assessment.scoring import Rating, RatingsInvalid, ratings_read, score, scores_csv

ELEMENTS = ["a.1", "a.2", "b.1"]
AREAS = [("a", ["a.1", "a.2"]), ("b", ["b.1"])]


def _read(text: str) -> list[Rating]:
    return ratings_read(text, elements=ELEMENTS, instrument="test", file="R.csv")


def test_element_and_area_rows_by_hand():
    ratings = _read("rater,element,rating\n"
                    "kari,a.1,1\nola,a.1,2\nper,a.1,4\n"
                    "kari,a.2,unsure\nola,a.2,3\n"
                    "kari,b.1,UNSURE\n")
    rows = {(r.area, r.element): r for r in score(ratings, areas=AREAS)}
    a1 = rows[("a", "a.1")]
    assert (a1.raters, a1.mean_rating, a1.min_rating, a1.max_rating, a1.unsure) == (
        3, 7 / 3, 1, 4, 0)
    assert a1.spread == 3 and a1.disputed
    a2 = rows[("a", "a.2")]
    assert (a2.raters, a2.mean_rating, a2.unsure) == (2, 3, 1)
    # Area a: mean of element means (7/3 + 3) / 2, not the mean of the five ratings (2.6).
    area_a = rows[("a", "")]
    assert area_a.mean_rating == pytest.approx((7 / 3 + 3) / 2)
    assert (area_a.raters, area_a.min_rating, area_a.max_rating, area_a.unsure) == (3, 1, 4, 1)
    # Only "unsure" answers: counted, but no numbers.
    b = rows[("b", "")]
    assert (b.raters, b.mean_rating, b.min_rating, b.unsure) == (1, None, None, 1)


def test_every_element_gets_a_row_in_instrument_order_with_area_rows_after():
    rows = score([], areas=AREAS)
    assert [(r.area, r.element) for r in rows] == [
        ("a", "a.1"), ("a", "a.2"), ("a", ""), ("b", "b.1"), ("b", "")]
    assert all(r.raters == 0 and r.mean_rating is None for r in rows)


def test_scores_csv_columns_and_numbers():
    ratings = _read("rater,element,rating\nkari,a.1,1\nola,a.1,2\n")
    text = scores_csv(score(ratings, areas=AREAS))
    lines = text.splitlines()
    assert lines[0] == "area,element,raters,mean_rating,min_rating,max_rating,unsure"
    assert lines[1] == "a,a.1,2,1.5,1,2,0"
    assert lines[2] == "a,a.2,0,,,,0"
    assert lines[3] == "a,,2,1.5,1,2,0"


def test_extra_columns_bom_blank_lines_and_whitespace_are_accepted():
    ratings = _read("\ufeffRater, Element ,rating,comment\n\n kari , a.1 , 3 ,fine\n")
    assert ratings == [Rating("kari", "a.1", 3, 3)]


def _problems(text: str) -> list[str]:
    with pytest.raises(RatingsInvalid) as caught:
        _read(text)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize("value", ["0", "5", "2.5", "", "maybe"])
def test_rating_off_the_scale_names_row_and_field(value):
    problems = _problems(f"rater,element,rating\nkari,a.1,1\nola,a.1,{value}\n")
    assert problems == ["row 3, field rating: " + scoring.OFF_SCALE.format(value=value)]


def test_unknown_element_names_row_and_field():
    assert _problems("rater,element,rating\nkari,z.9,1\n") == [
        "row 2, field element: " + scoring.UNKNOWN_ELEMENT.format(element="z.9",
                                                                 instrument="test")]


def test_rater_rating_an_element_twice_is_refused():
    assert _problems("rater,element,rating\nkari,a.1,1\nola,a.1,2\nkari,a.1,3\n") == [
        "row 4, field element: " + scoring.RATED_TWICE.format(rater="kari", element="a.1",
                                                             first=2)]


def test_missing_column_empty_file_empty_rater_and_ragged_row():
    assert _problems("rater,rating\n")[0].endswith(
        scoring.MISSING_COLUMNS.format(columns="element"))
    assert _problems("")[0].endswith(scoring.EMPTY_FILE)
    assert _problems("rater,element,rating\n,a.1,1\n") == [
        "row 2, field rater: " + scoring.EMPTY_RATER]
    assert _problems("rater,element,rating\nkari,a.1\n") == [
        "row 2, field row: " + scoring.RAGGED_ROW.format(found=2, expected=3)]


def test_every_problem_is_reported_and_the_message_names_the_file():
    with pytest.raises(RatingsInvalid) as caught:
        _read("rater,element,rating\nkari,a.1,9\nkari,x,1\n")
    assert len(caught.value.problems) == 2
    assert caught.value.message.startswith("R.csv: 2 problem(s), nothing was scored:")
