"""Inserting or changing many rows of one model at once: COPY on PostgreSQL, batched
INSERTs and UPDATEs elsewhere.

`bulk_create` on PostgreSQL builds one array per column in Python and quotes every value
through the driver's adapters; for imports of a hundred thousand rows that dominates the
time. COPY is the database's own bulk path: the rows go as tab-separated text, here built
from plain values (no model instances), with primary keys taken from the table's sequence
first so that the caller gets them back in order, as `bulk_create` would give them.

Rows are dicts of field attnames (`org_unit_id`, not `org_unit`); a field a row leaves out
gets its default, and `auto_now`/`auto_now_add` fields get the time of the call, as `save()`
would set them. Values are not validated: the caller's service has checked them.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

from django.db import connection, models
from django.utils import timezone

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: Any) -> str:
    return "\\N" if value is None else str(value).translate(_ESCAPES)


def _plain(value: Any) -> str:
    """Numbers, dates and times: their own text needs no escaping."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _json(value: Any) -> str:
    return "\\N" if value is None else json.dumps(value, ensure_ascii=False).translate(_ESCAPES)


_PLAIN_FIELDS = (models.IntegerField, models.AutoField, models.FloatField, models.DecimalField,
                 models.BooleanField, models.DateField, models.DateTimeField, models.ForeignKey)


def _columns(model: type[models.Model], now: datetime.datetime
             ) -> list[tuple[str, str, Callable[[Any], str], str]]:
    """(attname, column, how a value becomes COPY text, the text of the default) of every
    concrete field but the primary key (PostgreSQL manual, COPY: "Text Format")."""
    out = []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            default: Any = now if isinstance(f, models.DateTimeField) else now.date()
        else:
            default = f.get_default() if f.has_default() else (None if f.null else "")
        convert = (_json if isinstance(f, models.JSONField)
                   else _plain if isinstance(f, _PLAIN_FIELDS) else _text)
        out.append((f.attname, f.column, convert, convert(default)))
    return out


def bulk_insert(model: type[models.Model], rows: list[dict[str, Any]], *,
                batch_size: int = 2000) -> list[int]:
    """Insert the rows; return their primary keys, in the rows' order."""
    if not rows:
        return []
    now = timezone.now()
    if connection.vendor != "postgresql":
        objects = [model(**row) for row in rows]
        for obj in objects:
            for f in model._meta.concrete_fields:
                if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                    setattr(obj, f.attname, now)
        model.objects.bulk_create(objects, batch_size=batch_size)
        return [obj.pk for obj in objects]
    table = model._meta.db_table
    pk = model._meta.pk.column
    columns = _columns(model, now)
    names = ", ".join(connection.ops.quote_name(c) for _, c, _, _ in columns)
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                       "FROM generate_series(1, %s)", [table, pk, len(rows)])
        ids = [row[0] for row in cursor.fetchall()]
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} "
                                f"({connection.ops.quote_name(pk)}, {names}) FROM STDIN"
                                ) as copy:
            for start in range(0, len(rows), batch_size):
                lines = []
                for pk_value, row in zip(ids[start:start + batch_size],
                                         rows[start:start + batch_size], strict=True):
                    cells = [str(pk_value)]
                    for attname, _column, convert, default in columns:
                        cells.append(convert(row[attname]) if attname in row else default)
                    lines.append("\t".join(cells))
                copy.write("\n".join(lines) + "\n")
    return ids


def bulk_change(model: type[models.Model], rows: list[dict[str, Any]], fields: list[str], *,
                batch_size: int = 2000) -> int:
    """Set `fields` (attnames) on the rows whose primary key each dict gives under "pk".

    On PostgreSQL the new values go by COPY into a temporary table, and one UPDATE ... FROM
    joins it: `bulk_update`'s CASE per column grows with the square of the batch.
    """
    if not rows:
        return 0
    now = timezone.now()
    if connection.vendor != "postgresql":
        objects = []
        for row in rows:
            obj = model(pk=row["pk"], **{f: row[f] for f in fields})
            objects.append(obj)
        model.objects.bulk_update(objects, _names(model, fields), batch_size=batch_size)
        return len(objects)
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    by_attname = {c[0]: c for c in _columns(model, now)}
    chosen = [by_attname[f] for f in fields]
    names = [connection.ops.quote_name(c[1]) for c in chosen]
    temp = connection.ops.quote_name(f"bulk_change_{model._meta.db_table}")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS "
                       f"SELECT {pk}, {', '.join(names)} FROM {table} WITH NO DATA")
        with cursor.cursor.copy(f"COPY {temp} ({pk}, {', '.join(names)}) FROM STDIN") as copy:
            for start in range(0, len(rows), batch_size):
                copy.write("".join(
                    "\t".join([str(row["pk"]), *(convert(row[attname])
                                                 for attname, _c, convert, _d in chosen)])
                    + "\n" for row in rows[start:start + batch_size]))
        sets = ", ".join(f"{name} = t.{name}" for name in names)
        cursor.execute(f"UPDATE {table} AS m SET {sets} FROM {temp} AS t WHERE m.{pk} = t.{pk}")
        changed = cursor.rowcount
        cursor.execute(f"DROP TABLE {temp}")
    return changed


def _names(model: type[models.Model], attnames: list[str]) -> list[str]:
    by_attname = {f.attname: f.name for f in model._meta.concrete_fields}
    return [by_attname[a] for a in attnames]
