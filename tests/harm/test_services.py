"""GTT services: teams and populations, discharge lists, sampling, two-stage review, locking."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from safehands.audit.models import AuditEvent
from safehands.core.errors import AccessDenied, DomainError
from safehands.harm import services
from safehands.harm.models import (
    AdverseEvent,
    GttTeam,
    RecordStatus,
    ReviewPeriod,
    ReviewRecord,
    SampleDraw,
    Stay,
)
from safehands.harm.services import EventInput

# --- teams ---------------------------------------------------------------------------------

def test_team_create_records_population_and_audits(team, tree):
    assert team.population == tree["H1"] and team.sample_size == 10 and team.period_days == 14
    assert team.excluded_services == ["psychiatry", "paediatrics", "rehabilitation"]
    assert AuditEvent.objects.filter(action="harm.team.create", object_id=str(team.pk)).exists()


@pytest.mark.parametrize("unit", ["H1", "W1", "T1", "R1", "NO"])
def test_team_create_rejects_overlapping_population(team, tree, unit):
    with pytest.raises(DomainError) as error:
        services.gtt_team_create(code="X", population=tree[unit], actor=None)
    assert error.value.message == services.POPULATION_OVERLAP.format(
        unit=unit, team="GTT-H1", other="H1")
    assert not GttTeam.objects.filter(code="X").exists()


def test_team_create_allows_disjoint_population(team, tree):
    other = services.gtt_team_create(code="GTT-H2", population=tree["H2"], actor=None)
    assert other.pk


def test_team_create_needs_gtt_manage(tree, make_user):
    reporter = make_user("r", ("H1", "reporter"))
    with pytest.raises(AccessDenied):
        services.gtt_team_create(code="X", population=tree["H1"], actor=reporter)


def test_team_create_rejects_taken_code(team, tree):
    with pytest.raises(DomainError, match="already a GTT team"):
        services.gtt_team_create(code="GTT-H1", population=tree["H2"], actor=None)


def test_member_needs_review_rights_on_population(team, make_user):
    outsider = make_user("outsider", ("H2", "reporter"))
    with pytest.raises(DomainError) as error:
        services.gtt_member_add(team=team, user=outsider, role="physician", actor=None)
    assert "no GTT review rights" in error.value.message


def test_member_role_must_be_known(team, make_user):
    user = make_user("u", ("H1", "reporter"))
    with pytest.raises(DomainError, match="not a GTT team role"):
        services.gtt_member_add(team=team, user=user, role="chief", actor=None)


# --- discharge lists ------------------------------------------------------------------------

def test_discharge_list_upload_marks_eligible_stays(team, discharges):
    summary = services.discharge_list_upload(team=team, text=discharges, actor=None)
    assert not summary.problems
    assert summary.created == 15
    eligible = set(Stay.objects.filter(team=team, eligible=True).values_list("stay_id",
                                                                            flat=True))
    # S02 < 24 h, S03 under 18, S04 psychiatry (case-insensitive)
    assert eligible == {f"S{i:02d}" for i in range(1, 16)} - {"S02", "S03", "S04"}
    assert summary.eligible == 12


def test_discharge_list_reupload_changes_nothing(team, discharges):
    services.discharge_list_upload(team=team, text=discharges, actor=None)
    again = services.discharge_list_upload(team=team, text=discharges, actor=None)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 15)


@pytest.mark.parametrize("line,field,message", [
    ("S01,,2025-03-04 10:00,67,medicine", "admission_time", "The admission_time is empty."),
    ("S01,2025-03-05 10:00,2025-03-04 10:00,67,medicine", "discharge_time",
     "is before the admission"),
    ("S01,2025-03-01 10:00,yesterday,67,medicine", "discharge_time", "is not a date and time"),
    ("12345678901,2025-03-01 10:00,2025-03-04 10:00,67,medicine", "stay_id",
     "national identity number"),
    ("S01,2025-03-01 10:00,2025-03-04 10:00,old,medicine", "age", "not an age"),
])
def test_discharge_list_bad_rows_are_named_and_nothing_applied(team, line, field, message):
    text = "stay_id,admission_time,discharge_time,age,service\n" \
           "S00,2025-03-01 08:00,2025-03-04 10:00,67,medicine\n" + line + "\n"
    summary = services.discharge_list_upload(team=team, text=text, actor=None,
                                             filename="list.csv")
    assert [(p.row, p.field) for p in summary.problems] == [(3, field)]
    assert message in summary.problems[0].message
    assert summary.problems[0].file == "list.csv"
    assert not Stay.objects.exists()


def test_discharge_list_duplicate_stay_ids(team):
    text = ("stay_id,admission_time,discharge_time,age,service\n"
            "S1,2025-03-01,2025-03-04,67,medicine\nS1,2025-03-01,2025-03-05,67,medicine\n")
    summary = services.discharge_list_upload(team=team, text=text, actor=None)
    assert summary.problems[0].message == services.STAY_DUPLICATE.format(value="S1", first=2)
    assert not Stay.objects.exists()


def test_discharge_list_missing_column(team):
    summary = services.discharge_list_upload(team=team, text="stay_id,age\nS1,4\n", actor=None)
    assert summary.problems[0].field == "admission_time,discharge_time,service"


# --- sampling -------------------------------------------------------------------------------

def _draw(team, seed=42, start=date(2025, 3, 1)):
    return services.sample_draw(team=team, start=start, actor=None, seed=seed)


def test_sample_draw_takes_ten_eligible_stays_and_keeps_population(team, discharges):
    services.discharge_list_upload(team=team, text=discharges, actor=None)
    draw = _draw(team)
    period = draw.period
    assert (period.start, period.end) == (date(2025, 3, 1), date(2025, 3, 14))
    # S15 was discharged after the period; S02-S04 are not eligible.
    assert draw.eligible == 11
    records = list(period.records.values_list("stay_id", flat=True))
    assert len(records) == 10
    assert not {"S02", "S03", "S04", "S15"} & set(records)
    event = AuditEvent.objects.get(action="harm.sample.draw")
    assert event.after["seed"] == 42 and event.after["eligible"] == 11


def test_sample_draw_is_reproducible_with_the_recorded_seed(team, discharges):
    services.discharge_list_upload(team=team, text=discharges, actor=None)
    stays = services.sample_eligible_stays(team=team, start=date(2025, 3, 1),
                                           end=date(2025, 3, 14))
    first = [s.stay_id for s in services.sample_choose(stays, size=5, seed=7)]
    assert first == [s.stay_id for s in services.sample_choose(list(reversed(stays)), size=5,
                                                                  seed=7)]
    assert first != [s.stay_id for s in services.sample_choose(stays, size=5, seed=8)]


def test_sample_draw_twice_is_refused(team, discharges):
    services.discharge_list_upload(team=team, text=discharges, actor=None)
    _draw(team)
    with pytest.raises(DomainError, match="already drawn"):
        _draw(team)


def test_sample_draw_without_eligible_stays(team):
    with pytest.raises(DomainError, match="No eligible stays"):
        _draw(team)
    assert not SampleDraw.objects.exists()


def test_sample_draw_patient_days(team, discharges):
    services.discharge_list_upload(team=team, text=discharges, actor=None)
    _draw(team)
    record = ReviewRecord.objects.get(stay_id="S01")
    assert (record.admission_date, record.discharge_date) == (date(2025, 3, 1), date(2025, 3, 4))
    assert record.patient_days == 3


# --- two-stage review -----------------------------------------------------------------------

@pytest.fixture
def sampled(team, crew, discharges):
    services.discharge_list_upload(team=team, text=discharges, actor=None)
    return _draw(team).period


def test_primary_reviews_and_comparison(sampled, crew):
    from safehands.harm.queries import review_comparison

    record = sampled.records.get(stay_id="S01")
    services.primary_review_save(record=record, actor=crew["nurse.a"], triggers=["C7", "m3"],
                                 minutes=12, candidate_count=1)
    _, warnings = services.primary_review_save(record=record, actor=crew["nurse.b"],
                                               triggers=["C7"], minutes=25, candidate_count=2)
    assert warnings == [services.MINUTES_OVER.format(minutes=25, limit=20)]
    comparison = review_comparison(record=record)
    assert comparison.agreed == ["C7"]
    assert comparison.disagreed == {"M3": ["nurse.a"]}
    assert comparison.candidates_disagree
    assert comparison.over_limit == ["nurse.b"]
    record.refresh_from_db()
    assert record.status == RecordStatus.SCREENED


def test_primary_review_rejects_unknown_trigger(sampled, crew):
    record = sampled.records.first()
    with pytest.raises(DomainError) as error:
        services.primary_review_save(record=record, actor=crew["nurse.a"], triggers=["Z9"],
                                     minutes=5)
    assert error.value.message == services.TRIGGER_UNKNOWN.format(value="Z9", variant="ihi")


def test_primary_review_only_by_primary_reviewers(sampled, crew):
    with pytest.raises(AccessDenied):
        services.primary_review_save(record=sampled.records.first(), actor=crew["doctor"],
                                     triggers=[], minutes=5)


def test_records_hidden_from_reporters_outside_the_team(sampled, make_user):
    stranger = make_user("stranger", ("H1", "reporter"))
    with pytest.raises(AccessDenied) as error:
        services.records_authorize(stranger, sampled.team)
    assert error.value.message == services.RECORDS_HIDDEN.format(team="GTT-H1")


def test_physician_confirms_and_decides(sampled, crew):
    record = sampled.records.get(stay_id="S01")
    services.record_confirm(record=record, actor=crew["doctor"], events=[
        EventInput("f", "Fall injury", "Hip fracture after fall", ("C7",)),
        EventInput("E", "Delirium", "")])
    events = list(AdverseEvent.objects.filter(record=record).order_by("severity"))
    assert [(e.severity, e.harm_type, e.harm_type_text) for e in events] == [
        ("E", "other", "Delirium"), ("F", "fall", "")]
    record.refresh_from_db()
    assert record.status == RecordStatus.CONFIRMED
    assert AuditEvent.objects.filter(action="harm.record.confirm").count() == 1


def test_confirm_rejects_severity_outside_e_to_i(sampled, crew):
    with pytest.raises(DomainError, match="not a GTT severity"):
        services.record_confirm(record=sampled.records.first(), actor=crew["doctor"],
                                events=[EventInput("D", "other")])


def test_confirm_only_by_physician(sampled, crew):
    with pytest.raises(AccessDenied):
        services.record_confirm(record=sampled.records.first(), actor=crew["nurse.a"],
                                events=[])


def _confirm_all(period, doctor):
    for record in period.records.all():
        services.record_confirm(record=record, actor=doctor, events=[])


def test_lock_needs_every_record_confirmed(sampled, crew):
    with pytest.raises(DomainError, match="not confirmed yet"):
        services.review_period_lock(period=sampled, actor=crew["coord"])


def test_locked_period_refuses_changes_and_unlock_is_audited(sampled, crew):
    _confirm_all(sampled, crew["doctor"])
    services.review_period_lock(period=sampled, actor=crew["coord"])
    record = sampled.records.first()
    with pytest.raises(DomainError, match="is locked"):
        services.record_confirm(record=record, actor=crew["doctor"], events=[])
    with pytest.raises(DomainError, match="Say why"):
        services.review_period_unlock(period=sampled, reason=" ", actor=crew["coord"])
    services.review_period_unlock(period=sampled, reason="Late lab result", actor=crew["coord"])
    event = AuditEvent.objects.get(action="harm.period.unlock")
    assert event.after["reason"] == "Late lab result"
    assert not ReviewPeriod.objects.get(pk=sampled.pk).is_locked


def test_lock_needs_gtt_manage(sampled, crew):
    _confirm_all(sampled, crew["doctor"])
    with pytest.raises(AccessDenied):
        services.review_period_lock(period=sampled, actor=crew["nurse.a"])


def test_admin_is_browse_only(client, team, make_user):
    admin = make_user("root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    assert client.get("/admin/harm/gttteam/").status_code == 200
    assert client.get("/admin/harm/gttteam/add/").status_code == 403


def test_sample_draw_refuses_overlapping_periods(team, discharges):
    services.discharge_list_upload(team=team, text=discharges, actor=None)
    _draw(team)
    with pytest.raises(DomainError, match="overlaps the review period"):
        _draw(team, start=date(2025, 3, 8))
    assert ReviewPeriod.objects.count() == 1


def test_sample_draw_waits_until_the_period_is_over(team):
    from django.utils import timezone

    start = timezone.localdate() - timedelta(days=5)
    with pytest.raises(DomainError) as error:
        services.sample_draw(team=team, start=start, actor=None, seed=1)
    assert error.value.message == services.PERIOD_NOT_OVER.format(
        end=start + timedelta(days=13))
    assert not ReviewPeriod.objects.exists()
