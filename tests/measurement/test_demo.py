"""Demo data and the national-scale generator."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from safehands.cli.main import cli
from safehands.measurement import demo, synthetic
from safehands.measurement.models import Annotation, DataValue, Enrolment

TODAY = date(2026, 6, 15)


@pytest.fixture
def demo_orgs(db, catalogue):
    from safehands.demo.load import demo_load

    demo_load()


def test_demo_load_is_idempotent_and_signals(demo_orgs):
    from safehands.measurement.queries import unit_measures, unit_readings
    from safehands.orgs.models import OrgUnit

    first = demo.demo_load(today=TODAY)
    assert first["enrolments_created"] == 13
    assert first["data_values_created"] > 13 * 30
    assert Annotation.objects.count() == first["annotations_created"] > 0
    again = demo.demo_load(today=TODAY)
    assert again == {"enrolments_created": 0, "annotations_created": 0,
                     "data_values_created": 0}
    unit = OrgUnit.objects.get(code="OUS-RH-GER")
    readings = unit_readings(unit=unit, measures=unit_measures(unit=unit))
    assert any(r["variation"] == "special_cause_improvement" for r in readings.values())
    assert Enrolment.objects.get(unit=unit).phase == "sustaining"


def test_series_is_reproducible_and_valid():
    profile = synthetic.profile_for("proportion", "higher_is_better", 20)
    one = synthetic.series(profile, unit="A", measure="m", count=24, improve_from=12)
    assert one == synthetic.series(profile, unit="A", measure="m", count=24, improve_from=12)
    assert all(0 <= n <= d for n, d, _ in one)


def test_generate_command_builds_a_small_nation(catalogue, tmp_path):
    out = tmp_path / "nation.csv"
    result = CliRunner().invoke(cli, ["data", "generate", "--units", "30", "--months", "6",
                                      "--out", str(out), "--load"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["enrolments_created"] == 30
    assert summary["import"]["counts"]["created"] == 30 * 5 * 6
    assert DataValue.objects.count() == 900
    assert len(out.read_text(encoding="utf-8").splitlines()) == 901
