"""Benchmark of GTT harm rates and review import: prints measured figures, asserts nothing.

1. Rates by month, tertial and year, and the severity breakdown, for a country's ten years of
   reviews (50 teams x 260 records a year x 10 years = 130,000 records), pure Python;
2. `reviews_import` of 10,000 completed reviews with about 1,600 adverse events into a
   fresh team (SQLite in memory via the test settings), then the same files again (no change).

Targets: (1) under 3 s, (2) under 20 s first time and under 5 s the second.
"""

from __future__ import annotations

import os
import random
import time
from datetime import date, timedelta

from safehands.harm.rates import Event, Record, rates, rates_by_category


def _records(n: int, rng: random.Random) -> list[Record]:
    start = date(2013, 1, 1)
    out = []
    for i in range(n):
        events = tuple(
            Event(rng.choice("EEFFFG"), "medication")
            for _ in range(rng.choice((0,) * 87 + (1,) * 11 + (2, 2)))
        )
        out.append(
            Record(
                str(i),
                start + timedelta(days=rng.randrange(3650)),
                float(rng.randrange(1, 20)),
                events,
            )
        )
    return out


def bench_rates() -> None:
    records = _records(130_000, random.Random(1))
    began = time.perf_counter()
    for by in ("month", "tertial", "year"):
        rates(records, by=by)
    rates_by_category(records, by="year", category="severity")
    print(f"rates (3 periods + severity) on 130,000 records: {time.perf_counter() - began:.2f} s")


def bench_import() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safehands.settings")
    os.environ.setdefault("DATABASE_URL", "sqlite:///:memory:")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from safehands.harm.services import gtt_team_create, reviews_import
    from safehands.orgs.services import org_units_import

    org_units_import(
        text="code,name,kind,parent_code\nNO,Norway,national,\n", actor=None, source="system"
    )
    from safehands.orgs.models import OrgUnit

    team = gtt_team_create(code="B", population=OrgUnit.objects.get(code="NO"), actor=None)
    rng = random.Random(2)
    records = ["stay_id,admission_date,discharge_date,patient_days"]
    events = ["stay_id,severity,harm_type,triggers"]
    for i in range(10_000):
        discharge = date(2020, 1, 1) + timedelta(days=rng.randrange(1500))
        days = rng.randrange(1, 15)
        records.append(f"S{i},{discharge - timedelta(days=days)},{discharge},{days}")
        for _ in range(rng.choice((0,) * 87 + (1,) * 11 + (2, 2))):
            events.append(f"S{i},{rng.choice('EEFFFGH')},uti,C11;M3")
    records_text, events_text = "\n".join(records) + "\n", "\n".join(events) + "\n"
    for label in ("first import", "same files again"):
        began = time.perf_counter()
        summary = reviews_import(
            team=team, records_text=records_text, events_text=events_text, actor=None
        )
        print(
            f"reviews_import, 10,000 records, {label}: {time.perf_counter() - began:.2f} s "
            f"(created {summary.created}, unchanged {summary.unchanged})"
        )


if __name__ == "__main__":
    bench_rates()
    bench_import()
