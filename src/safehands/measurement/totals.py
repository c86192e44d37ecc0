"""Subtree totals: the sums roll-ups and dashboards read, kept by every write of data values.

Summed from the values on every view, the national dashboard read a nation's three years of
values (360,000 rows) and took over a second. `SubtreeTotal` holds, for every unit above a
reporting unit, the sums of what was reported below it per measure and period, so a
dashboard reads a few hundred rows.

Totals are recomputed from the values, never adjusted by differences: a write recomputes
every (measure, period) pair it touched, in its own transaction, so the totals always equal a
fresh sum over the values (tests hold them to that) and a wrong total cannot outlive the next
write. A move in the org tree changes who is above whom, so it rebuilds them all.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection, transaction

from safehands.measurement import periods

Pair = tuple[int, str]  # (measure id, period key)

_INSERT_BATCH = 5_000


def refresh(pairs: Iterable[Pair]) -> int:
    """Recompute the totals of these (measure, period) pairs; returns the rows written.

    Call inside the transaction that wrote the values. On PostgreSQL each pair is locked
    until commit, in a fixed order, so two writers of the same pair recompute one after the
    other and the later one sees the earlier one's values.
    """
    wanted = sorted(set(pairs))
    if not wanted:
        return 0
    with transaction.atomic():
        _lock(wanted)
        starts = {key: periods.parse(key).start for key in {p for _, p in wanted}}
        measure_ids = sorted({m for m, _ in wanted})
        where = (f"measure_id IN ({_marks(measure_ids)}) "
                 f"AND period_start IN ({_marks(sorted(set(starts.values())))})")
        params: list[Any] = [*measure_ids, *sorted(set(starts.values()))]
        frame = _values(where, params)
        if len(frame):  # the IN lists read the cross product; keep the pairs asked for
            asked = pd.MultiIndex.from_tuples(wanted, names=["measure_id", "period"])
            frame = frame[pd.MultiIndex.from_frame(frame[["measure_id", "period"]]).isin(asked)]
        table = _table()
        with connection.cursor() as cursor:
            cursor.executemany(
                f"DELETE FROM {table} WHERE measure_id = %s AND period_start = %s",
                [(m, starts[p]) for m, p in wanted])
        return _insert(_sum_up(frame))


def rebuild() -> int:
    """Recompute every total from the values (after a move in the org tree, or on demand)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # no writer may slip a value in meanwhile
                cursor.execute(f"LOCK TABLE {_table()} IN EXCLUSIVE MODE")
        frame = _values("1 = 1", [])
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {_table()}")
        return _insert(_sum_up(frame))


def _table() -> str:
    from safehands.measurement.models import SubtreeTotal

    return connection.ops.quote_name(SubtreeTotal._meta.db_table)


def _marks(items: list) -> str:
    return ", ".join(["%s"] * len(items))


def _lock(pairs: list[Pair]) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite lets one writer at a time in: there is nothing to order
    with connection.cursor() as cursor:
        cursor.executemany("SELECT pg_advisory_xact_lock(%s, %s)",
                           [(m, periods.parse(p).start.toordinal()) for m, p in pairs])


def _values(where: str, params: list[Any]) -> pd.DataFrame:
    from safehands.measurement.models import DataValue

    table = connection.ops.quote_name(DataValue._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT unit_id, measure_id, period, numerator, denominator, value FROM {table} "
            f"WHERE {where}", params)
        rows = cursor.fetchall()
    frame = pd.DataFrame.from_records(
        rows, columns=["unit_id", "measure_id", "period", "numerator", "denominator", "value"])
    for name in ("numerator", "denominator", "value"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(float)
    return frame


def _parents() -> tuple[np.ndarray, np.ndarray]:
    """(sorted unit ids, position of each unit's parent or -1): the tree as two arrays."""
    from safehands.orgs.models import OrgUnit

    rows = sorted(OrgUnit.objects.values_list("id", "parent_id"))
    ids = np.array([pk for pk, _ in rows], dtype=np.int64)
    parents = np.array([-1 if parent is None else parent for _, parent in rows], dtype=np.int64)
    positions = np.searchsorted(ids, parents)
    return ids, np.where(parents >= 0, positions, -1)


def _sum_up(frame: pd.DataFrame) -> list[tuple]:
    """Each value added to every unit above its own: rows of (unit id, measure id, period,
    numerator, denominator, value, reporting), one per (unit, measure, period)."""
    if not len(frame):
        return []
    ids, parent_of = _parents()
    # Climb one level at a time, for every value at once, until no value has a unit above.
    rows = np.arange(len(frame))
    level = parent_of[np.searchsorted(ids, frame["unit_id"].to_numpy(dtype=np.int64))]
    found_rows, found_units = [], []
    while len(rows):
        above = level >= 0
        rows, level = rows[above], level[above]
        found_rows.append(rows)
        found_units.append(ids[level])
        level = parent_of[level]
    rows, units = np.concatenate(found_rows), np.concatenate(found_units)
    measure_codes, measure_ids = pd.factorize(frame["measure_id"])
    period_codes, period_keys = pd.factorize(frame["period"])
    combined = ((units * len(measure_ids) + measure_codes[rows]) * len(period_keys)
                + period_codes[rows])
    groups, keys = pd.factorize(combined)
    sums = [np.bincount(groups, weights=np.nan_to_num(frame[name].to_numpy())[rows])
            for name in ("numerator", "denominator", "value")]
    reporting = np.bincount(groups)
    keys = np.asarray(keys)
    unit_of, rest = np.divmod(keys, len(measure_ids) * len(period_keys))
    measure_of, period_of = np.divmod(rest, len(period_keys))
    return list(zip(unit_of.tolist(), np.asarray(measure_ids)[measure_of].tolist(),
                    np.asarray(period_keys)[period_of].tolist(), *(s.tolist() for s in sums),
                    reporting.tolist(), strict=True))


_COLUMNS = ("unit_id", "measure_id", "period", "period_start", "numerator", "denominator",
            "value", "reporting")


def _insert(totals: list[tuple]) -> int:
    """Plain SQL (COPY on PostgreSQL): tens of thousands of rows after a large import."""
    starts: dict[str, str] = {}
    rows = []
    for unit_id, measure_id, period, num, den, val, reporting in totals:
        start = starts.get(period)
        if start is None:
            start = starts[period] = periods.parse(period).start.isoformat()
        rows.append((unit_id, measure_id, period, start, num, den, val, reporting))
    table, columns = _table(), ", ".join(_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            for first in range(0, len(rows), _INSERT_BATCH):
                cursor.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES ({_marks(list(_COLUMNS))})",
                    rows[first:first + _INSERT_BATCH])
    return len(rows)
