"""`safehands gtt`: the command contract, checked end to end on qicharts2's `gtt` data set."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from safehands.cli.main import cli
from safehands.harm.rates import RATE_COLUMNS, rates, wilson_interval
from safehands.harm.services import POPULATION_OVERLAP

from ._gtt_data import gtt_records, gtt_rows

pytestmark = pytest.mark.django_db(transaction=False)


def _run(*args: str):
    return CliRunner().invoke(cli, ["gtt", *args], catch_exceptions=False)


def _write_gtt_files(folder: Path) -> tuple[Path, Path]:
    records, events = folder / "RECORDS.csv", folder / "EVENTS.csv"
    with open(records, "w", newline="") as r, open(events, "w", newline="") as e:
        rw, ew = csv.writer(r), csv.writer(e)
        rw.writerow(["stay_id", "admission_date", "discharge_date", "patient_days"])
        ew.writerow(["stay_id", "severity", "harm_type", "triggers"])
        for row in gtt_rows():
            rw.writerow([row["admission_id"], row["admission_dte"], row["discharge_dte"],
                         row["days"]])
            for severity in "EFGHI":
                if row[severity] != "NA":
                    ew.writerow([row["admission_id"], severity, row[severity], ""])
    return records, events


def test_create_team(tree):
    result = _run("create-team", "--code", "GTT-T1", "--org", "T1")
    assert result.exit_code == 0, result.output
    assert "Created GTT team GTT-T1" in result.output


def test_create_team_refuses_overlap(tree):
    _run("create-team", "--code", "GTT-T1", "--org", "T1")
    result = _run("create-team", "--code", "GTT-H1", "--org", "H1")
    assert result.exit_code == 1
    assert POPULATION_OVERLAP.format(unit="H1", team="GTT-T1", other="T1") in result.output


def test_create_team_unknown_org(tree):
    result = _run("create-team", "--code", "X", "--org", "NOPE")
    assert result.exit_code == 1 and "no org unit with code 'NOPE'" in result.output


@pytest.mark.parametrize("by", ["month", "tertial", "year"])
def test_rates_from_imported_gtt_equal_the_formulas(tree, tmp_path, by):
    _run("create-team", "--code", "GTT-H1", "--org", "H1")
    records, events = _write_gtt_files(tmp_path)
    result = _run("import-reviews", str(records), "--events", str(events), "--team", "GTT-H1")
    assert result.exit_code == 0, result.output
    assert "Created 340, updated 0, unchanged 0 records (131 adverse events)" in result.output
    out = tmp_path / "RATES.csv"
    result = _run("rates", "--team", "GTT-H1", "--by", by, "--out", str(out))
    assert result.exit_code == 0, result.output
    with open(out, newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames) == RATE_COLUMNS
        written = list(reader)
    expected = rates(gtt_records(), by=by)
    assert [w["period"] for w in written] == [e.period for e in expected]
    for w, e in zip(written, expected, strict=True):
        assert int(w["records"]) == e.records
        assert int(w["adverse_events"]) == e.adverse_events
        assert int(w["records_with_ae"]) == e.records_with_ae
        assert float(w["patient_days"]) == e.patient_days
        assert float(w["ae_per_1000_patient_days"]) == pytest.approx(
            e.adverse_events / e.patient_days * 1000, rel=1e-12)
        assert float(w["ae_per_100_admissions"]) == pytest.approx(
            e.adverse_events / e.records * 100, rel=1e-12)
        assert float(w["pct_records_with_ae"]) == pytest.approx(
            e.records_with_ae / e.records * 100, rel=1e-12)
        low, high = wilson_interval(e.records_with_ae, e.records)
        assert float(w["pct_ci_low"]) == pytest.approx(low * 100, rel=1e-12)
        assert float(w["pct_ci_high"]) == pytest.approx(high * 100, rel=1e-12)


def test_reimport_reports_unchanged(tree, tmp_path):
    _run("create-team", "--code", "GTT-H1", "--org", "H1")
    records, events = _write_gtt_files(tmp_path)
    _run("import-reviews", str(records), "--events", str(events), "--team", "GTT-H1")
    result = _run("import-reviews", str(records), "--events", str(events), "--team", "GTT-H1")
    assert "Created 0, updated 0, unchanged 340 records" in result.output


def test_import_problems_name_file_row_field(tree, tmp_path):
    _run("create-team", "--code", "GTT-H1", "--org", "H1")
    records = tmp_path / "R.csv"
    records.write_text("stay_id,admission_date,discharge_date,patient_days\n"
                       "a,2025-01-05,2025-01-02,3\n")
    result = _run("import-reviews", str(records), "--team", "GTT-H1", "--dry-run")
    assert result.exit_code == 1
    assert "R.csv, row 2, discharge_date: The discharge (2025-01-02) is before" in result.output
    assert "Nothing was imported: 1 problem(s)." in result.output


def test_dry_run_reports_would_create(tree, tmp_path):
    _run("create-team", "--code", "GTT-H1", "--org", "H1")
    records, events = _write_gtt_files(tmp_path)
    result = _run("import-reviews", str(records), "--events", str(events), "--team", "GTT-H1",
                  "--dry-run")
    assert "Would create 340" in result.output


def test_rates_unknown_team(tree, tmp_path):
    result = _run("rates", "--team", "NOPE", "--out", str(tmp_path / "r.csv"))
    assert result.exit_code == 1 and "no GTT team with code 'NOPE'" in result.output


def test_create_team_with_settings(tree):
    from safehands.harm.models import GttTeam

    result = _run("create-team", "--code", "G", "--org", "H2", "--sample-size", "20",
                  "--exclude-services", "psychiatry, obstetrics", "--trigger-list", "ihi")
    assert result.exit_code == 0, result.output
    team = GttTeam.objects.get(code="G")
    assert (team.sample_size, team.excluded_services) == (20, ["psychiatry", "obstetrics"])


def test_create_team_unknown_trigger_list(tree):
    result = _run("create-team", "--code", "G", "--org", "H2", "--trigger-list", "nope")
    assert result.exit_code == 1 and "'nope' is not a trigger list." in result.output


def test_u_chart_of_imported_gtt_equals_qicharts2(tree, tmp_path):
    """Through the database: import the gtt data set, read the team's monthly rates back,
    and draw the u chart; it equals qicharts2's."""
    from safehands.harm.queries import team_get, team_rates
    from safehands.harm.rates import u_chart

    from ._gtt_data import DATA

    _run("create-team", "--code", "GTT-H1", "--org", "H1")
    records, events = _write_gtt_files(tmp_path)
    _run("import-reviews", str(records), "--events", str(events), "--team", "GTT-H1")
    data = u_chart(team_rates(team=team_get(code="GTT-H1"), by="month")).data
    with open(DATA / "gtt_harm_rate__u.csv", newline="") as handle:
        golden = list(csv.DictReader(handle))
    assert len(data) == len(golden)
    for (_, ours), ref in zip(data.iterrows(), golden, strict=True):
        for column in ("y", "cl", "lcl", "ucl"):
            assert float(ours[column]) == pytest.approx(float(ref[column]), rel=1e-9)
