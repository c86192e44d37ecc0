"""Importing completed reviews: all or nothing, row/field problems, idempotent re-import."""

from __future__ import annotations

import pytest

from safehands.audit.models import AuditEvent
from safehands.harm import services
from safehands.harm.models import AdverseEvent, ReviewRecord

RECORDS = """stay_id,admission_date,discharge_date,patient_days
A1,2025-01-02,2025-01-06,4
A2,2025-01-10,2025-01-12,2
A3,2025-05-01,2025-05-09,8
"""
EVENTS = """stay_id,severity,harm_type,triggers
A1,E,medication,M3;M6
A1,F,UTI,C11
A3,G,Something unusual,
"""


def _import(team, records=RECORDS, events=EVENTS, **kwargs):
    return services.reviews_import(team=team, records_text=records, events_text=events,
                                   actor=None, **kwargs)


def test_import_creates_confirmed_records_and_events(team):
    summary = _import(team)
    assert not summary.problems
    assert (summary.created, summary.events) == (3, 3)
    assert ReviewRecord.objects.filter(status="confirmed").count() == 3
    events = {(e.record.stay_id, e.severity): e for e in AdverseEvent.objects.all()}
    assert events[("A1", "E")].triggers == ["M3", "M6"]
    assert events[("A1", "F")].harm_type == "uti"
    assert (events[("A3", "G")].harm_type, events[("A3", "G")].harm_type_text) == (
        "other", "Something unusual")
    assert AuditEvent.objects.filter(action="harm.reviews.import").count() == 1


def test_reimport_changes_nothing(team):
    _import(team)
    audits = AuditEvent.objects.count()
    again = _import(team)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert AuditEvent.objects.count() == audits
    assert AdverseEvent.objects.count() == 3


def test_reimport_with_changed_events_updates(team):
    _import(team)
    summary = _import(team, events=EVENTS.replace("A1,F,UTI,C11\n", ""))
    assert (summary.updated, summary.unchanged) == (1, 2)
    assert AdverseEvent.objects.filter(record__stay_id="A1").count() == 1


def test_dry_run_changes_nothing(team):
    summary = _import(team, dry_run=True)
    assert summary.status == "dry_run" and summary.created == 3
    assert not ReviewRecord.objects.exists()


@pytest.mark.parametrize("records,events,where", [
    (RECORDS.replace("A2,2025-01-10,2025-01-12", "A2,2025-01-14,2025-01-12"), EVENTS,
     ("RECORDS.csv", 3, "discharge_date")),
    (RECORDS.replace("A2,2025-01-10", "A2,"), EVENTS, ("RECORDS.csv", 3, "admission_date")),
    (RECORDS.replace("A3,", "A2,"), EVENTS.replace("A3,", "A2,"), ("RECORDS.csv", 4, "stay_id")),
    (RECORDS.replace(",2\n", ",-2\n"), EVENTS, ("RECORDS.csv", 3, "patient_days")),
    (RECORDS, EVENTS.replace("A1,E,", "A1,D,"), ("EVENTS.csv", 2, "severity")),
    (RECORDS, EVENTS.replace("M3;M6", "M3;Q99"), ("EVENTS.csv", 2, "triggers")),
    (RECORDS, EVENTS + "B9,E,fall,C7\n", ("EVENTS.csv", 5, "stay_id")),
])
def test_bad_input_names_file_row_field_and_applies_nothing(team, records, events, where):
    summary = _import(team, records=records, events=events)
    assert [(p.file, p.row, p.field) for p in summary.problems] == [where]
    assert summary.status == "invalid"
    assert not ReviewRecord.objects.exists() and not AdverseEvent.objects.exists()


def test_records_in_a_locked_period_are_conflicts(team, crew):
    from datetime import date

    from django.utils import timezone

    from safehands.harm.models import ReviewPeriod

    ReviewPeriod.objects.create(team=team, start=date(2025, 1, 1), end=date(2025, 1, 14),
                                locked_at=timezone.now(), locked_by=crew["coord"])
    summary = _import(team)
    assert [(p.row, p.value) for p in summary.problems] == [(2, "A1"), (3, "A2")]
    assert not ReviewRecord.objects.exists()


def test_import_without_events_file_means_no_harm(team):
    summary = services.reviews_import(team=team, records_text=RECORDS, events_text=None,
                                      actor=None)
    assert summary.created == 3 and not AdverseEvent.objects.exists()
