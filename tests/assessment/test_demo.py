"""The demo step: closed assessments with action plans for OUS and Oslo municipality."""

from __future__ import annotations

import pytest

from safehands.assessment.models import Action, Assessment
from safehands.assessment.queries import assessment_report


@pytest.fixture
def demo(db):
    from safehands.assessment.demo import demo_load
    from safehands.catalogue.services import catalogue_load
    from safehands.demo.load import demo_load as orgs_and_users

    catalogue_load(actor=None, source="system")
    orgs_and_users()
    return demo_load()


def test_demo_is_complete_and_idempotent(demo):
    from safehands.assessment.demo import demo_load

    assert demo["assessments_created"] == 3 and demo["actions_created"] == 6
    again = demo_load()
    assert again == {"assessment_content_created": 0, "assessment_users_created": 0,
                     "assessments_created": 0, "actions_created": 0}
    assert set(Assessment.objects.values_list("org_unit__code", "status")) == {
        ("OUS", "closed"), ("K0301", "closed")}
    assert Action.objects.filter(org_unit__code="K0301").count() == 2
    overdue = [a.what for a in Action.objects.all() if a.is_overdue()]
    assert overdue == ["Family-activated escalation routine on all medical wards"]


def test_demo_report_shows_change_and_where_to_start(demo):
    latest = Assessment.objects.get(org_unit__code="OUS", title="Re-assessment")
    report = assessment_report(assessment=latest)
    assert report.previous.title == "Baseline"
    assert all(area.change is not None for area in report.areas)
    assert report.lowest_area.area.code in {"safer-together.pfe", "safer-together.ws"}
    assert report.lowest and report.disputed
    assert all(report.tactics[line.element.pk] for line in report.lowest)
    oslo = assessment_report(assessment=Assessment.objects.get(org_unit__code="K0301"))
    assert oslo.lowest_area.area.code == "nap-2019-2023.competence"


def test_report_command_prints_the_demo_report(demo):
    from click.testing import CliRunner

    from safehands.cli.main import cli

    latest = Assessment.objects.get(org_unit__code="OUS", title="Re-assessment")
    result = CliRunner().invoke(cli, ["assessment", "report", str(latest.pk)])
    assert result.exit_code == 0, result.output
    assert "Where to start: Re-assessment — Oslo universitetssykehus HF (OUS)" in \
        result.output
    assert "compared with 'Baseline'" in result.output
    assert "Lowest area:" in result.output and "tactic:" in result.output
    missing = CliRunner().invoke(cli, ["assessment", "report", "999999"])
    assert missing.exit_code != 0 and "There is no assessment 999999." in missing.output


def test_load_command_is_idempotent(demo):
    from click.testing import CliRunner

    from safehands.cli.main import cli

    result = CliRunner().invoke(cli, ["assessment", "load"])
    assert result.exit_code == 0 and "Created 0, updated 0" in result.output


def test_demo_team_users_share_the_demo_password():
    from safehands.assessment import demo
    from safehands.demo import load

    assert demo.DEMO_PASSWORD == load.DEMO_PASSWORD
