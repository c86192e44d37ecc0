"""Event report import benchmark: `events_import` of a national file, validated and audited.

    .venv/bin/python bench/bench_events_import.py [--db sqlite|postgres|both] [--rows 100000]
        [--pg postgres://postgres@127.0.0.1:5432]

Each database run starts from an empty database (a temporary SQLite file, or a PostgreSQL
database `safehands_events_bench` created afresh), loads the catalogue and the demo
organisations (476 units: trusts, hospitals, wards, municipalities, nursing homes) and then
measures, on a CSV of N reports with the default columns (85 % closed, the rest open and so
starting deadlines; 1 % with an identity number to mask; a quarter near misses):

1. the first import: every row checked, N events, their transitions, deadlines and N + 1
   audit rows written;
2. the same file again: every row compared with the stored event, nothing written;
3. the file with one row in ten changed: those events updated, audited with before/after.

Target: (1) under 30 s for 100,000 reports on PostgreSQL. `--rows 2000` for a CI-size run.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta

PG_DB = "safehands_events_bench"
HEADER = ("reference,occurred_at,reported_at,org_code,event_type,outcome,reached_patient,"
          "description,status")
TYPES = ("fall", "medication", "pressure_ulcer", "infection", "device", "documentation",
         "discharge", "deterioration", "patient_behaviour", "other", "staff_violence")
OUTCOMES = ("none",) * 5 + ("low",) * 3 + ("moderate", "severe")
STATUSES = ("closed",) * 17 + ("submitted", "triaged", "investigating")
WORDS = ("pasienten", "falt", "ble", "funnet", "på", "gulvet", "ved", "sengen", "dosen",
         "feil", "oppdaget", "under", "dobbeltkontroll", "vakt", "natt", "tilsyn", "alarm")


def reports_csv(rows: int, units: list[str], *, changed_every: int = 0) -> str:
    rng = random.Random(7)
    start = datetime(2021, 1, 1)
    lines = [HEADER]
    for i in range(rows):
        occurred = start + timedelta(minutes=rng.randrange(4 * 365 * 24 * 60))
        reported = occurred + timedelta(minutes=rng.randrange(10, 3 * 24 * 60))
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(12, 40)))
        if i % 100 == 0:
            words += " (pasient 01017000027)"
        outcome = rng.choice(OUTCOMES)
        if changed_every and i % changed_every == 0:
            outcome = "moderate" if outcome != "moderate" else "low"
        lines.append(
            f"S{i:07d},{occurred:%Y-%m-%d %H:%M},{reported:%Y-%m-%d %H:%M},"
            f"{rng.choice(units)},{rng.choice(TYPES)},{outcome},"
            f"{rng.choice(('true', 'true', 'false', ''))},\"{words.capitalize()}.\","
            f"{rng.choice(STATUSES)}")
    return "\n".join(lines) + "\n"


def _backend_cpu(connection) -> float | None:
    """CPU seconds the database server's process for this connection has used, when the
    server runs on this machine (PostgreSQL: one process per connection): with the client's
    own CPU, what the import costs whatever else the machine is running."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(database_url: str, rows: int) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safehands.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from safehands.audit.models import AuditEvent
    from safehands.catalogue.services import catalogue_load
    from safehands.demo.load import demo_orgs_csv
    from safehands.events.importing import events_import
    from safehands.events.models import Event, EventDeadline
    from safehands.orgs.models import OrgUnit
    from safehands.orgs.services import org_units_import

    print(f"\n== {connection.vendor} ==", flush=True)
    call_command("migrate", verbosity=0)
    catalogue_load(actor=None, source="system")
    org_units_import(text=demo_orgs_csv(), actor=None, source="system")
    units = sorted(OrgUnit.objects.filter(kind="unit").values_list("code", flat=True))
    text = reports_csv(rows, units)
    print(f"  {rows:,} reports over {len(units)} units, {len(text) / 1e6:.1f} MB of CSV",
          flush=True)

    stages: dict[str, float] = {}
    last = [time.perf_counter()]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        stages[stage] = stages.get(stage, 0) + now - last[0]
        last[0] = now

    start = time.perf_counter()
    cpu = time.process_time()
    db_cpu = _backend_cpu(connection)
    summary = events_import(text, file="bench.csv", progress=progress)
    elapsed = time.perf_counter() - start
    assert summary.created == rows and not summary.problem_count, summary.as_dict()
    db_after = _backend_cpu(connection)
    db_text = (f", database server CPU {db_after - db_cpu:.1f} s"
               if db_cpu is not None and db_after is not None else "")
    print(f"  IMPORT {rows:,} reports (checked, created, audited): {elapsed:.1f} s "
          f"({rows / elapsed:,.0f} reports/s; target < 30 s for 100,000 on PostgreSQL); "
          "stages: " + ", ".join(f"{k} {v:.1f} s" for k, v in stages.items())
          + f"; Python CPU {time.process_time() - cpu:.1f} s{db_text}; load average "
          + " ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs",
          flush=True)
    print(f"  stored: {Event.objects.count():,} events, {EventDeadline.objects.count():,} "
          f"deadlines, {AuditEvent.objects.filter(action='event.imported').count():,} audit "
          f"rows; {summary.identity_numbers_masked:,} identity numbers masked", flush=True)

    start = time.perf_counter()
    again = events_import(text, file="bench.csv")
    assert again.unchanged == rows, again.as_dict()["counts"]
    print(f"  re-import, all unchanged ({again.unchanged:,}): "
          f"{time.perf_counter() - start:.1f} s", flush=True)

    changed = reports_csv(rows, units, changed_every=10)
    start = time.perf_counter()
    updated = events_import(changed, file="bench-changed.csv")
    assert updated.updated == (rows + 9) // 10, updated.as_dict()["counts"]
    print(f"  re-import with every tenth row changed ({updated.updated:,} updated, audited "
          f"with before/after): {time.perf_counter() - start:.1f} s", flush=True)
    print(f"  (measured {datetime.now():%Y-%m-%d})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--pg", default=os.environ.get("SAFEHANDS_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run(args.run, args.rows)
        return
    targets = []
    if args.db in ("sqlite", "both"):
        folder = tempfile.mkdtemp(prefix="safehands-bench-")
        targets.append(f"sqlite:///{folder}/bench.sqlite3")
    if args.db in ("postgres", "both"):
        host = args.pg.rsplit("/", 1)[0] if args.pg.count("/") > 2 else args.pg
        for sql in (f"drop database if exists {PG_DB} with (force)", f"create database {PG_DB}"):
            subprocess.run(["psql", f"{host}/postgres", "-q", "-c", sql], check=True)
        targets.append(f"{host}/{PG_DB}")
    for url in targets:
        subprocess.run([sys.executable, __file__, "--run", url, "--rows", str(args.rows)],
                       check=True)


if __name__ == "__main__":
    main()
