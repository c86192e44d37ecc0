"""`safehands events import` through click's runner, on the test database."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from safehands.cli.main import cli
from safehands.events.models import Event

DATA = Path(__file__).parent.parent / "events" / "data"
HEADER = ("reference,occurred_at,reported_at,org_code,event_type,outcome,reached_patient,"
          "description,status\n")


@pytest.fixture
def demo_orgs(db):
    from safehands.catalogue.services import catalogue_load
    from safehands.demo.load import demo_orgs_csv
    from safehands.orgs.services import org_units_import

    catalogue_load(actor=None, source="system")
    assert not org_units_import(text=demo_orgs_csv(), actor=None, source="system").problems


@pytest.fixture
def run(db):
    def invoke(*args: str):
        return CliRunner().invoke(cli, ["events", "import", *args], catch_exceptions=False)
    return invoke


def test_import_with_the_default_columns_prints_a_summary(demo_orgs, run):
    result = run(str(DATA / "reports.csv"))
    assert result.exit_code == 0, result.output
    assert "Created 3, updated 0, unchanged 0 events from 3 rows in reports.csv." in result.output
    assert Event.objects.filter(source="import").count() == 3
    again = run(str(DATA / "reports.csv"))
    assert "Created 0, updated 0, unchanged 3 events" in again.output


def test_a_synergi_export_loads_with_mapping_synergi(demo_orgs, run):
    result = run(str(DATA / "synergi_export.csv"), "--mapping", "synergi")
    assert result.exit_code == 0, result.output
    assert "Created 5, updated 0, unchanged 0 events from 5 rows in synergi_export.csv. " \
           "1 identity number(s) masked in descriptions." in result.output
    assert Event.objects.get(reference="2024/00112").org_unit.code == "OUS-RH-MED"


def test_a_datix_export_loads_with_mapping_datix(demo_orgs, run):
    result = run(str(DATA / "datix_export.csv"), "--mapping", "datix")
    assert result.exit_code == 0, result.output
    assert "Created 5, updated 0, unchanged 0 events" in result.output
    assert Event.objects.get(reference="W104288").org_unit.code == "AHUS-NOR-SUR"


def test_a_file_with_an_error_names_row_and_field_and_applies_nothing(demo_orgs, run):
    result = run(str(DATA / "reports_with_errors.csv"))
    assert result.exit_code == 1
    assert "reports_with_errors.csv, row 3, org_code: 'NOPE' is not an org unit code" \
        in result.output
    assert "reports_with_errors.csv, row 10, reached_patient: 'maybe' is not true or false" \
        in result.output
    assert "Nothing was imported: 11 problem(s) in reports_with_errors.csv." in result.output
    assert not Event.objects.exists()


def test_dry_run_prints_what_would_change_and_writes_nothing(demo_orgs, run, tmp_path):
    assert run(str(DATA / "reports.csv")).exit_code == 0
    changed = tmp_path / "changed.csv"
    changed.write_text((DATA / "reports.csv").read_text(encoding="utf-8").replace(
        "fall,low,true", "fall,moderate,true"), encoding="utf-8")
    result = run(str(changed), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "row 2: R-1 (OUS-RH-MED) would change outcome" in result.output
    assert "Dry run, nothing written: would create 0, update 1, leave 2 unchanged of 3 rows" \
        in result.output
    assert Event.objects.get(reference="R-1").outcome == "low"
    result = run(str(changed))
    assert "row 2: R-1 (OUS-RH-MED) changed outcome" in result.output
    assert Event.objects.get(reference="R-1").outcome == "moderate"


def test_a_users_own_mapping_file(demo_orgs, run, tmp_path):
    mapping = tmp_path / "ward.yaml"
    mapping.write_text("format_version: 1\ncolumns: {reference: Nr, description: Tekst}\n"
                       "defaults: {status: closed}\n", encoding="utf-8")
    reports = tmp_path / "ward.csv"
    reports.write_text("Nr,occurred_at,reported_at,org_code,event_type,outcome,Tekst\n"
                       "1,2024-03-01 10:00,2024-03-01 11:00,OUS-RH-MED,fall,none,Fell.\n",
                       encoding="utf-8")
    result = run(str(reports), "--mapping", str(mapping))
    assert result.exit_code == 0, result.output
    assert Event.objects.get(reference="1").status == "closed"


def test_a_bad_mapping_is_refused_naming_file_and_key(demo_orgs, run, tmp_path):
    mapping = tmp_path / "bad.yaml"
    mapping.write_text("format_version: 1\nvalues:\n  outcome:\n    Lett: minor\n",
                       encoding="utf-8")
    result = run(str(DATA / "reports.csv"), "--mapping", str(mapping))
    assert result.exit_code == 1
    assert "bad.yaml: values.outcome.Lett: 'minor' is not an outcome" in result.output
    assert not Event.objects.exists()
    result = run(str(DATA / "reports.csv"), "--mapping", "synergy")
    assert result.exit_code == 1
    assert "There is no mapping 'synergy'" in result.output


def test_a_file_in_another_encoding_is_named(demo_orgs, run, tmp_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes((HEADER + "L-1,2024-03-01 10:00,2024-03-01 11:00,OUS-RH-MED,fall,none,"
                       ",Pasienten falt på badet.,closed\n").encode("cp1252"))
    result = run(str(latin))
    assert result.exit_code == 1
    assert "latin.csv: not utf-8 text" in result.output


def test_a_long_file_shows_progress_on_stderr(demo_orgs, tmp_path):
    reports = tmp_path / "long.csv"
    rows = [f"P-{i},2024-03-01 10:00,2024-03-01 11:00,OUS-RH-MED,fall,none,true,Fell.,closed"
            for i in range(2500)]
    reports.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["events", "import", str(reports)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Checking rows" in result.stderr and "Writing events" in result.stderr
    assert "Created 2500" in result.stdout and "Checking" not in result.stdout


def test_the_shipped_mappings_are_package_data():
    import importlib.resources

    folder = importlib.resources.files("safehands.events").joinpath("data", "mappings")
    assert {p.name for p in folder.iterdir() if p.name.endswith(".yaml")} >= {
        "synergi.yaml", "datix.yaml"}
