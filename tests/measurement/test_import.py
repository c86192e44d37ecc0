"""Bulk import: all or nothing, strategies, conflicts, round trips through every format."""

from __future__ import annotations

import json

import pytest

from safehands.audit.models import AuditEvent
from safehands.measurement import formats, rules, services
from safehands.measurement.models import DataValue, DataValueHistory, EntryBatch
from safehands.measurement.queries import data_value_list, export_rows

from .conftest import TODAY

HEADER = "org_unit,measure,period,numerator,denominator,value,comment\n"
GOOD = HEADER + (
    "W1,falls.rate,2026-01,3,1200.5,,\n"
    "W1,falls.rate,2026-02,1,1100,,after PDSA 1\n"
    "W1,falls.risk_assessed,2026-01,18,20,,\n"
    "W2,falls.rate,2026-01,0,900,,\n"
)


def _import(text, fmt="csv", actor=None, **options):
    return services.data_values_import(text=text, fmt=fmt, actor=actor, today=TODAY, **options)


def test_import_creates_values_in_one_batch_with_one_audit_event(enrolled):
    summary = _import(GOOD, file_name="jan.csv")
    assert summary.as_dict() == {"status": "applied", "dry_run": False, "counts": {
        "created": 4, "updated": 0, "unchanged": 0, "ignored": 0}, "conflicts": []}
    assert DataValue.objects.count() == 4
    batch = EntryBatch.objects.get()
    assert (batch.created, batch.file_name, batch.source) == (4, "jan.csv", "import")
    assert AuditEvent.objects.filter(action="measurement.data_values.import").count() == 1


def test_reimporting_the_same_file_changes_nothing(enrolled):
    _import(GOOD)
    summary = _import(GOOD)
    assert summary.as_dict()["counts"] == {"created": 0, "updated": 0, "unchanged": 4,
                                           "ignored": 0}
    assert not DataValueHistory.objects.exists()
    assert set(DataValue.objects.values_list("version", flat=True)) == {1}


def test_dry_run_reports_and_writes_nothing(enrolled):
    summary = _import(GOOD, dry_run=True)
    assert (summary.status, summary.dry_run, summary.created) == ("valid", True, 4)
    assert not DataValue.objects.exists() and not EntryBatch.objects.exists()


def test_update_keeps_history(enrolled):
    _import(GOOD)
    summary = _import(HEADER + "W1,falls.rate,2026-01,4,1200.5,,corrected\n")
    assert summary.updated == 1
    history = DataValueHistory.objects.get()
    assert history.old == {"numerator": 3.0, "denominator": 1200.5, "value": None,
                           "comment": ""}
    assert history.new["numerator"] == 4.0 and history.new["comment"] == "corrected"
    value = DataValue.objects.get(period="2026-01", measure__code="falls.rate", unit__code="W1")
    assert value.version == 2


@pytest.mark.parametrize("strategy,counts", [
    ("create", {"created": 1, "updated": 0, "unchanged": 0, "ignored": 1}),
    ("update", {"created": 0, "updated": 1, "unchanged": 0, "ignored": 1}),
    ("create_and_update", {"created": 1, "updated": 1, "unchanged": 0, "ignored": 0}),
])
def test_strategies(enrolled, strategy, counts):
    _import(HEADER + "W1,falls.rate,2026-01,3,1000,,\n")
    summary = _import(HEADER + "W1,falls.rate,2026-01,5,1000,,\nW1,falls.rate,2026-02,1,900,,\n",
                      strategy=strategy)
    assert summary.as_dict()["counts"] == counts


def test_empty_rows_are_ignored(enrolled):
    summary = _import(HEADER + "W1,falls.rate,2026-01,,,,\n")
    assert summary.as_dict()["counts"]["ignored"] == 1


def _conflicts(text, **options):
    summary = _import(text, **options)
    assert summary.status == "conflicts"
    assert not DataValue.objects.exists()
    return [c.as_dict() for c in summary.conflicts]


def test_unknown_codes_bad_period_and_numbers_are_conflicts_and_nothing_is_applied(enrolled):
    text = GOOD + (
        "XX,falls.rate,2026-01,1,100,,\n"
        "W1,nope,2026-01,1,100,,\n"
        "W1,falls.rate,2026-13,1,100,,\n"
        "W1,falls.risk_assessed,2026-03,21,20,,\n"
        "W1,falls.rate,2026-02,1,1100,,\n"
    )
    assert _conflicts(text) == [
        {"row": 6, "field": "org_unit", "value": "XX",
         "message": services.UNKNOWN_UNIT.format(code="XX")},
        {"row": 7, "field": "measure", "value": "nope",
         "message": services.UNKNOWN_MEASURE.format(code="nope")},
        {"row": 8, "field": "period", "value": "2026-13",
         "message": "'2026-13': the month must be 01 to 12."},
        {"row": 9, "field": "numerator", "value": "21",
         "message": rules.NUMERATOR_ABOVE_DENOMINATOR.format(numerator=21, denominator=20)},
        {"row": 10, "field": "period", "value": "2026-02",
         "message": services.DUPLICATE_ROW.format(first=3)},
    ]


def test_a_locked_period_is_a_conflict(enrolled, tree):
    services.period_lock(unit=tree["R1"], period="2026-01", actor=None)
    conflicts = _conflicts(GOOD)
    assert {c["row"] for c in conflicts} == {2, 4, 5}
    assert conflicts[0]["message"] == services.PERIOD_LOCKED.format(period="2026-01",
                                                                    unit="Ward One")


def test_a_unit_the_user_may_not_write_is_a_conflict(enrolled, make_user):
    reporter = make_user("r", ("W1", "reporter"))
    conflicts = _conflicts(GOOD, actor=reporter)
    assert conflicts == [{"row": 5, "field": "org_unit", "value": "W2",
                          "message": services.NO_WRITE_ACCESS.format(unit="Ward Two")}]


def test_a_malformed_fhir_resource_is_a_conflict(enrolled):
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient"}},
        {"resource": {"resourceType": "MeasureReport", "type": "summary",
                      "measure": formats.FHIR_MEASURE_BASE + "falls.rate",
                      "reporter": {"identifier": {"system": formats.FHIR_ORG_SYSTEM,
                                                  "value": "W1"}},
                      "period": {"start": "2026-01-01", "end": "2026-01-15"}}},
    ]}
    conflicts = _conflicts(json.dumps(bundle), fmt="fhir")
    assert [(c["row"], c["field"]) for c in conflicts] == [(1, "resourceType"), (2, "period")]


def test_bad_csv_header_is_a_conflict(enrolled):
    conflicts = _conflicts("unit,measure,period\nW1,falls.rate,2026-01\n")
    assert conflicts[0]["row"] == 1 and conflicts[0]["field"] == "header"


def test_a_crash_in_the_middle_leaves_the_database_as_it_was(enrolled, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    _import(HEADER + "W1,falls.rate,2026-01,3,1000,,\n")
    monkeypatch.setattr(services, "_write_updated", crash)
    with pytest.raises(RuntimeError):
        _import(GOOD.replace("W1,falls.rate,2026-01,3,1200.5", "W1,falls.rate,2026-01,4,1000"))
    assert DataValue.objects.count() == 1
    assert EntryBatch.objects.count() == 1


def test_progress_is_reported(enrolled):
    seen = []
    _import(GOOD, progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert ("read", 4, 4) in seen and ("write", 4, 4) in seen


@pytest.mark.parametrize("fmt", formats.FORMATS)
def test_export_then_import_round_trips_exactly(enrolled, tree, fmt):
    from safehands.measurement.models import Enrolment

    _import(GOOD + "W1,falls.restraint_use,2026-01,1,3,,\"quoted, text\"\n")
    for code in ("falls.rate",):
        assert Enrolment.objects.filter(unit=tree["W1"]).exists(), code
    rows = export_rows(values=data_value_list(unit=tree["NO"], subtree=True))
    text = formats.write(rows, fmt)
    DataValue.objects.all().delete()
    summary = _import(text, fmt=fmt)
    assert summary.created == 5, summary.as_dict()
    again = export_rows(values=data_value_list(unit=tree["NO"], subtree=True))
    assert again == rows
    assert formats.write(again, fmt) == text
    assert _import(text, fmt=fmt).unchanged == 5


def test_rollup_sums_numerators_and_denominators(enrolled, tree, measures):
    from safehands.measurement.queries import rollup

    _import(HEADER + "W1,falls.rate,2026-01,3,1000,,\nW2,falls.rate,2026-01,1,1000,,\n"
            "W3,falls.rate,2026-01,2,500,,\nW1,falls.rate,2026-02,2,1000,,\n")
    points = rollup(unit=tree["NO"], measure=measures["falls.rate"])
    measure = measures["falls.rate"]
    assert points[0].period == "2026-01"
    assert (points[0].numerator, points[0].denominator) == (6, 2500)
    assert points[0].value == pytest.approx(6 / 2500 * measure.multiplier)
    assert (points[0].reporting_units, points[0].expected_units) == (3, 3)
    assert (points[1].reporting_units, points[1].expected_units) == (1, 3)
    h1 = rollup(unit=tree["H1"], measure=measure)
    assert (h1[0].numerator, h1[0].expected_units) == (4, 2)


def test_comments_with_tabs_backslashes_and_line_breaks_are_stored_as_written(enrolled):
    comment = "ward\\closed\tfor a week\nsee the log"
    text = json.dumps([{"org_unit": "W1", "measure": "falls.rate", "period": "2026-01",
                        "numerator": 1, "denominator": 900, "comment": comment}])
    assert _import(text, fmt="json").created == 1
    assert DataValue.objects.get().comment == comment.strip()
