"""The qicharts2 `gtt` data set as GTT records, for tests."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from safehands.harm.rates import SEVERITIES, Event, Record

DATA = Path(__file__).parent / "data"


def gtt_rows() -> list[dict[str, str]]:
    with open(DATA / "gtt.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def gtt_records() -> list[Record]:
    """One Record per admission; each filled severity column E–I is one adverse event."""
    return [
        Record(
            stay_id=row["admission_id"],
            discharge_date=date.fromisoformat(row["discharge_dte"]),
            patient_days=float(row["days"]),
            events=tuple(Event(severity=s, harm_type=row[s]) for s in SEVERITIES
                         if row[s] != "NA"),
        )
        for row in gtt_rows()
    ]
