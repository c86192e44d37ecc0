"""`safehands setup` loads every piece of packaged programme content, idempotently."""

from __future__ import annotations

from click.testing import CliRunner

from safehands.cli.main import cli


def test_setup_without_demo_loads_all_packaged_content_and_no_demo_data(db):
    from safehands.assessment.models import Element
    from safehands.catalogue.models import TargetArea
    from safehands.culture.models import Instrument as SurveyInstrument
    from safehands.orgs.models import OrgUnit

    result = CliRunner().invoke(cli, ["setup"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert TargetArea.objects.count() == 16
    assert Element.objects.filter(instrument__code="safer-together").count() == 27
    assert SurveyInstrument.objects.filter(code__in=["saq", "sops-hospital-2"]).count() == 2
    assert not OrgUnit.objects.exists()
    again = CliRunner().invoke(cli, ["setup"], catch_exceptions=False)
    assert again.exit_code == 0
    assert TargetArea.objects.count() == 16
    assert Element.objects.filter(instrument__code="safer-together").count() == 27


def test_demo_organisations_carry_their_norwegian_names():
    """A Norwegian trust's units are named in Norwegian in any language of the pages."""
    import csv
    import io

    from safehands.demo.load import demo_orgs_csv

    rows = {r["code"]: r for r in csv.DictReader(io.StringIO(demo_orgs_csv()))}
    assert rows["OUS-RH-MED"]["name"] == "Medisinsk sengepost, Rikshospitalet"
    assert rows["HSO"]["name"] == "Helse Sør-Øst RHF"
    english = ("ward", "Hospital", "Regional Health", "department", "unit,")
    assert not [r["name"] for r in rows.values()
                if r["kind"] != "national" and any(word in r["name"] for word in english)]
