"""`safehands survey score`: the CSV contract, protection and bad input."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from safehands.cli.main import cli

TEAM = ["SAQ1", "SAQ2", "SAQ3", "SAQ4", "SAQ5", "SAQ6"]


def _run(tmp_path: Path, text: str, *args: str):
    src = tmp_path / "responses.csv"
    src.write_text(text, encoding="utf-8")
    out = tmp_path / "scores.csv"
    result = CliRunner().invoke(cli, ["survey", "score", str(src), *args, "--out", str(out)])
    rows = list(csv.DictReader(out.open(encoding="utf-8"))) if out.exists() else []
    return result, rows


def _saq_rows(unit: str, n: int, answers: str) -> str:
    return "".join(f"{unit},{answers}\n" for _ in range(n))


def test_saq_scores_per_group_with_the_contract_columns(tmp_path):
    text = "unit," + ",".join(TEAM) + "\n"
    text += _saq_rows("W1", 3, "5,1,4,4,5,4")     # 87.5, positive
    text += _saq_rows("W1", 2, "4,4,4,3,3,4")     # 58.33, not positive
    text += _saq_rows("W2", 6, "4,2,4,4,4,4")     # 75, positive
    result, rows = _run(tmp_path, text, "--instrument", "saq", "--by", "unit")
    assert result.exit_code == 0, result.output
    assert list(rows[0]) == ["group", "scale", "respondents", "mean_score", "pct_positive",
                             "suppressed", "mature"]
    team = {r["group"]: r for r in rows if r["scale"] == "teamwork_climate"}
    assert [r["group"] for r in rows[:6]] == ["all"] * 6
    w1 = team["W1"]
    assert (w1["respondents"], w1["pct_positive"], w1["suppressed"], w1["mature"]) == (
        "5", "60", "false", "true")
    assert float(w1["mean_score"]) == pytest.approx((3 * 87.5 + 2 * 175 / 3) / 5)
    assert team["W2"]["pct_positive"] == "100"
    assert team["all"]["respondents"] == "11"
    # scales nobody answered: no respondents, suppressed
    job = next(r for r in rows if r["group"] == "W1" and r["scale"] == "job_satisfaction")
    assert job["suppressed"] == "true" and job["respondents"] == ""


def test_suppressed_group_and_its_sibling_carry_no_numbers(tmp_path):
    text = "unit," + ",".join(TEAM) + "\n" + _saq_rows("W1", 3, "5,1,5,5,5,5")
    text += _saq_rows("W2", 6, "4,2,4,4,4,4") + _saq_rows("W3", 9, "4,2,4,4,4,4")
    result, rows = _run(tmp_path, text, "--instrument", "saq", "--by", "unit")
    assert result.exit_code == 0, result.output
    team = {r["group"]: r for r in rows if r["scale"] == "teamwork_climate"}
    for group in ("W1", "W2"):   # W1 below 5; W2 would reveal it as all - W2 - W3
        row = team[group]
        assert row["suppressed"] == "true"
        assert [row[c] for c in ("respondents", "mean_score", "pct_positive", "mature")] == [
            "", "", "", ""]
    assert team["W3"]["suppressed"] == "false" and team["all"]["respondents"] == "18"


def test_min_respondents_option(tmp_path):
    text = "unit," + ",".join(TEAM) + "\n" + _saq_rows("W1", 3, "5,1,5,5,5,5")
    result, rows = _run(tmp_path, text, "--instrument", "saq", "--by", "unit",
                       "--min-respondents", "3")
    assert result.exit_code == 0
    assert rows[0]["group"] == "all" and rows[0]["suppressed"] == "false"


def test_sops_composites_without_mature_column(tmp_path):
    text = "A1,A8,A9\n5,4,1\n4,4,2\n3,4,4\n9,2,5\n,1,9\n"
    result, rows = _run(tmp_path, text, "--instrument", "sops-hospital-2")
    assert result.exit_code == 0, result.output
    assert "mature" not in rows[0]
    assert [r["scale"] for r in rows] == [
        "communication_openness", "teamwork", "supervisor_support", "management_support",
        "response_to_error", "reporting_events", "communication_about_error", "handoffs",
        "organizational_learning", "staffing_and_work_pace"]
    team = next(r for r in rows if r["scale"] == "teamwork")
    assert team["respondents"] == "5"
    assert float(team["pct_positive"]) == pytest.approx((200 / 3 + 60 + 50) / 3)


def test_answer_outside_the_scale_names_row_and_column(tmp_path):
    text = "unit,SAQ1,SAQ2\nW1,4,4\nW1,4,7\n"
    result, _ = _run(tmp_path, text, "--instrument", "saq", "--by", "unit")
    assert result.exit_code != 0
    assert "row 3, column SAQ2: 7 is not an answer to SAQ2 (allowed: 1, 2, 3, 4, 5, 9)" in (
        result.output)
    assert not (tmp_path / "scores.csv").exists()


def test_text_answer_names_row_and_column(tmp_path):
    result, _ = _run(tmp_path, "SAQ1\nagree\n", "--instrument", "saq")
    assert result.exit_code != 0
    assert "row 2, column SAQ1: 'agree' is not a whole number" in result.output


def test_unknown_item_code_is_an_error(tmp_path):
    result, _ = _run(tmp_path, "SAQ1,SAQ24\n4,4\n", "--instrument", "saq")
    assert result.exit_code != 0
    assert "row 1, column SAQ24: 'SAQ24' is not an item code of saq" in result.output


def test_missing_group_column_is_an_error(tmp_path):
    result, _ = _run(tmp_path, "SAQ1\n4\n", "--instrument", "saq", "--by", "unit")
    assert result.exit_code != 0
    assert "there is no column 'unit' for --by" in result.output


def test_ragged_row_is_an_error(tmp_path):
    result, _ = _run(tmp_path, "SAQ1,SAQ2\n4\n", "--instrument", "saq")
    assert result.exit_code != 0
    assert "row 2: 1 cells where the header has 2" in result.output


def test_empty_file_is_an_error(tmp_path):
    result, _ = _run(tmp_path, "", "--instrument", "saq")
    assert result.exit_code != 0 and "empty" in result.output


def test_unknown_instrument_is_refused(tmp_path):
    result, _ = _run(tmp_path, "SAQ1\n4\n", "--instrument", "nope")
    assert result.exit_code != 0


def test_questionnaire_round_trips_through_import_wording(tmp_path, instruments, make_user):
    import json

    from safehands.culture.models import Item

    make_user("prog.admin", is_programme_admin=True)
    out = tmp_path / "q.json"
    result = CliRunner().invoke(cli, ["survey", "questionnaire", "--instrument", "saq",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    q = json.loads(out.read_text(encoding="utf-8"))
    assert q["resourceType"] == "Questionnaire" and "demo wording" in q["description"]
    team = q["item"][0]
    assert team["linkId"] == "teamwork_climate" and len(team["item"]) == 6
    assert [o["valueCoding"]["code"] for o in team["item"][0]["answerOption"]] == [
        "1", "2", "3", "4", "5", "9"]
    team["item"][0]["text"] = "Licensed wording of item one"
    out.write_text(json.dumps(q), encoding="utf-8")
    result = CliRunner().invoke(cli, ["survey", "import-wording", str(out), "--instrument",
                                      "saq", "--format", "fhir", "--as", "prog.admin"])
    assert result.exit_code == 0, result.output
    assert "saq: 41 item texts replaced" in result.output
    assert Item.objects.get(instrument__code="saq", code="SAQ1").text == (
        "Licensed wording of item one")


def test_import_wording_refuses_a_user_without_rights(tmp_path, instruments, make_user):
    make_user("plain")
    src = tmp_path / "w.csv"
    src.write_text("code,text\nSAQ1,x\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["survey", "import-wording", str(src), "--instrument",
                                      "saq", "--format", "csv", "--as", "plain"])
    assert result.exit_code != 0
    assert "programme-administrator" in result.output


def test_define_a_local_instrument(tmp_path, db, make_user):
    make_user("prog.admin", is_programme_admin=True)
    src = tmp_path / "local.yaml"
    src.write_text(
        "code: pulse\nname: Pulse\nmethod: sops\nresponse_scales:\n  agree5:\n    options:\n"
        "      - {value: 1, label: Low}\n      - {value: 5, label: High}\n"
        "scales: [{code: pulse, name: Pulse}]\n"
        "items: [{code: P1, scale: pulse, text: We learn from events.}]\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["survey", "define", str(src), "--as", "prog.admin"])
    assert result.exit_code == 0, result.output
    assert "instrument pulse: 1 items" in result.output
    bad = CliRunner().invoke(cli, ["survey", "define", str(src), "--as", "prog.admin"])
    assert bad.exit_code != 0 and "already an instrument" in bad.output


def test_item_codes_match_without_case_and_with_ahrq_r_suffix(tmp_path):
    text = "a1,A8,A9R\n5,4,1\n4,4,2\n3,4,4\n9,2,5\n,1,9\n"
    result, rows = _run(tmp_path, text, "--instrument", "sops-hospital-2")
    assert result.exit_code == 0, result.output
    team = next(r for r in rows if r["scale"] == "teamwork")
    assert float(team["pct_positive"]) == pytest.approx((200 / 3 + 60 + 50) / 3)


def test_r_suffix_on_a_positively_worded_item_is_refused(tmp_path):
    result, _ = _run(tmp_path, "A1R\n4\n", "--instrument", "sops-hospital-2")
    assert result.exit_code != 0
    assert "'A1R' marks A1 as negatively worded" in result.output


def test_spreadsheet_whole_numbers_are_accepted_and_fractions_refused(tmp_path):
    result, rows = _run(tmp_path, "SAQ1\n4.0\n4\n4\n4\n4\n", "--instrument", "saq")
    assert result.exit_code == 0, result.output
    assert rows[0]["pct_positive"] == "100"
    result, _ = _run(tmp_path, "SAQ1\n3.5\n", "--instrument", "saq")
    assert "row 2, column SAQ1: '3.5' is not a whole number" in result.output


def test_duplicate_item_column_is_an_error(tmp_path):
    result, _ = _run(tmp_path, "SAQ1,saq1\n4,4\n", "--instrument", "saq")
    assert result.exit_code != 0 and "item SAQ1 appears twice" in result.output


def test_reserved_and_empty_group_values_are_errors(tmp_path):
    result, _ = _run(tmp_path, "unit,SAQ1\nall,4\n,4\n", "--instrument", "saq", "--by", "unit")
    assert result.exit_code != 0
    assert "row 2, column unit: 'all' is reserved" in result.output
    assert "row 3, column unit: the group is empty" in result.output


def test_many_problems_are_summarised(tmp_path):
    text = "SAQ1\n" + "7\n" * 15
    result, _ = _run(tmp_path, text, "--instrument", "saq")
    assert result.exit_code != 0 and "and 5 more problems" in result.output
