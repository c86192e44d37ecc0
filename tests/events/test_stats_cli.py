"""`safehands events stats`: the STATS.csv contract, grouping, bed days and bad input."""

from __future__ import annotations

import csv

import pytest
from click.testing import CliRunner

from safehands.cli.main import cli
from tests.events.test_analysis import add, bed_days  # noqa: F401 (fixtures)

HEADER = ["period", "event_type", "outcome", "events", "near_misses", "bed_days",
          "events_per_1000_bed_days"]


def _run(*args: str):
    return CliRunner().invoke(cli, ["events", "stats", *args])


def _rows(path):
    with path.open(encoding="utf-8") as handle:
        reader = csv.reader(handle)
        return next(reader), [dict(zip(HEADER, row, strict=True)) for row in reader]


@pytest.fixture
def ward_events(add, bed_days):  # noqa: F811
    bed_days("W1", "2026-01", 1000)
    bed_days("W1", "2026-02", 800)
    bed_days("W2", "2026-01", 500)
    add("W1", "2026-01-10 12:00")
    add("W1", "2026-01-11 12:00", outcome="none", reached_patient=False)
    add("W1", "2026-02-28 23:30")  # still February on Oslo's clock
    add("W2", "2026-01-12 12:00")
    add("W2", "2026-05-01 12:00", event_type="medication", outcome="moderate")
    add("H1", "2026-03-01 00:30")  # March in Oslo, 23:30 UTC on 28 February


def test_stats_by_month_for_one_unit(tmp_path, ward_events):
    out = tmp_path / "STATS.csv"
    result = _run("--org", "W1", "--by", "month", "--out", str(out))
    assert result.exit_code == 0, result.output
    header, rows = _rows(out)
    assert header == HEADER
    assert rows == [
        {"period": "2026-01", "event_type": "fall", "outcome": "none", "events": "1",
         "near_misses": "1", "bed_days": "1000", "events_per_1000_bed_days": "1"},
        {"period": "2026-01", "event_type": "fall", "outcome": "low", "events": "1",
         "near_misses": "0", "bed_days": "1000", "events_per_1000_bed_days": "1"},
        {"period": "2026-02", "event_type": "fall", "outcome": "low", "events": "1",
         "near_misses": "0", "bed_days": "800", "events_per_1000_bed_days": "1.25"},
    ]
    assert "W1: 3 events in 2 period(s), 2 with bed days; 3 row(s) written" in result.stderr


def test_stats_subtree_sums_events_and_bed_days(tmp_path, ward_events):
    out = tmp_path / "STATS.csv"
    result = _run("--org", "H1", "--subtree", "--by", "month", "--out", str(out))
    assert result.exit_code == 0, result.output
    _, rows = _rows(out)
    got = [(r["period"], r["event_type"], r["outcome"], r["events"], r["bed_days"],
            r["events_per_1000_bed_days"]) for r in rows]
    assert got == [
        ("2026-01", "fall", "none", "1", "1500", repr(1 / 1.5)),
        ("2026-01", "fall", "low", "2", "1500", repr(2 / 1.5)),
        ("2026-02", "fall", "low", "1", "800", "1.25"),
        ("2026-03", "fall", "low", "1", "", ""),  # the hospital's own event; no bed days
        ("2026-05", "medication", "moderate", "1", "", ""),
    ]
    # Without --subtree the hospital alone: its own event only.
    _run("--org", "H1", "--by", "month", "--out", str(out))
    assert [(r["period"], r["events"]) for r in _rows(out)[1]] == [("2026-03", "1")]


@pytest.mark.parametrize(("by", "periods"), [
    ("quarter", [("2026-Q1", "none", "1"), ("2026-Q1", "low", "4"),
                 ("2026-Q2", "moderate", "1")]),
    ("year", [("2026", "none", "1"), ("2026", "low", "4"), ("2026", "moderate", "1")]),
])
def test_stats_by_quarter_and_year(tmp_path, ward_events, by, periods):
    out = tmp_path / "STATS.csv"
    assert _run("--org", "H1", "--subtree", "--by", by, "--out", str(out)).exit_code == 0
    _, rows = _rows(out)
    assert [(r["period"], r["outcome"], r["events"]) for r in rows] == periods
    assert rows[0]["bed_days"] == "2300"  # 1000 + 800 + 500 in the first quarter


def test_stats_leaves_out_rejected_and_duplicate_reports(tmp_path, add, people):  # noqa: F811
    from safehands.events.services import event_step

    add("W1", "2026-01-10 12:00")
    event_step(event=add("W1", "2026-01-11 12:00"), step="reject", actor=people["handler"],
               note="Not a patient-safety event.")
    out = tmp_path / "STATS.csv"
    assert _run("--org", "W1", "--by", "year", "--out", str(out)).exit_code == 0
    assert [(r["period"], r["events"]) for r in _rows(out)[1]] == [("2026", "1")]


def test_stats_from_and_to_bound_the_period(tmp_path, ward_events):
    out = tmp_path / "STATS.csv"
    result = _run("--org", "NO", "--subtree", "--by", "month", "--from", "2026-02-01",
                  "--to", "2026-03-31", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert [r["period"] for r in _rows(out)[1]] == ["2026-02", "2026-03"]


def test_stats_with_no_events_writes_the_header_only(tmp_path, tree):
    out = tmp_path / "STATS.csv"
    result = _run("--org", "W3", "--by", "month", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text() == ",".join(HEADER) + "\n"


def test_stats_unknown_org_fails_and_writes_nothing(tmp_path, tree):
    out = tmp_path / "STATS.csv"
    result = _run("--org", "NOPE", "--by", "month", "--out", str(out))
    assert result.exit_code != 0
    assert "There is no org unit with code 'NOPE'." in result.output
    assert not out.exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--by", "week"], "'week' is not one of 'month', 'quarter', 'year'"),
    (["--from", "2026-13-01"], "'2026-13-01' is not a date; write YYYY-MM-DD."),
    (["--from", "2026-03-01", "--to", "2026-01-31"],
     "The period starts (2026-03-01) after it ends (2026-01-31)."),
])
def test_stats_bad_options_fail_and_write_nothing(tmp_path, tree, args, message):
    out = tmp_path / "STATS.csv"
    result = _run("--org", "W1", *args, "--out", str(out))
    assert result.exit_code != 0
    assert message in result.output
    assert not out.exists()
