"""Event statistics benchmark: `safehands events stats` for a whole country, by month.

    .venv/bin/python bench/bench_events_stats.py [--reports 1000000] [--units 2000]
        [--months 60] [--db postgres|sqlite] [--pg postgres://postgres@127.0.0.1:5432]

Starts from an empty database (PostgreSQL: `safehands_events_stats_bench` created afresh;
SQLite: a temporary file), builds the synthetic nation of the measurement benchmark (4
regions, 100 hospitals, `--units` care units), gives every unit a month of bed days
(`falls.rate` denominators) for each of `--months` months, and loads `--reports` event
reports spread over those units and months (COPY on PostgreSQL, bulk insert on SQLite):
types and outcomes as a reporting system sees them, a third of them near misses, 3 %
rejected or duplicate, most of the older ones closed. It then runs

    safehands events stats --org NAT --subtree --by month --out STATS.csv

in-process five times and prints the best and the median wall time, and the same by quarter,
for one region and for one ward, and the national analysis page for comparison.

Target: under 2 s for 1,000,000 reports on PostgreSQL. `--reports 20000 --units 100
--months 12` is a quick run for CI.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

PG_DB = "safehands_events_stats_bench"
TARGET_S = 2.0
TYPES = (["fall"] * 8 + ["medication"] * 7 + ["pressure_ulcer"] * 3 + ["infection"] * 2
         + ["documentation"] * 3 + ["clinical_process"] * 3 + ["device", "discharge",
         "patient_behaviour", "staff_violence", "staff_injury", "other"])
OUTCOMES = ["none"] * 100 + ["low"] * 60 + ["moderate"] * 30 + ["severe"] * 8 + ["death"] * 2
STATUSES = (["closed"] * 60 + ["submitted"] * 12 + ["triaged"] * 8 + ["investigating"] * 8
            + ["actions_open"] * 5 + ["awaiting_approval"] * 4 + ["rejected"] * 2
            + ["duplicate"])


def _timed(label: str, function, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    best, median = min(times), statistics.median(times)
    print(f"  {label}: {best:.2f} s (median of {repeat}: {median:.2f} s)", flush=True)
    return best


def _month_starts(months: int) -> list[date]:
    today = date.today().replace(day=1)
    starts = []
    year, month = today.year, today.month
    for _ in range(months):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        starts.append(date(year, month, 1))
    return sorted(starts)


def _event_rows(*, reports: int, unit_ids: list[int], months: list[date], category: dict,
                rng: random.Random):
    """Plain values for every concrete column of the event table, one tuple per report."""
    from safehands.events.models import Event

    fields = [f for f in Event._meta.concrete_fields if not f.primary_key]
    fixed = {f.attname: f.get_default() for f in fields}
    now = datetime.now(UTC)
    fixed.update({"created_at": now, "updated_at": now, "reporter_kind": "staff",
                  "source": "import", "description": "(benchmark)", "version": 1})
    columns = [f.column for f in fields]
    names = [f.attname for f in fields]
    for i in range(reports):
        month = months[i % len(months)]
        occurred = datetime(month.year, month.month, 1, tzinfo=UTC) + timedelta(
            minutes=rng.randrange(27 * 24 * 60))
        reported = occurred + timedelta(hours=rng.randrange(1, 72))
        event_type, outcome = rng.choice(TYPES), rng.choice(OUTCOMES)
        status = rng.choice(STATUSES)
        row = dict(fixed)
        row.update({
            "org_unit_id": unit_ids[rng.randrange(len(unit_ids))], "reference": f"B{i:08d}",
            "category": category[event_type], "event_type": event_type,
            "occurred_at": occurred, "reported_at": reported, "outcome": outcome,
            "outcome_reported": outcome, "status": status,
            "reached_patient": (None if i % 10 == 0 else outcome != "none" or i % 3 != 0),
            "closed_at": reported + timedelta(days=rng.randrange(1, 90))
            if status == "closed" else None,
        })
        yield columns, tuple(row[name] for name in names)


def _load(*, reports: int, unit_ids: list[int], months: list[date]) -> None:
    from django.db import connection, transaction

    from safehands.events.content import taxonomy
    from safehands.events.models import Event

    category = {code: term.group for code, term in taxonomy().event_types.items()}
    rows = _event_rows(reports=reports, unit_ids=unit_ids, months=months, category=category,
                       rng=random.Random(7))
    table = Event._meta.db_table
    with transaction.atomic():
        if connection.vendor == "postgresql":
            first_columns, first = next(rows)
            with connection.cursor() as cursor, cursor.cursor.copy(
                    f"COPY {table} ({', '.join(first_columns)}) FROM STDIN") as copy:
                copy.write_row(first)
                for _, row in rows:
                    copy.write_row(row)
        else:
            batch = []
            for _columns, row in rows:
                batch.append(Event(**dict(zip(
                    [f.attname for f in Event._meta.concrete_fields if not f.primary_key],
                    row, strict=True))))
                if len(batch) == 10_000:
                    Event.objects.bulk_create(batch)
                    batch = []
            Event.objects.bulk_create(batch)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would after a load this size


def _bed_days(*, unit_ids: list[int], months: list[date]) -> int:
    from django.utils import timezone as dj_timezone

    from safehands.catalogue.models import Measure
    from safehands.measurement.models import DataValue, EntryBatch

    measure = Measure.objects.get(code="falls.rate")
    batch = EntryBatch.objects.create(source="import", file_name="bench")
    now = dj_timezone.now()
    rng = random.Random(3)
    values = [DataValue(unit_id=u, measure=measure, period=f"{m.year:04d}-{m.month:02d}",
                        period_start=m, numerator=rng.randrange(0, 8),
                        denominator=rng.randrange(400, 900), batch=batch, updated_at=now)
              for u in unit_ids for m in months]
    DataValue.objects.bulk_create(values, batch_size=5000)
    return len(values)


def run(database_url: str, reports: int, units: int, months: int) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safehands.settings")
    import django

    django.setup()
    from click.testing import CliRunner
    from django.core.management import call_command
    from django.db import connection

    from safehands.catalogue.services import catalogue_load
    from safehands.cli.main import cli
    from safehands.measurement.demo import national_setup, national_unit_codes
    from safehands.orgs.models import OrgUnit

    print(f"\n== {connection.vendor}: {reports:,} reports, {units:,} units, {months} months ==",
          flush=True)
    call_command("migrate", verbosity=0)
    catalogue_load(actor=None, source="system")
    starts = _month_starts(months)
    national_setup(units=units, started=starts[0])
    codes = national_unit_codes(units)
    unit_ids = list(OrgUnit.objects.filter(code__in=codes).values_list("id", flat=True))
    start = time.perf_counter()
    values = _bed_days(unit_ids=unit_ids, months=starts)
    print(f"  bed days: {values:,} data values in {time.perf_counter() - start:.1f} s",
          flush=True)
    start = time.perf_counter()
    _load(reports=reports, unit_ids=unit_ids, months=starts)
    print(f"  load {reports:,} reports: {time.perf_counter() - start:.1f} s", flush=True)

    out = os.path.join(tempfile.mkdtemp(prefix="safehands-stats-"), "STATS.csv")
    region = OrgUnit.objects.get(code="NAT-R1")
    ward = codes[0]

    def stats(*args: str) -> None:
        result = CliRunner().invoke(cli, ["events", "stats", *args, "--out", out])
        assert result.exit_code == 0, result.output

    best = _timed("events stats --org NAT --subtree --by month",
                  lambda: stats("--org", "NAT", "--subtree", "--by", "month"))
    with open(out, encoding="utf-8") as handle:
        lines = sum(1 for _ in handle) - 1
    verdict = "met" if best < TARGET_S else "MISSED"
    if connection.vendor != "postgresql" or reports < 1_000_000:
        verdict = "applies to 1,000,000 reports on PostgreSQL"
    print(f"  STATS.csv: {lines:,} rows; target under {TARGET_S:.0f} s: {verdict}", flush=True)
    _timed("events stats --org NAT --subtree --by quarter",
           lambda: stats("--org", "NAT", "--subtree", "--by", "quarter"))
    _timed(f"events stats --org {region.code} --subtree --by month",
           lambda: stats("--org", region.code, "--subtree", "--by", "month"))
    _timed(f"events stats --org {ward} --by month",
           lambda: stats("--org", ward, "--by", "month"))

    from django.contrib.auth import get_user_model
    from django.test import Client

    from safehands.orgs.models import Membership

    user = get_user_model().objects.create_user(username="bench.viewer", password="x")
    Membership.objects.create(user=user, org_unit=OrgUnit.objects.get(code="NAT"),
                              role="viewer")
    client = Client()
    client.force_login(user)
    first, last = starts[0].isoformat(), date.today().isoformat()

    def page() -> None:
        response = client.get(f"/events/units/NAT/analysis/?from={first}&to={last}")
        assert response.status_code == 200, response.status_code

    _timed("national analysis page /events/units/NAT/analysis/ (every table and chart)",
           page, repeat=3)
    print(f"  (measured {date.today().isoformat()})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument(
        "--pg", default=os.environ.get("SAFEHANDS_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run(args.run, args.reports, args.units, args.months)
        return
    if args.db == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp(prefix='safehands-bench-')}/bench.sqlite3"
    else:
        host = args.pg.rsplit("/", 1)[0] if args.pg.count("/") > 2 else args.pg
        for sql in (f"drop database if exists {PG_DB} with (force)", f"create database {PG_DB}"):
            subprocess.run(["psql", f"{host}/postgres", "-q", "-c", sql], check=True)
        url = f"{host}/{PG_DB}"
    subprocess.run([sys.executable, __file__, "--run", url, "--reports", str(args.reports),
                    "--units", str(args.units), "--months", str(args.months)], check=True)


if __name__ == "__main__":
    main()
