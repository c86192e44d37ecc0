"""`safehands catalogue show` (no database) and `safehands catalogue load`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from safehands.cli.catalogue import catalogue


def test_show_json_is_the_whole_catalogue():
    result = CliRunner().invoke(catalogue, ["show", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    ish = next(p for p in data["programmes"] if p["code"] == "in-safe-hands")
    assert len(ish["target_areas"]) == 16
    assert ish["target_areas"][0]["bundle_elements"][0]["code"] == "deterioration.abcde_training"
    st = next(p for p in data["programmes"] if p["code"] == "safer-together")
    assert sum(len(a["recommendations"]) for a in st["action_plans"][0]["areas"]) == 17


def test_show_text_outlines_the_catalogue():
    result = CliRunner().invoke(catalogue, ["show"])
    assert result.exit_code == 0
    assert "15. falls  Falls in health institutions  (5 bundle elements, 5 measures)" in (
        result.output)


def test_show_needs_no_django():
    code = (
        "import sys; from click.testing import CliRunner;"
        "from safehands.cli.catalogue import catalogue;"
        "r = CliRunner().invoke(catalogue, ['show', '--format', 'json']);"
        "assert r.exit_code == 0, r.output;"
        "assert 'django' not in sys.modules, 'django was imported'"
    )
    env = {"PATH": "/usr/bin:/bin"}  # no DJANGO_SETTINGS_MODULE
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_show_reports_every_problem_and_fails(catalogue_copy):
    def broken(files):
        files["in-safe-hands.yaml"]["target_areas"][3]["measures"][1]["value_type"] = "percent"

    result = CliRunner().invoke(catalogue, ["show", "--path", str(catalogue_copy(broken))])
    assert result.exit_code == 1
    assert "The catalogue is not valid (1 problem):" in result.output
    assert ("in-safe-hands.yaml: target_areas[3].measures[1].value_type: 'percent' is not one "
            "of") in result.output


def test_show_reads_the_directory_from_the_environment(tmp_path):
    (tmp_path / "bad.yaml").write_text("code: [\n")
    result = CliRunner().invoke(catalogue, ["show"],
                                env={"SAFEHANDS_CATALOGUE_DIR": str(tmp_path)})
    assert result.exit_code == 1
    assert "bad.yaml: line 2, column 1:" in result.output


def test_show_on_a_missing_directory_fails(tmp_path):
    result = CliRunner().invoke(catalogue, ["show", "--path", str(tmp_path / "nowhere")])
    assert result.exit_code != 0


@pytest.mark.django_db
def test_load_then_load_again(db):
    from safehands.catalogue.models import TargetArea

    first = CliRunner().invoke(catalogue, ["load"])
    assert first.exit_code == 0, first.output
    assert TargetArea.objects.count() == 16
    second = CliRunner().invoke(catalogue, ["load"])
    assert second.exit_code == 0
    total = second.output.strip().splitlines()[-1].split()
    assert total[0] == "total" and total[1:] == ["0", "0", total[3], "0", "0"]
    assert int(total[3]) > 100


@pytest.mark.django_db
def test_load_dry_run_saves_nothing(db):
    from safehands.catalogue.models import TargetArea

    result = CliRunner().invoke(catalogue, ["load", "--dry-run"])
    assert result.exit_code == 0
    assert "Dry run: nothing was saved." in result.output
    assert not TargetArea.objects.exists()


@pytest.mark.django_db
def test_load_of_invalid_files_fails_and_writes_nothing(db, tmp_path):
    from safehands.catalogue.models import Programme

    (tmp_path / "x.yaml").write_text("- not a programme\n")
    result = CliRunner().invoke(catalogue, ["load", "--path", str(tmp_path)])
    assert result.exit_code == 1
    assert "x.yaml: the file must hold one mapping" in result.output
    assert not Programme.objects.exists()
