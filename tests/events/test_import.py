"""`events_import`: reports from other incident systems, all or nothing, re-importable."""

from __future__ import annotations

import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from safehands.audit.models import AuditEvent
from safehands.core.errors import DomainError
from safehands.events import import_rows, importing
from safehands.events.importing import events_import
from safehands.events.mapping import MappingInvalid, mapping_load, mapping_parse, text_decode
from safehands.events.models import Event, EventDeadline, EventTransition
from safehands.events.services import event_report

DATA = Path(__file__).parent / "data"
OSLO = ZoneInfo("Europe/Oslo")
HEADER = ("reference,occurred_at,reported_at,org_code,event_type,outcome,reached_patient,"
          "description,status\n")


@pytest.fixture
def demo_orgs(db, catalogue):
    """The demo organisations (`safehands setup --demo`): the sample exports name them."""
    from safehands.demo.load import demo_orgs_csv
    from safehands.orgs.services import org_units_import

    assert not org_units_import(text=demo_orgs_csv(), actor=None, source="system").problems


def sample(name: str, mapping=None) -> str:
    return text_decode((DATA / name).read_bytes(), mapping)


def csv_text(*rows: str) -> str:
    return HEADER + "".join(row + "\n" for row in rows)


def test_default_columns_create_imported_events_without_reporter_or_followup(demo_orgs):
    summary = events_import(sample("reports.csv"))
    assert (summary.status, summary.created, summary.updated, summary.unchanged) == (
        "applied", 3, 0, 0)
    event = Event.objects.get(reference="R-1")
    assert event.org_unit.code == "OUS-RH-MED"
    assert (event.event_type, event.category, event.outcome, event.outcome_reported) == (
        "fall", "patient", "low", "low")
    assert event.target_area.code == "falls"
    assert event.source == "import" and event.reporter is None
    assert event.followup_token_hash == "" and event.followup_expires_at is None
    assert event.reached_patient is True
    assert Event.objects.get(reference="R-2").reached_patient is False
    assert Event.objects.get(reference="R-3").reached_patient is None


def test_a_naive_time_or_a_date_alone_is_oslo_local_time(demo_orgs):
    events_import(sample("reports.csv"))
    first = Event.objects.get(reference="R-1")
    assert first.occurred_at == datetime.datetime(2024, 4, 1, 10, 0, tzinfo=OSLO)
    second = Event.objects.get(reference="R-2")
    assert second.occurred_at == datetime.datetime(2024, 4, 2, 0, 0, tzinfo=OSLO)
    assert second.reported_at == datetime.datetime(
        2024, 4, 2, 9, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))


def test_importing_the_same_file_again_changes_nothing(demo_orgs):
    text = sample("reports.csv")
    events_import(text)
    audits, transitions = AuditEvent.objects.count(), EventTransition.objects.count()
    again = events_import(text)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert AuditEvent.objects.count() == audits
    assert EventTransition.objects.count() == transitions
    assert Event.objects.get(reference="R-1").version == 1


def test_a_changed_row_updates_the_event_audited_with_before_and_after(demo_orgs):
    events_import(csv_text("C-1,2024-03-01 10:00,2024-03-01 12:00,OUS-RH-MED,fall,low,true,"
                           "Slipped in the shower.,submitted"))
    summary = events_import(csv_text(
        "C-1,2024-03-01 10:00,2024-03-01 12:00,OUS-RH-MED,fall,moderate,true,"
        "Slipped in the shower.,closed"))
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 0)
    assert summary.changes[0].after == {"outcome": "moderate", "status": "closed"}
    event = Event.objects.get(reference="C-1")
    assert (event.outcome, event.status, event.version) == ("moderate", "closed", 2)
    audit = AuditEvent.objects.get(action="event.import_updated")
    assert audit.object_id == str(event.pk)
    assert audit.before == {"outcome": "low", "status": "submitted"}
    assert audit.after == {"outcome": "moderate", "status": "closed"}
    assert list(event.transitions.values_list("from_status", "to_status")) == [
        ("", "submitted"), ("submitted", "closed")]
    # Closed: its unmet deadlines are gone.
    assert not event.deadlines.exists()


def test_audit_has_one_row_per_created_event_and_one_summary(demo_orgs):
    events_import(sample("reports.csv"), file="reports.csv")
    assert AuditEvent.objects.filter(action="event.imported").count() == 3
    summary = AuditEvent.objects.get(action="events.import")
    assert summary.after["created"] == 3 and summary.after["file"] == "reports.csv"
    assert summary.source == "cli"
    created = AuditEvent.objects.get(action="event.imported", object_repr="R-1")
    assert created.after["source"] == "import" and created.org_path.endswith("OUS-RH-MED/")


def test_deadlines_start_only_for_open_events_and_not_for_triage_already_done(demo_orgs):
    events_import(csv_text(
        "D-1,2024-03-01 10:00,2024-03-01 12:00,OUS-RH-MED,fall,severe,true,Fell.,submitted",
        "D-2,2024-03-01 10:00,2024-03-01 12:00,OUS-RH-MED,fall,severe,true,Fell.,investigating",
        "D-3,2024-03-01 10:00,2024-03-01 12:00,OUS-RH-MED,fall,severe,true,Fell.,closed",
        "D-4,2024-03-01 10:00,2024-03-01 12:00,OUS-RH-MED,fall,severe,true,Fell.,rejected"))

    def codes(reference):
        return set(EventDeadline.objects.filter(event__reference=reference)
                   .values_list("code", flat=True))

    assert codes("D-1") == {"notify_specialist", "triage", "triage_serious", "close"}
    assert codes("D-2") == {"notify_specialist", "close"}
    assert codes("D-3") == codes("D-4") == set()
    due = EventDeadline.objects.get(event__reference="D-1", code="triage").due_at
    assert due == datetime.datetime(2024, 3, 1, 12, 0, tzinfo=OSLO) + datetime.timedelta(
        hours=72)


def test_a_file_with_errors_names_every_row_and_field_and_applies_nothing(demo_orgs):
    summary = events_import(sample("reports_with_errors.csv"))
    assert summary.status == "invalid"
    found = {(p.row, p.field) for p in summary.problems}
    assert found == {
        (3, "org_code"), (4, "event_type"), (5, "outcome"), (6, "status"),
        (7, "occurred_at"), (7, "reported_at"), (8, "occurred_at"), (9, "description"),
        (10, "reached_patient"), (11, "reference"), (12, "occurred_at"),
    }
    messages = {(p.row, p.field): p.message for p in summary.problems}
    assert messages[(3, "org_code")].startswith("'NOPE' is not an org unit code")
    assert "is in the future" in messages[(7, "reported_at")]
    assert "after it was reported" in messages[(8, "occurred_at")]
    assert messages[(9, "description")] == "Say what happened: the description is empty."
    assert messages[(10, "reached_patient")].startswith("'maybe' is not true or false")
    assert messages[(11, "reference")] == (
        "Reference 'E-1' of OUS-RH-MED appears more than once in the file (first on row 2).")
    assert "'10.03.2024' is not a date" in messages[(12, "occurred_at")]
    assert Event.objects.count() == 0 and AuditEvent.objects.filter(
        action__startswith="event").count() == 0
    assert summary.created == summary.updated == 0


def test_problems_are_counted_in_full_but_listed_up_to_a_limit(demo_orgs):
    rows = [f"X-{i},2024-03-01 10:00,2024-03-01 12:00,NOPE,fall,low,true,Fell.,closed"
            for i in range(import_rows.PROBLEM_LIMIT + 10)]
    summary = events_import(csv_text(*rows))
    assert summary.problem_count == import_rows.PROBLEM_LIMIT + 10
    assert len(summary.problems) == import_rows.PROBLEM_LIMIT


def test_dry_run_checks_and_counts_but_writes_nothing(demo_orgs):
    summary = events_import(sample("reports.csv"), dry_run=True)
    assert (summary.status, summary.created) == ("dry_run", 3)
    assert Event.objects.count() == 0 and AuditEvent.objects.filter(
        action__startswith="event").count() == 0


def test_synergi_export_loads_with_the_shipped_mapping(demo_orgs):
    mapping = mapping_load("synergi")
    summary = events_import(sample("synergi_export.csv", mapping), mapping)
    assert summary.problem_count == 0, summary.problems
    assert (summary.created, summary.identity_numbers_masked) == (5, 1)
    fall = Event.objects.get(reference="2024/00112")
    assert fall.org_unit.code == "OUS-RH-MED"  # matched by the unit's name
    assert (fall.event_type, fall.outcome, fall.status) == ("fall", "low", "closed")
    assert fall.reached_patient is True  # "Nesten-uhell: Nei"
    assert fall.occurred_at == datetime.datetime(2024, 2, 3, 14, 30, tzinfo=OSLO)
    assert fall.reported_at == datetime.datetime(2024, 2, 3, 16, 5, tzinfo=OSLO)
    near_miss = Event.objects.get(reference="2024/00187")
    assert near_miss.reached_patient is False and near_miss.description.startswith(
        "Feil dose paracetamol ble klargjort; oppdaget")
    ulcer = Event.objects.get(reference="2024/00233")
    assert ulcer.org_unit.code == "K0301-NH1-LT" and ulcer.outcome == "moderate"
    assert "[fødselsnummer fjernet]" in ulcer.description and "00027" not in ulcer.description
    assert ulcer.description.endswith("Madrass byttet samme kveld.")
    pump = Event.objects.get(reference="2024/00301")
    assert (pump.org_unit.code, pump.event_type, pump.outcome, pump.status) == (
        "OUS-RH-ICU", "device", "severe", "investigating")
    sepsis = Event.objects.get(reference="2024/00345")
    assert sepsis.org_unit.code == "OUS-ULL-ED"  # case and spacing do not matter
    assert sepsis.occurred_at == datetime.datetime(2024, 3, 15, 0, 0, tzinfo=OSLO)
    assert (sepsis.outcome, sepsis.status, sepsis.reached_patient) == (
        "moderate", "awaiting_approval", None)
    assert not fall.deadlines.exists() and pump.deadlines.exists()
    assert events_import(sample("synergi_export.csv", mapping), mapping).unchanged == 5


def test_datix_export_loads_with_the_shipped_mapping(demo_orgs):
    mapping = mapping_load("datix")
    summary = events_import(sample("datix_export.csv", mapping), mapping)
    assert summary.problem_count == 0, summary.problems
    assert summary.created == 5
    london = ZoneInfo("Europe/London")
    fall = Event.objects.get(reference="W104233")
    assert (fall.event_type, fall.outcome, fall.status, fall.reached_patient) == (
        "fall", "low", "closed", True)
    assert fall.occurred_at == datetime.datetime(2024, 3, 5, 19, 30, tzinfo=london)
    swap = Event.objects.get(reference="W104251")
    assert (swap.event_type, swap.outcome, swap.reached_patient) == ("medication", "none",
                                                                     False)
    assert Event.objects.get(reference="W104260").status == "triaged"
    named = Event.objects.get(reference="W104288")
    assert (named.org_unit.code, named.event_type, named.outcome, named.status) == (
        "AHUS-NOR-SUR", "deterioration", "severe", "awaiting_approval")
    staff = Event.objects.get(reference="W104301")
    assert (staff.category, staff.event_type, staff.status) == ("staff", "staff_violence",
                                                                "submitted")


def test_a_user_mapping_renames_columns_maps_values_and_fills_defaults(demo_orgs, tmp_path):
    text = mapping_parse("""
format_version: 1
date_formats: ["%d.%m.%Y %H:%M"]
columns:
  reference: Nr
  occurred_at: {column: Dato, time_column: Tid}
  reported_at: Meldt
  org_code: Sted
  event_type: Type
  outcome: Skade
  near_miss: Nestenuhell
  description: Tekst
values:
  org_code: {Medisin RH: OUS-RH-MED}
  event_type: {Fallskade: fall}
  outcome: {Lett: low}
  near_miss: {Ja: "true", Nei: "false"}
defaults:
  status: closed
""", name="mine.yaml")
    summary = events_import("Nr;Dato;Tid;Meldt;Sted;Type;Skade;Nestenuhell;Tekst\n"
                            "7;01.03.2024 00:00;0815;01.03.2024 09:00;medisin rh;FALLSKADE;"
                            "lett;ja;Snublet i korridoren.\n", text)
    assert summary.created == 1, summary.problems
    event = Event.objects.get(reference="7")
    assert (event.org_unit.code, event.event_type, event.outcome, event.status) == (
        "OUS-RH-MED", "fall", "low", "closed")
    assert event.reached_patient is False
    assert event.occurred_at == datetime.datetime(2024, 3, 1, 8, 15, tzinfo=OSLO)


@pytest.mark.parametrize(("yaml_text", "key"), [
    ("format_version: 2\n", "format_version"),
    ("format_version: 1\ncolour: red\n", "colour"),
    ("format_version: 1\ncolumns: {severity: Konsekvens}\n", "columns.severity"),
    ("format_version: 1\ncolumns: {occurred_at: {column: Dato, clock: Tid}}\n",
     "columns.occurred_at"),
    ("format_version: 1\ncolumns: {reached_patient: A, near_miss: B}\n", "columns.near_miss"),
    ("format_version: 1\nvalues: {event_type: {Fall: falls}}\n", "values.event_type.Fall"),
    ("format_version: 1\nvalues: {outcome: {Lett: minor}}\n", "values.outcome.Lett"),
    ("format_version: 1\nvalues: {status: {Lukket: done}}\n", "values.status.Lukket"),
    ("format_version: 1\nvalues: {near_miss: {Ja: kanskje}}\n", "values.near_miss.Ja"),
    ("format_version: 1\nvalues: {description: {a: b}}\n", "values.description"),
    ("format_version: 1\ndefaults: {status: finished}\n", "defaults.status"),
    ("format_version: 1\ndefaults: {occurred_at: '2024-01-01'}\n", "defaults.occurred_at"),
    ("format_version: 1\ndate_formats: ['dd.mm.yyyy']\n", "date_formats[0]"),
    ("format_version: 1\ntimezone: Mars/Olympus\n", "timezone"),
    ("format_version: 1\nencoding: klingon\n", "encoding"),
    ("format_version: 1\ndelimiter: ':'\n", "delimiter"),
    ("format_version: 1\norg_lookup: [path]\n", "org_lookup"),
])
def test_a_bad_mapping_is_refused_naming_the_file_and_key(catalogue, yaml_text, key):
    with pytest.raises(MappingInvalid) as caught:
        mapping_parse(yaml_text, name="bad.yaml")
    assert caught.value.message.startswith(f"bad.yaml: {key}: ")
    assert caught.value.extra == {"file": "bad.yaml", "key": key}


def test_a_mapping_that_is_not_yaml_or_not_found_is_refused(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("columns: [unclosed\n", encoding="utf-8")
    with pytest.raises(MappingInvalid, match=r"^broken.yaml: not a YAML mapping file"):
        mapping_load(broken)
    with pytest.raises(MappingInvalid, match=r"There is no mapping 'nowhere\.yaml'"):
        mapping_load("nowhere.yaml")


def test_yes_and_no_in_a_mapping_stay_words(catalogue):
    mapping = mapping_parse("format_version: 1\nvalues: {near_miss: {no: 'false', yes: "
                            "'true', on: 'true'}}\n", name="m.yaml")
    assert mapping.values["near_miss"] == {"no": "false", "yes": "true", "on": "true"}


def test_semicolons_and_a_byte_order_mark_are_read(demo_orgs):
    text = "\ufeff" + HEADER.replace(",", ";") + (
        "S-1;2024-03-01 10:00;2024-03-01 12:00;OUS-RH-MED;fall;low;true;Fell, got up.;closed\n")
    summary = events_import(text)
    assert summary.created == 1, summary.problems
    assert Event.objects.get(reference="S-1").description == "Fell, got up."


def test_a_file_not_in_the_mappings_encoding_is_named():
    data = "reference\nTrykksår\n".encode("cp1252")
    with pytest.raises(DomainError, match=r"^export.csv: not utf-8 text"):
        text_decode(data, None, file="export.csv")
    assert text_decode(data, mapping_parse("format_version: 1\nencoding: auto\n")) == (
        "reference\nTrykksår\n")


def test_a_row_the_csv_module_cannot_read_is_named(demo_orgs):
    summary = events_import(HEADER + "A," + "x" * 200_000 + "\n")
    assert summary.problems[0].row == 2
    assert summary.problems[0].message.startswith("Row 2: the file cannot be read as CSV")


def test_missing_columns_are_named_unless_a_default_fills_them(demo_orgs):
    text = "reference,occurred_at,reported_at,org_code,event_type,outcome,description\n" \
           "M-1,2024-03-01 10:00,2024-03-01 12:00,OUS-RH-MED,fall,low,Fell.\n"
    summary = events_import(text)
    assert summary.problems[0].field == "status"
    assert summary.problems[0].message.startswith("The file lacks the column(s) status;")
    mapping = mapping_parse("format_version: 1\ndefaults: {status: closed}\n")
    assert events_import(text, mapping).created == 1
    assert Event.objects.get(reference="M-1").reached_patient is None


def test_an_empty_file_is_named(demo_orgs):
    assert events_import("").problems[0].message == "The file has no rows."
    assert events_import(HEADER).problems[0].message == "The file has no rows."


def test_an_org_name_shared_by_two_units_must_be_mapped(demo_orgs):
    from safehands.orgs.models import OrgUnit

    OrgUnit.objects.filter(code="OUS-ULL-MED").update(name="Medisinsk sengepost, Rikshospitalet")
    mapping = mapping_parse("format_version: 1\norg_lookup: [name]\n")
    summary = events_import(csv_text(
        "N-1,2024-03-01 10:00,2024-03-01 12:00,\"Medisinsk sengepost, Rikshospitalet\",fall,"
        "low,true,Fell.,closed"), mapping)
    assert summary.problems[0].message.startswith(
        "'Medisinsk sengepost, Rikshospitalet' is the name of more than one org unit "
        "(OUS-RH-MED, OUS-ULL-MED)")


def test_a_user_needs_the_coordinator_role_on_every_unit(demo_orgs, make_user):
    coordinator = make_user("coordinator", ("OUS-RH", "coordinator"))
    text = csv_text(
        "U-1,2024-03-01 10:00,2024-03-01 12:00,OUS-RH-MED,fall,low,true,Fell.,closed",
        "U-2,2024-03-01 10:00,2024-03-01 12:00,OUS-ULL-MED,fall,low,true,Fell.,closed")
    summary = events_import(text, actor=coordinator, source="api")
    assert [(p.row, p.field) for p in summary.problems] == [(3, "org_code")]
    assert "you need the coordinator role there" in summary.problems[0].message
    assert Event.objects.count() == 0
    summary = events_import(csv_text(text.splitlines()[1]), actor=coordinator, source="api")
    assert summary.created == 1
    audit = AuditEvent.objects.get(action="event.imported")
    assert (audit.actor, audit.source) == (coordinator, "api")


def test_a_report_made_in_safehands_is_not_changed_by_an_import(demo_orgs, make_user):
    from safehands.orgs.models import OrgUnit

    nurse = make_user("nurse", ("OUS-RH-MED", "reporter"))
    receipt = event_report(org_unit=OrgUnit.objects.get(code="OUS-RH-MED"), event_type="fall",
                           outcome="low", description="Fell.", actor=nurse,
                           occurred_at=datetime.datetime(2024, 3, 1, 10, tzinfo=OSLO))
    summary = events_import(csv_text(
        f"{receipt.event.reference},2024-03-01 10:00,2024-03-01 12:00,OUS-RH-MED,fall,severe,"
        "true,Changed.,closed"))
    assert summary.problems[0].field == "reference"
    assert "is a report made in Safehands" in summary.problems[0].message
    assert Event.objects.get(pk=receipt.event.pk).outcome == "low"


def test_more_rows_than_one_batch_are_all_written(demo_orgs, monkeypatch):
    monkeypatch.setattr(importing, "BATCH", 7)
    rows = [f"B-{i},2024-03-01 10:00,2024-03-01 12:00,OUS-RH-MED,fall,low,true,Fell {i}.,"
            f"{'closed' if i % 2 else 'submitted'}" for i in range(30)]
    calls = []
    summary = events_import(csv_text(*rows), progress=lambda *a: calls.append(a))
    assert summary.created == 30
    assert Event.objects.filter(source="import").count() == 30
    assert AuditEvent.objects.filter(action="event.imported").count() == 30
    assert EventTransition.objects.count() == 30
    assert ("write", 30, 30) in calls
    changed = [row.replace("Fell", "Tripped") for row in rows]
    assert events_import(csv_text(*changed)).updated == 30
    assert Event.objects.filter(description__startswith="Tripped").count() == 30


def test_local_times_at_the_daylight_saving_changes_import_once(demo_orgs):
    text = csv_text(
        "G-1,2024-03-31 02:30,2024-03-31 04:00,OUS-RH-MED,fall,low,true,In the gap.,closed",
        "F-1,2024-10-27 02:30,2024-10-27 04:00,OUS-RH-MED,fall,low,true,In the fold.,closed")
    assert events_import(text).created == 2
    assert events_import(text).unchanged == 2


def test_tabs_backslashes_and_line_ends_in_text_are_stored_as_they_are(demo_orgs):
    description = 'Pump "A\\\\B"\tstopped.\nAlarm C:\\\\ward\\\\3 silent.'
    text = csv_text('T-1,2024-03-01 10:00,2024-03-01 12:00,OUS-RH-MED,device,low,true,"'
                    + description.replace('"', '""') + '",closed')
    assert events_import(text, file="tab\tfile.csv").created == 1
    assert Event.objects.get(reference="T-1").description == description
    assert AuditEvent.objects.get(action="events.import").after["file"] == "tab\tfile.csv"
    assert events_import(text).unchanged == 1
