"""Measurement benchmark: bulk import, the national dashboard and a unit page.

    .venv/bin/python bench/bench_measurement.py [--db sqlite|postgres|both]
        [--units 2000] [--import-months 100] [--pg postgres://postgres@127.0.0.1:5432]

Each database run starts from an empty database (a temporary SQLite file, or a PostgreSQL
database `safehands_measurement_bench` created afresh), builds the synthetic nation
(`safehands data generate`'s tree: regions, trusts, hospitals and N care units, each enrolled
in falls with its five monthly measures) and then measures:

1. importing units × 5 × import-months values (2,000 × 5 × 100 = 1,000,000) from CSV text,
   audit included (entry batch, audit event), and re-importing the same file (all unchanged);
2. the national dashboard's server time (signal matrix, completeness, spread) on that data,
   the last 60 months being the national-scale data set of the issue (2,000 × 5 × 60);
3. a region dashboard, a unit's chart page and a unit overview page.

Targets (issue 7): import under 20 s on PostgreSQL; national dashboard under 300 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

PG_DB = "safehands_measurement_bench"


def _timed(label: str, function, repeat: int = 1) -> float:
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    best, median = min(times), statistics.median(times)
    extra = f" (median of {repeat}: {median * 1000:.0f} ms)" if repeat > 1 else ""
    print(f"  {label}: {best * 1000:,.0f} ms{extra}", flush=True)
    return result


def run(database_url: str, units: int, import_months: int) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safehands.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from safehands.catalogue.services import catalogue_load
    from safehands.measurement.demo import national_setup, national_unit_codes, national_values_csv
    from safehands.measurement.models import DataValue
    from safehands.measurement.services import data_values_import
    from safehands.orgs.models import Membership, OrgUnit

    print(f"\n== {connection.vendor} ==", flush=True)
    call_command("migrate", verbosity=0)
    catalogue_load(actor=None, source="system")
    from datetime import date

    from safehands.measurement import periods

    keys = periods.latest("monthly", count=import_months + 1)[:-1]
    _timed(
        f"synthetic nation: {units} units enrolled",
        lambda: national_setup(units=units, started=periods.parse(keys[0]).start),
    )
    text, rows = _timed(
        "generate CSV text", lambda: national_values_csv(units=units, months=import_months)
    )
    print(f"  rows: {rows:,}", flush=True)

    stages: dict[str, float] = {}
    last = [time.perf_counter()]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        stages[stage] = stages.get(stage, 0) + now - last[0]
        last[0] = now

    start = time.perf_counter()
    cpu = time.process_time()
    summary = data_values_import(
        text=text, fmt="csv", actor=None, source="cli", file_name="bench.csv", progress=progress
    )
    elapsed = time.perf_counter() - start
    assert summary.created == rows and not summary.conflicts, summary.as_dict()["counts"]
    print(
        f"  IMPORT {rows:,} values (create, audited): {elapsed:.1f} s "
        f"({rows / elapsed:,.0f} values/s); stages: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in stages.items())
        + f"; Python CPU {time.process_time() - cpu:.1f} s; load average "
        + " ".join(f"{x:.1f}" for x in os.getloadavg()),
        flush=True,
    )
    start = time.perf_counter()
    again = data_values_import(
        text=text, fmt="csv", actor=None, source="cli", file_name="bench.csv"
    )
    print(
        f"  re-import, all unchanged ({again.unchanged:,}): {time.perf_counter() - start:.1f} s",
        flush=True,
    )
    assert DataValue.objects.count() == rows
    del text

    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username="bench.leader", password="x")
    Membership.objects.create(user=user, org_unit=OrgUnit.objects.get(code="NAT"), role="viewer")
    client = Client()
    client.force_login(user)

    def get(url: str) -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    print(
        f"  pages (data: {units} units x 5 measures x {import_months} months; "
        "dashboards read the last 36 months):",
        flush=True,
    )
    from safehands.catalogue.models import Measure
    from safehands.measurement.services import data_value_upsert

    unit = national_unit_codes(units)[0]
    writer = {"unit": OrgUnit.objects.get(code=unit),
              "measure": Measure.objects.get(code="falls.rate"), "count": 0}

    def write_then_get(url: str) -> None:
        # A write makes the cached dashboard stale: the view computes it afresh.
        writer["count"] += 1
        data_value_upsert(unit=writer["unit"], measure=writer["measure"], period=keys[-1],
                          numerator=writer["count"] % 7, denominator=1000, actor=None,
                          source="system")
        start = time.perf_counter()
        get(url)
        timings.append(time.perf_counter() - start)

    get("/measurement/NAT/dashboard/")  # the process's first page: imports, templates
    for code, label in (("NAT", "national"), ("NAT-R1", "region")):
        timings: list[float] = []
        for _ in range(5):
            write_then_get(f"/measurement/{code}/dashboard/")
        print(f"  {label} dashboard /measurement/{code}/dashboard/, first view after a write: "
              f"{min(timings) * 1000:,.0f} ms (median of 5: "
              f"{statistics.median(timings) * 1000:,.0f} ms)", flush=True)
        _timed(f"{label} dashboard, later views (cached per data version)",
               lambda code=code: get(f"/measurement/{code}/dashboard/"), repeat=5)
    _timed(
        f"unit chart page /measurement/{unit}/measures/falls.rate/",
        lambda: get(f"/measurement/{unit}/measures/falls.rate/"),
        repeat=5,
    )
    _timed(f"unit overview /measurement/{unit}/", lambda: get(f"/measurement/{unit}/"), repeat=5)
    print(f"  (measured {date.today().isoformat()})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--import-months", type=int, default=100)
    parser.add_argument(
        "--pg", default=os.environ.get("SAFEHANDS_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run(args.run, args.units, args.import_months)
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
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--run",
                url,
                "--units",
                str(args.units),
                "--import-months",
                str(args.import_months),
            ],
            check=True,
        )


if __name__ == "__main__":
    main()
