"""Loading the catalogue (idempotent, all or nothing, respectful of local edits) and editing it."""

from __future__ import annotations

import pytest

from safehands.audit.models import AuditEvent
from safehands.catalogue.models import (
    ActionPlan,
    ActionPlanArea,
    Aim,
    BundleElement,
    Measure,
    Programme,
    Recommendation,
    TargetArea,
)
from safehands.catalogue.schema import CatalogueInvalid
from safehands.catalogue.services import catalogue_item_save, catalogue_load
from safehands.core.errors import AccessDenied

ISH = "in-safe-hands.yaml"


def _falls_rate(files):
    return files[ISH]["target_areas"][14]["measures"][2]


def test_first_load_creates_everything(loaded):
    assert loaded.counts["target_area"]["created"] == 16
    assert Programme.objects.count() == 2
    assert Aim.objects.count() == 3
    assert TargetArea.objects.count() == 16
    assert ActionPlan.objects.count() == 2
    assert ActionPlanArea.objects.count() == 8
    assert Recommendation.objects.count() == 17
    assert BundleElement.objects.filter(target_area__code="falls").count() == 5
    assert loaded.total("updated") == loaded.total("unchanged") == loaded.total("retired") == 0
    assert loaded.total("created") == sum(m.objects.count() for m in (
        Programme, Aim, TargetArea, BundleElement, Measure, ActionPlan, ActionPlanArea,
        Recommendation))


def test_measures_keep_their_full_definition(loaded):
    m = Measure.objects.get(code="stroke.thrombolysis_within_30min")
    assert (m.kind, m.value_type, m.chart, m.direction, m.frequency) == (
        "process", "proportion", "p", "higher_is_better", "monthly")
    assert m.multiplier == 100 and m.target_value == 50 and m.target_confidence == "V"
    assert m.is_default is False and m.target_area.code == "stroke"
    compliance = Measure.objects.get(code="falls.bundle_compliance")
    assert sorted(compliance.compliance_elements.values_list("code", flat=True)) == [
        "falls.individual_measures", "falls.interdisciplinary", "falls.standard_measures"]


def test_second_load_changes_nothing(loaded):
    events = AuditEvent.objects.exclude(action="catalogue.loaded").count()
    again = catalogue_load(actor=None, source="cli")
    assert again.total("created") == again.total("updated") == again.total("retired") == 0
    assert again.total("unchanged") == loaded.total("created")
    assert AuditEvent.objects.exclude(action="catalogue.loaded").count() == events


def test_every_created_item_is_audited(loaded):
    created = AuditEvent.objects.filter(action__endswith=".created")
    assert created.count() == loaded.total("created")
    event = AuditEvent.objects.get(action="catalogue.target_area.created",
                                   object_id=str(TargetArea.objects.get(code="falls").pk))
    assert event.before is None and event.after["code"] == "falls"
    assert event.source == "system" and event.actor is None
    load = AuditEvent.objects.get(action="catalogue.loaded")
    assert load.after["counts"]["created"] == loaded.total("created")


def test_a_changed_yaml_item_is_updated_and_audited(loaded, catalogue_copy):
    directory = catalogue_copy(lambda f: _falls_rate(f).update(frequency="weekly"))
    summary = catalogue_load(path=directory)
    assert summary.counts["measure"]["updated"] == 1 and summary.total("updated") == 1
    assert Measure.objects.get(code="falls.rate").frequency == "weekly"
    event = AuditEvent.objects.get(action="catalogue.measure.updated")
    assert (event.before["frequency"], event.after["frequency"]) == ("monthly", "weekly")


def test_a_changed_compliance_list_is_updated(loaded, catalogue_copy):
    def fewer(files):
        files[ISH]["target_areas"][14]["measures"][1]["compliance_elements"].pop()

    summary = catalogue_load(path=catalogue_copy(fewer))
    assert summary.counts["measure"]["updated"] == 1
    measure = Measure.objects.get(code="falls.bundle_compliance")
    assert measure.compliance_elements.count() == 2


def test_a_local_edit_survives_a_reload(loaded, programme_admin, catalogue_copy):
    measure = Measure.objects.get(code="falls.rate")
    measure.sampling = "Our own sampling rule."
    catalogue_item_save(actor=programme_admin, item=measure)

    directory = catalogue_copy(lambda f: _falls_rate(f).update(frequency="weekly"))
    summary = catalogue_load(path=directory)
    measure.refresh_from_db()
    assert summary.kept_local == ["falls.rate"]
    assert summary.counts["measure"]["kept_local"] == 1
    assert (measure.sampling, measure.frequency) == ("Our own sampling rule.", "monthly")
    assert measure.locally_edited


def test_force_overwrites_a_local_edit(loaded, programme_admin):
    measure = Measure.objects.get(code="falls.rate")
    measure.sampling = "Our own sampling rule."
    catalogue_item_save(actor=programme_admin, item=measure)

    summary = catalogue_load(force=True)
    measure.refresh_from_db()
    assert summary.counts["measure"]["updated"] == 1
    assert measure.sampling != "Our own sampling rule." and not measure.locally_edited


def test_items_gone_from_the_yaml_are_retired_not_deleted(loaded, catalogue_copy):
    directory = catalogue_copy(lambda f: f[ISH]["target_areas"][14]["measures"].pop())
    summary = catalogue_load(path=directory)
    restraint = Measure.objects.get(code="falls.restraint_use")
    assert restraint.is_retired
    assert summary.counts["measure"]["retired"] == 1
    assert AuditEvent.objects.filter(action="catalogue.measure.retired").count() == 1

    back = catalogue_load()
    restraint.refresh_from_db()
    assert not restraint.is_retired and back.counts["measure"]["updated"] == 1


def test_locally_added_items_are_left_alone(loaded, programme_admin):
    area = TargetArea.objects.get(code="falls")
    local = Measure(code="falls.local_hip_fractures", name="Hip fractures", name_nb="Hoftebrudd",
                    source="Our ward", confidence="V", target_area=area, kind="outcome",
                    value_type="count", numerator="Hip fractures after a fall.",
                    direction="lower_is_better", chart="c", sampling="All.", is_default=False)
    catalogue_item_save(actor=programme_admin, item=local)
    assert (local.origin, local.locally_edited) == ("local", True)

    summary = catalogue_load(force=True)
    local.refresh_from_db()
    assert not local.is_retired and summary.total("retired") == 0


def test_invalid_files_change_nothing(loaded, catalogue_copy):
    def broken(files):
        _falls_rate(files).update(frequency="weekly")
        files[ISH]["target_areas"][3]["measures"][1]["value_type"] = "percent"

    events = AuditEvent.objects.count()
    with pytest.raises(CatalogueInvalid) as caught:
        catalogue_load(path=catalogue_copy(broken))
    assert "target_areas[3].measures[1].value_type" in caught.value.message
    assert Measure.objects.get(code="falls.rate").frequency == "monthly"
    assert AuditEvent.objects.count() == events


def test_a_failure_midway_rolls_back_the_whole_load(db, monkeypatch):
    from safehands.catalogue import services

    calls = {"n": 0}
    real = services._Loader.action_plan

    def fail_on_second_plan(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(services._Loader, "action_plan", fail_on_second_plan)
    with pytest.raises(RuntimeError):
        catalogue_load()
    assert Programme.objects.count() == TargetArea.objects.count() == 0
    assert not AuditEvent.objects.exists()


def test_dry_run_reports_but_saves_nothing(db):
    summary = catalogue_load(dry_run=True)
    assert summary.dry_run and summary.counts["target_area"]["created"] == 16
    assert not TargetArea.objects.exists() and not AuditEvent.objects.exists()


def test_a_person_loading_must_be_a_programme_admin(db, user, programme_admin):
    with pytest.raises(AccessDenied):
        catalogue_load(actor=user, source="web")
    assert not Programme.objects.exists()
    summary = catalogue_load(actor=programme_admin, source="web")
    assert summary.total("created") > 0
    assert AuditEvent.objects.filter(actor=programme_admin).exists()


def test_an_edit_is_marked_and_audited(loaded, programme_admin):
    area = TargetArea.objects.get(code="falls")
    area.name_nb = "Fall"
    catalogue_item_save(actor=programme_admin, item=area)
    area.refresh_from_db()
    assert area.locally_edited and area.name_nb == "Fall"
    event = AuditEvent.objects.get(action="catalogue.target_area.edited")
    assert event.actor == programme_admin and event.source == "web"
    assert (event.before["name_nb"], event.after["name_nb"]) == (
        "Forebygging av fall i helseinstitusjoner", "Fall")


def test_saving_without_a_change_writes_nothing(loaded, programme_admin):
    area = TargetArea.objects.get(code="falls")
    catalogue_item_save(actor=programme_admin, item=area)
    area.refresh_from_db()
    assert not area.locally_edited
    assert not AuditEvent.objects.filter(action="catalogue.target_area.edited").exists()


def test_only_programme_admins_may_edit(loaded, user):
    area = TargetArea.objects.get(code="falls")
    area.name = "Changed"
    with pytest.raises(AccessDenied):
        catalogue_item_save(actor=user, item=area)
    area.refresh_from_db()
    assert area.name == "Falls in health institutions"


def test_an_edit_breaking_a_measure_rule_is_refused(loaded, programme_admin):
    from django.core.exceptions import ValidationError

    measure = Measure.objects.get(code="falls.rate")
    measure.chart = "p"
    with pytest.raises(ValidationError) as caught:
        catalogue_item_save(actor=programme_admin, item=measure)
    assert "chart 'p' does not suit a rate measure" in str(caught.value)
    measure.refresh_from_db()
    assert measure.chart == "u" and not measure.locally_edited


def test_setup_style_summary_is_flat(loaded):
    counts = loaded.as_dict()["counts"]
    assert set(counts) == {"created", "updated", "unchanged", "retired", "kept_local"}
    assert all(isinstance(v, int) for v in counts.values())


def test_an_item_retired_by_hand_stays_retired(loaded, programme_admin):
    measure = Measure.objects.get(code="falls.restraint_use")
    measure.is_retired = True
    catalogue_item_save(actor=programme_admin, item=measure)

    summary = catalogue_load()
    measure.refresh_from_db()
    assert measure.is_retired and summary.kept_local == ["falls.restraint_use"]
    catalogue_load(force=True)
    measure.refresh_from_db()
    assert not measure.is_retired
