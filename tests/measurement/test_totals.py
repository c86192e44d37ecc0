"""Subtree totals always equal a fresh sum over the values, whatever wrote them."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest

from safehands.measurement import queries, services, totals
from safehands.measurement.models import DataValue, SubtreeTotal
from safehands.orgs.models import OrgUnit

CSV_HEADER = "org_unit,measure,period,numerator,denominator,value,comment\n"


def _fresh_sums() -> dict[tuple[str, str, str], tuple[float, float, float, int]]:
    """(unit code, measure code, period) -> sums of the values strictly below the unit."""
    paths = dict(OrgUnit.objects.values_list("code", "path"))
    found: dict[tuple[str, str, str], list] = defaultdict(lambda: [0.0, 0.0, 0.0, 0])
    for path, measure, period, num, den, val in DataValue.objects.values_list(
            "unit__path", "measure__code", "period", "numerator", "denominator", "value"):
        for code, above in paths.items():
            if path.startswith(above) and path != above:
                sums = found[(code, measure, period)]
                sums[0] += num or 0
                sums[1] += den or 0
                sums[2] += val or 0
                sums[3] += 1
    return {key: tuple(sums) for key, sums in found.items()}


def _stored_sums() -> dict[tuple[str, str, str], tuple[float, float, float, int]]:
    return {(u, m, p): (n, d, v, r) for u, m, p, n, d, v, r in SubtreeTotal.objects.values_list(
        "unit__code", "measure__code", "period", "numerator", "denominator", "value",
        "reporting")}


def _import(text: str, **options):
    summary = services.data_values_import(text=CSV_HEADER + text, fmt="csv", actor=None,
                                          source="cli", today=date(2026, 6, 15), **options)
    assert not summary.conflicts, summary.as_dict()
    return summary


@pytest.fixture
def values(enrolled, tree, measures):
    from safehands.catalogue.models import TargetArea

    sepsis = TargetArea.objects.get(code="sepsis")
    for code in ("W1", "W2"):
        services.enrolment_create(unit=tree[code], target_area=sepsis,
                                  started=date(2023, 1, 1), actor=None, source="system")
    _import("W1,falls.rate,2026-01,3,1000,,\n"
            "W2,falls.rate,2026-01,4,900,,\n"
            "W3,falls.rate,2026-01,1,500,,\n"
            "W1,falls.rate,2026-02,2,1000,,\n"
            "W1,sepsis.time_to_antibiotics,2026-01,,,42.5,\n"
            "W2,sepsis.time_to_antibiotics,2026-01,,,61.25,\n")


def test_an_import_writes_the_totals_of_every_unit_above(values, tree):
    stored = _stored_sums()
    assert stored == _fresh_sums()
    assert stored[("H1", "falls.rate", "2026-01")] == (7, 1900, 0, 2)
    assert stored[("NO", "falls.rate", "2026-01")] == (8, 2400, 0, 3)
    assert stored[("NO", "sepsis.time_to_antibiotics", "2026-01")] == (0, 0, 103.75, 2)
    assert ("W1", "falls.rate", "2026-01") not in stored  # a unit's own values: no total
    assert not any(code == "M1" for code, _, _ in stored)


def test_form_saves_changes_and_deletions_keep_the_totals(values, tree, measures):
    rate = measures["falls.rate"]
    services.data_value_upsert(unit=tree["W2"], measure=rate, period="2026-02", numerator=5,
                               denominator=800, actor=None, today=date(2026, 6, 15))
    services.data_value_upsert(unit=tree["W1"], measure=rate, period="2026-01", numerator=6,
                               denominator=1000, actor=None, today=date(2026, 6, 15))
    assert _stored_sums()[("T1", "falls.rate", "2026-01")] == (10, 1900, 0, 2)
    services.data_value_delete(data_value=DataValue.objects.get(
        unit=tree["W3"], measure=rate, period="2026-01"), actor=None)
    services.data_value_delete(data_value=DataValue.objects.get(
        unit=tree["W1"], measure=measures["sepsis.time_to_antibiotics"], period="2026-01"),
        actor=None)
    stored = _stored_sums()
    assert stored == _fresh_sums()
    assert ("R2", "falls.rate", "2026-01") not in stored  # nothing left below: no row
    assert stored[("NO", "sepsis.time_to_antibiotics", "2026-01")] == (0, 0, 61.25, 1)


def test_an_import_that_updates_keeps_the_totals(values):
    _import("W1,falls.rate,2026-01,9,1000,,\nW3,falls.rate,2026-03,2,400,,\n")
    assert _stored_sums() == _fresh_sums()
    assert _stored_sums()[("NO", "falls.rate", "2026-01")] == (14, 2400, 0, 3)


@pytest.mark.parametrize("strategy", ["create", "update"])
def test_rows_an_import_ignores_count_as_what_is_stored(values, strategy):
    # One changed value of a stored row, one new row: each strategy ignores one of them.
    _import("W1,falls.rate,2026-02,8,1000,,\nW2,falls.rate,2026-02,1,700,,\n"
            "W3,falls.rate,2026-04,1,700,,\n", strategy=strategy)
    stored = _stored_sums()
    assert stored == _fresh_sums()
    assert stored[("H1", "falls.rate", "2026-02")] == (
        (3, 1700, 0, 2) if strategy == "create" else (8, 1000, 0, 1))


def test_a_refused_import_leaves_the_totals_as_they_were(values):
    before = _stored_sums()
    summary = services.data_values_import(
        text=CSV_HEADER + "W1,falls.rate,2026-01,9,1000,,\nW1,falls.rate,2026-13,1,1,,\n",
        fmt="csv", actor=None, source="cli", today=date(2026, 6, 15))
    assert summary.conflicts
    assert _stored_sums() == before


def test_a_crash_after_the_totals_rolls_them_back_with_the_values(values, monkeypatch):
    before = _stored_sums()

    def fail(**_):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "audit_record", fail)
    with pytest.raises(RuntimeError):
        services.data_values_import(text=CSV_HEADER + "W1,falls.rate,2026-01,9,1000,,\n",
                                    fmt="csv", actor=None, source="cli",
                                    today=date(2026, 6, 15))
    assert _stored_sums() == before
    assert DataValue.objects.get(unit__code="W1", period="2026-01",
                                 measure__code="falls.rate").numerator == 3


def test_a_move_in_the_org_tree_rebuilds_the_totals(values, tree):
    from safehands.orgs.services import org_units_import

    version = queries.data_version()
    summary = org_units_import(  # W2 moves to Hospital Two, in the other region
        text="code,name,kind,parent_code,name_nb\nW2,Ward Two,unit,H2,\n", actor=None,
        source="system")
    assert not summary.problems and summary.updated == 1
    stored = _stored_sums()
    assert stored == _fresh_sums()
    assert stored[("H1", "falls.rate", "2026-01")] == (3, 1000, 0, 1)
    assert stored[("R2", "falls.rate", "2026-01")] == (5, 1400, 0, 2)
    assert queries.data_version() != version  # cached dashboards are computed afresh


def test_rebuild_gives_what_the_writes_kept(values):
    kept = _stored_sums()
    SubtreeTotal.objects.all().delete()
    assert totals.rebuild() == len(kept)
    assert _stored_sums() == kept


def test_rollup_and_dashboard_read_the_totals_and_the_units_own_values(values, tree,
                                                                       measures):
    rate = measures["falls.rate"]
    # A hospital reporting for itself as well as through its wards.
    from safehands.catalogue.models import TargetArea

    services.enrolment_create(unit=tree["H1"], target_area=TargetArea.objects.get(
        code="falls"), started=date(2023, 1, 1), actor=None, source="system")
    _import("H1,falls.rate,2026-01,10,100,,\n")
    points = {p.period: p for p in queries.rollup(unit=tree["H1"], measure=rate,
                                                  today=date(2026, 6, 15))}
    assert (points["2026-01"].numerator, points["2026-01"].denominator,
            points["2026-01"].reporting_units) == (17, 2000, 3)
    breakdown = queries.rollup_breakdown(unit=tree["NO"], measure=rate, period="2026-01")
    assert [(r["unit"].code, r["numerator"], r["denominator"], r["reporting"])
            for r in breakdown] == [("M1", 0, 0, 0), ("R1", 17, 2000, 3), ("R2", 1, 500, 1)]
    board = queries.dashboard(unit=tree["NO"], today=date(2026, 6, 15))
    assert [r.code for r in board.rows] == ["M1", "R1", "R2"]
    january = dict((p, (r, d)) for p, r, d in board.completeness[rate.pk])["2026-01"]
    assert january[0] == 4  # W1, W2, W3 and H1 itself
    time = measures["sepsis.time_to_antibiotics"]
    sums = queries.subtree_sums(unit_ids=[tree["R1"].pk], measure=time)
    assert sums[(tree["R1"].pk, time.pk, "2026-01")].y(time) == pytest.approx(51.875)
    assert time in board.measures


def test_the_rebuild_command_repairs_totals_changed_behind_the_applications_back(values):
    from click.testing import CliRunner

    from safehands.audit.models import AuditEvent
    from safehands.cli.main import cli

    kept = _stored_sums()
    SubtreeTotal.objects.filter(unit__code="NO").update(numerator=0)
    DataValue.objects.filter(unit__code="W3").update(numerator=2)  # a fix made by hand
    result = CliRunner().invoke(cli, ["data", "rebuild-totals"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"Wrote {len(kept)} subtree totals." in result.stderr
    assert _stored_sums() == _fresh_sums()
    assert _stored_sums()[("NO", "falls.rate", "2026-01")] == (9, 2400, 0, 3)
    assert AuditEvent.objects.filter(action="measurement.subtree_totals.rebuild").exists()



def test_two_writers_of_one_pair_on_postgresql_wait_for_each_other(transactional_db, enrolled,
                                                                   tree, measures):
    """The second writer's recomputation waits for the first one's commit and includes it."""
    import threading

    from django.db import connection, connections, transaction

    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets one writer in at a time")
    rate = measures["falls.rate"]
    first_wrote, errors = threading.Event(), []

    def write(code: str, hold: bool) -> None:
        try:
            with transaction.atomic():
                services.data_value_upsert(unit=tree[code], measure=rate, period="2026-01",
                                           numerator=2, denominator=100, actor=None,
                                           today=date(2026, 6, 15))
                if hold:
                    first_wrote.set()
                    threading.Event().wait(0.5)  # the other writer arrives meanwhile
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    first = threading.Thread(target=write, args=("W1", True))
    first.start()
    first_wrote.wait(10)
    second = threading.Thread(target=write, args=("W2", False))
    second.start()
    first.join(20)
    second.join(20)
    assert not errors
    assert _stored_sums() == _fresh_sums()
    assert _stored_sums()[("H1", "falls.rate", "2026-01")] == (4, 200, 0, 2)


def test_saving_a_value_locks_only_the_value_row(enrolled, tree, measures):
    """FOR UPDATE over the default ordering's joins also locked the unit and measure rows,
    and writers of one measure deadlocked under load; the lock is on the value alone."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes no row locks")
    rate = measures["falls.rate"]
    for _ in range(2):  # the first save creates the row, the second updates it under the lock
        with CaptureQueriesContext(connection) as seen:
            services.data_value_upsert(unit=tree["W1"], measure=rate, period="2026-01",
                                       numerator=2, denominator=100, actor=None,
                                       today=date(2026, 6, 15))
        locking = [q["sql"] for q in seen.captured_queries if "FOR UPDATE" in q["sql"]]
        value_locks = [sql for sql in locking if 'FROM "measurement_datavalue"' in sql]
        assert len(value_locks) == 1, locking
        assert " JOIN " not in value_locks[0]
        assert 'FOR UPDATE OF "measurement_datavalue"' in value_locks[0]
