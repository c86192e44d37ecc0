"""Services: enrolment, single values, locks, annotations, bundle audits."""

from __future__ import annotations

from datetime import date

import pytest

from safehands.audit.models import AuditEvent
from safehands.core.errors import AccessDenied, DomainError
from safehands.measurement import rules, services
from safehands.measurement.models import (
    DataValue,
    DataValueHistory,
    Enrolment,
    EnrolmentPhase,
)

from .conftest import TODAY


def _upsert(unit, measure, period="2026-03", actor=None, **numbers):
    return services.data_value_upsert(unit=unit, measure=measure, period=period, actor=actor,
                                      today=TODAY, **numbers)


def test_enrolment_create_records_phase_history_and_audit(tree, catalogue, make_user):
    from safehands.catalogue.models import TargetArea

    coordinator = make_user("c", ("H1", "coordinator"))
    area = TargetArea.objects.get(code="falls")
    enrolment = services.enrolment_create(unit=tree["W1"], target_area=area,
                                          started=date(2025, 1, 1), actor=coordinator,
                                          aim_text="Halve falls", target_value=2.0)
    assert enrolment.phase == "preparing"
    assert EnrolmentPhase.objects.filter(enrolment=enrolment).count() == 1
    assert AuditEvent.objects.filter(action="measurement.enrolment.create").count() == 1


def test_enrolment_create_refuses_a_second_enrolment(enrolled, tree):
    with pytest.raises(DomainError) as error:
        services.enrolment_create(unit=tree["W1"], target_area=enrolled["W1"].target_area,
                                  started=date(2025, 1, 1), actor=None)
    assert error.value.message == services.ALREADY_ENROLLED.format(
        unit="Ward One", area=enrolled["W1"].target_area.name)


def test_enrolment_create_needs_enrolment_manage(tree, catalogue, make_user):
    from safehands.catalogue.models import TargetArea

    reporter = make_user("r", ("W1", "reporter"))
    with pytest.raises(AccessDenied):
        services.enrolment_create(unit=tree["W1"], target_area=TargetArea.objects.get(
            code="falls"), started=date(2025, 1, 1), actor=reporter)


def test_enrolment_create_refuses_measures_of_another_area(tree, measures):
    from safehands.catalogue.models import TargetArea

    with pytest.raises(DomainError) as error:
        services.enrolment_create(unit=tree["W1"], target_area=TargetArea.objects.get(
            code="falls"), started=date(2025, 1, 1), actor=None,
            measures=[measures["sepsis.bundle_compliance"]])
    assert error.value.message == services.MEASURE_NOT_IN_AREA.format(
        measure="sepsis.bundle_compliance", area="falls")


def test_a_facility_enrols_all_its_units(tree, catalogue):
    from safehands.catalogue.models import TargetArea

    area = TargetArea.objects.get(code="sepsis")
    made = services.enrolments_create_for_subtree(unit=tree["H1"], target_area=area,
                                                  started=date(2025, 1, 1), actor=None)
    assert sorted(e.unit.code for e in made) == ["W1", "W2"]
    with pytest.raises(DomainError):
        services.enrolments_create_for_subtree(unit=tree["H1"], target_area=area,
                                               started=date(2025, 1, 1), actor=None)


def test_enrolment_phase_set_keeps_dated_history(enrolled):
    enrolment = enrolled["W1"]
    services.enrolment_phase_set(enrolment=enrolment, phase="testing", since=date(2023, 3, 1),
                                 actor=None)
    services.enrolment_phase_set(enrolment=enrolment, phase="implementing",
                                 since=date(2023, 9, 1), actor=None)
    assert Enrolment.objects.get(pk=enrolment.pk).phase == "implementing"
    assert [p.phase for p in enrolment.phases.all()] == ["preparing", "testing", "implementing"]
    with pytest.raises(DomainError):
        services.enrolment_phase_set(enrolment=enrolment, phase="done", since=date(2024, 1, 1),
                                     actor=None)


def test_enrolment_end_is_audited_and_can_be_undone(enrolled, tree, make_user):
    coordinator = make_user("c", ("H1", "coordinator"))
    enrolment = enrolled["W2"]
    services.enrolment_end(enrolment=enrolment, ended=date(2026, 3, 31), actor=coordinator,
                           today=TODAY)
    enrolment.refresh_from_db()
    assert enrolment.ended == date(2026, 3, 31)
    event = AuditEvent.objects.get(action="measurement.enrolment.end")
    assert (event.before, event.after) == ({"ended": None}, {"ended": "2026-03-31"})
    assert event.actor == coordinator
    services.enrolment_end(enrolment=enrolment, ended=None, actor=coordinator, today=TODAY)
    enrolment.refresh_from_db()
    assert enrolment.ended is None
    event = AuditEvent.objects.get(action="measurement.enrolment.reopen")
    assert (event.before, event.after) == ({"ended": "2026-03-31"}, {"ended": None})


def test_enrolment_end_refuses_a_day_before_the_start(enrolled):
    with pytest.raises(DomainError) as caught:
        services.enrolment_end(enrolment=enrolled["W1"], ended=date(2022, 12, 31), actor=None,
                               today=TODAY)
    assert caught.value.message == services.END_BEFORE_START.format(
        ended=date(2022, 12, 31), started=date(2023, 1, 1))
    enrolled["W1"].refresh_from_db()
    assert enrolled["W1"].ended is None


def test_enrolment_end_refuses_a_day_in_the_future(enrolled):
    with pytest.raises(DomainError) as caught:
        services.enrolment_end(enrolment=enrolled["W1"], ended=date(2026, 6, 16), actor=None,
                               today=TODAY)
    assert caught.value.extra["fields"]["ended"] == services.END_IN_FUTURE.format(
        ended=date(2026, 6, 16))
    services.enrolment_end(enrolment=enrolled["W1"], ended=TODAY, actor=None, today=TODAY)
    assert Enrolment.objects.get(pk=enrolled["W1"].pk).ended == TODAY


def test_enrolment_end_needs_enrolment_manage(enrolled, make_user):
    reporter = make_user("r", ("W1", "reporter"))
    with pytest.raises(AccessDenied):
        services.enrolment_end(enrolment=enrolled["W1"], ended=date(2026, 1, 31),
                               actor=reporter, today=TODAY)
    assert not AuditEvent.objects.filter(action="measurement.enrolment.end").exists()


def test_an_ended_enrolment_closes_data_entry_until_reopened(enrolled, tree, measures):
    services.enrolment_end(enrolment=enrolled["W1"], ended=date(2026, 4, 30), actor=None,
                           today=TODAY)
    with pytest.raises(DomainError):
        _upsert(tree["W1"], measures["falls.rate"], numerator=1, denominator=100)
    services.enrolment_end(enrolment=enrolled["W1"], ended=None, actor=None, today=TODAY)
    assert _upsert(tree["W1"], measures["falls.rate"], numerator=1, denominator=100).version == 1


def test_local_measure_is_reported_by_its_unit(enrolled, tree):
    measure = services.local_measure_create(
        enrolment=enrolled["W1"], slug="Night checks", name="Night checks done",
        value_type="proportion", direction="higher_is_better", numerator="checks done",
        denominator="nights", actor=None)
    assert measure.code == "local.w1.night_checks"
    value = _upsert(tree["W1"], measure, numerator=3, denominator=4)
    assert value.numerator == 3


def test_a_continuous_local_measure_needs_and_keeps_its_unit(enrolled, tree):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        services.local_measure_create(
            enrolment=enrolled["W1"], slug="minutes", name="Minutes to first mobilisation",
            value_type="continuous", direction="lower_is_better", numerator="minutes",
            actor=None)
    assert "unit" in refused.value.message_dict
    measure = services.local_measure_create(
        enrolment=enrolled["W1"], slug="minutes", name="Minutes to first mobilisation",
        value_type="continuous", direction="lower_is_better", numerator="minutes",
        unit=" minutes ", actor=None)
    assert (measure.unit, measure.chart) == ("minutes", "i")
    assert _upsert(tree["W1"], measure, value=42.5).value == 42.5


def test_bundle_adaptation_set_and_clear(enrolled):
    element = enrolled["W1"].target_area.bundle_elements.first()
    adaptation = services.bundle_adaptation_set(enrolment=enrolled["W1"], element=element,
                                                note="Done at the evening handover",
                                                actor=None)
    assert adaptation.note == "Done at the evening handover"
    assert services.bundle_adaptation_set(enrolment=enrolled["W1"], element=element, note="",
                                          actor=None) is None


def test_data_value_upsert_creates_then_updates_with_history(enrolled, tree, measures,
                                                             make_user):
    reporter = make_user("r", ("W1", "reporter"))
    measure = measures["falls.risk_assessed"]
    value = _upsert(tree["W1"], measure, actor=reporter, numerator=8, denominator=10)
    assert (value.version, value.batch.actor_username) == (1, "r")
    value = _upsert(tree["W1"], measure, actor=reporter, numerator=9, denominator=10)
    assert value.version == 2
    history = DataValueHistory.objects.get(data_value=value)
    assert history.old["numerator"] == 8 and history.new["numerator"] == 9
    assert AuditEvent.objects.filter(action="measurement.data_value.update").count() == 1


def test_data_value_upsert_unchanged_writes_no_history(enrolled, tree, measures):
    measure = measures["falls.risk_assessed"]
    _upsert(tree["W1"], measure, numerator=8, denominator=10)
    value = _upsert(tree["W1"], measure, numerator="8", denominator="10")
    assert value.version == 1 and not DataValueHistory.objects.exists()


def _field_errors(call):
    with pytest.raises(DomainError) as error:
        call()
    assert error.value.message == services.VALUES_INVALID
    return error.value.extra["fields"]


def test_data_value_upsert_rejects_numerator_above_denominator(enrolled, tree, measures):
    fields = _field_errors(lambda: _upsert(tree["W1"], measures["falls.risk_assessed"],
                                           numerator=11, denominator=10))
    assert fields == {"numerator": rules.NUMERATOR_ABOVE_DENOMINATOR.format(
        numerator=11, denominator=10)}


def test_data_value_upsert_rejects_future_period(enrolled, tree, measures):
    fields = _field_errors(lambda: _upsert(tree["W1"], measures["falls.rate"], period="2026-07",
                                           numerator=1, denominator=100))
    assert fields == {"period": "2026-07 has not started yet."}


def test_data_value_upsert_rejects_wrong_frequency(enrolled, tree, measures):
    fields = _field_errors(lambda: _upsert(tree["W1"], measures["falls.rate"], period="2026-Q1",
                                           numerator=1, denominator=100))
    assert "quarterly period" in fields["period"]


def test_data_value_upsert_rejects_unenrolled_unit(enrolled, tree, measures):
    fields = _field_errors(lambda: _upsert(tree["N1"], measures["falls.rate"], numerator=1,
                                           denominator=100))
    assert fields == {"measure": services.NOT_ENROLLED.format(unit="Nursing Home One",
                                                              measure="falls.rate")}


def test_data_value_upsert_rejects_a_measure_not_chosen(enrolled, tree, measures):
    fields = _field_errors(lambda: _upsert(tree["W3"], measures["falls.risk_assessed"],
                                           numerator=1, denominator=2))
    assert fields == {"measure": services.MEASURE_NOT_CHOSEN.format(
        unit="Ward Three", measure="falls.risk_assessed")}


def test_data_value_upsert_rejects_text(enrolled, tree, measures):
    fields = _field_errors(lambda: _upsert(tree["W1"], measures["falls.rate"], numerator="x",
                                           denominator=100))
    assert fields == {"numerator": rules.NOT_A_NUMBER.format(text="x")}


def test_data_value_upsert_needs_data_enter(enrolled, tree, measures, make_user):
    viewer = make_user("v", ("W1", "viewer"))
    with pytest.raises(AccessDenied):
        _upsert(tree["W1"], measures["falls.rate"], actor=viewer, numerator=1, denominator=9)


def test_data_value_upsert_rejects_locked_period(enrolled, tree, measures, make_user):
    coordinator = make_user("c", ("H1", "coordinator"))
    _upsert(tree["W1"], measures["falls.rate"], numerator=1, denominator=100)
    lock = services.period_lock(unit=tree["H1"], period="2026-03", actor=coordinator)
    fields = _field_errors(lambda: _upsert(tree["W1"], measures["falls.rate"], numerator=2,
                                           denominator=100))
    assert fields == {"period": services.PERIOD_LOCKED.format(period="2026-03",
                                                              unit="Ward One")}
    with pytest.raises(DomainError) as error:
        services.period_unlock(lock=lock, reason=" ", actor=coordinator)
    assert error.value.message == services.UNLOCK_NEEDS_REASON
    services.period_unlock(lock=lock, reason="Late correction from the ward", actor=coordinator)
    assert _upsert(tree["W1"], measures["falls.rate"], numerator=2, denominator=100).version == 2
    assert AuditEvent.objects.filter(action="measurement.period.unlock").count() == 1


def test_period_lock_needs_coordinator(tree, make_user):
    reporter = make_user("r", ("W1", "reporter"))
    with pytest.raises(AccessDenied):
        services.period_lock(unit=tree["W1"], period="2026-03", actor=reporter)


def test_data_value_delete_is_audited(enrolled, tree, measures):
    value = _upsert(tree["W1"], measures["falls.rate"], numerator=1, denominator=100)
    services.data_value_delete(data_value=value, actor=None)
    assert not DataValue.objects.exists()
    event = AuditEvent.objects.get(action="measurement.data_value.delete")
    assert event.before["numerator"] == 1


def test_annotation_create_needs_text(tree, measures):
    with pytest.raises(DomainError):
        services.annotation_create(unit=tree["W1"], on=date(2026, 1, 5), text="  ", actor=None)
    note = services.annotation_create(unit=tree["W1"], on=date(2026, 1, 5),
                                      text="PDSA 1: risk check at admission", actor=None,
                                      measure=measures["falls.rate"])
    assert note.text == "PDSA 1: risk check at admission"


def test_bundle_audits_keep_the_compliance_value_consistent(enrolled, tree, measures):
    measure = measures["falls.bundle_compliance"]
    codes = list(measure.compliance_elements.values_list("code", flat=True))
    all_yes = {c: "yes" for c in codes}
    one_no = {**all_yes, codes[0]: "no"}
    services.bundle_audit_save(unit=tree["W1"], measure=measure, period="2026-03",
                               reference="1", answers=all_yes, actor=None, today=TODAY)
    audit = services.bundle_audit_save(unit=tree["W1"], measure=measure, period="2026-03",
                                       reference="2", answers=one_no, actor=None, today=TODAY)
    value = DataValue.objects.get(unit=tree["W1"], measure=measure, period="2026-03")
    assert (value.numerator, value.denominator) == (1, 2)
    services.bundle_audit_save(unit=tree["W1"], measure=measure, period="2026-03",
                               reference="2", answers=all_yes, actor=None, today=TODAY)
    value.refresh_from_db()
    assert (value.numerator, value.denominator) == (2, 2)
    services.bundle_audit_delete(audit=audit, actor=None, today=TODAY)
    value.refresh_from_db()
    assert (value.numerator, value.denominator) == (1, 1)


def test_bundle_audit_rejects_unknown_element_and_answer(enrolled, tree, measures):
    measure = measures["falls.bundle_compliance"]
    codes = list(measure.compliance_elements.values_list("code", flat=True))
    answers = {c: "yes" for c in codes}
    with pytest.raises(DomainError) as error:
        services.bundle_audit_save(unit=tree["W1"], measure=measure, period="2026-03",
                                   reference="1", answers={**answers, codes[0]: "maybe",
                                                           "nope": "yes"},
                                   actor=None, today=TODAY)
    fields = error.value.extra["fields"]
    assert fields[codes[0]] == services.ANSWER_INVALID.format(answer="maybe")
    assert "nope" in fields
    with pytest.raises(DomainError):
        services.bundle_audit_save(unit=tree["W1"], measure=measures["falls.rate"],
                                   period="2026-03", reference="1", answers={}, actor=None,
                                   today=TODAY)


def test_values_protect_their_unit_and_measure(enrolled, tree, measures):
    from django.db.models import ProtectedError

    _upsert(tree["W1"], measures["falls.rate"], numerator=1, denominator=100)
    with pytest.raises(ProtectedError):
        tree["W1"].delete()
    with pytest.raises(ProtectedError):
        measures["falls.rate"].delete()
