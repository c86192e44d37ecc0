"""`safehands assessment score|questionnaire` with CliRunner: the output contract, bad input."""

from __future__ import annotations

import csv
import json

from click.testing import CliRunner

from safehands.assessment import scoring
from safehands.cli.main import cli
from tests.assessment.test_fhir import check_questionnaire


def _run(*args: str):
    return CliRunner().invoke(cli, ["assessment", *args])


def test_score_writes_the_contract(tmp_path):
    ratings = tmp_path / "RATINGS.csv"
    ratings.write_text("rater,element,rating\nkari,st.clg.01,2\nola,st.clg.01,4\n"
                       "kari,st.ws.03,unsure\n")
    out = tmp_path / "SCORES.csv"
    result = _run("score", str(ratings), "--instrument", "safer-together", "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == list(scoring.SCORE_COLUMNS)
    assert len(rows) == 27 + 4
    first = rows[0]
    assert first == {"area": "safer-together.clg", "element": "st.clg.01", "raters": "2",
                     "mean_rating": "3", "min_rating": "2", "max_rating": "4", "unsure": "0"}
    area_rows = [r for r in rows if r["element"] == ""]
    assert [r["area"] for r in area_rows] == [
        "safer-together.clg", "safer-together.pfe", "safer-together.ws", "safer-together.ls"]
    ws = area_rows[2]
    assert (ws["raters"], ws["mean_rating"], ws["unsure"]) == ("1", "", "1")


def test_score_refuses_bad_rows_with_row_and_field_and_writes_nothing(tmp_path):
    ratings = tmp_path / "RATINGS.csv"
    ratings.write_text("rater,element,rating\nkari,st.clg.01,5\nkari,st.nope,1\n"
                       "ola,st.clg.02,1\nola,st.clg.02,2\n")
    out = tmp_path / "SCORES.csv"
    result = _run("score", str(ratings), "--instrument", "safer-together", "--out", str(out))
    assert result.exit_code != 0
    assert "row 2, field rating: " + scoring.OFF_SCALE.format(value="5") in result.output
    assert "row 3, field element: unknown element 'st.nope'" in result.output
    assert "row 5, field element: " + scoring.RATED_TWICE.format(
        rater="ola", element="st.clg.02", first=4) in result.output
    assert str(ratings) in result.output
    assert not out.exists()


def test_score_refuses_an_unknown_instrument(tmp_path):
    ratings = tmp_path / "R.csv"
    ratings.write_text("rater,element,rating\n")
    result = _run("score", str(ratings), "--instrument", "nope", "--out", str(tmp_path / "o"))
    assert result.exit_code != 0 and "Unknown instrument 'nope'" in result.output


def test_questionnaire_writes_valid_fhir(tmp_path):
    out = tmp_path / "Q.json"
    result = _run("questionnaire", "--instrument", "safer-together", "--out", str(out))
    assert result.exit_code == 0, result.output
    resource = json.loads(out.read_text())
    check_questionnaire(resource)
    assert len(resource["item"]) == 4
