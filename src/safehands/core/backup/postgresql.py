"""PostgreSQL: `pg_dump --format=custom` of one snapshot; restored with `pg_restore` in one
transaction.

The manifest is computed in the transaction whose snapshot `pg_dump --snapshot` dumps, so a
backup taken while the server writes still matches its manifest. A row is hashed as
PostgreSQL's own text of it (`ROW(t.*)::text`), in UTC and ISO dates, text keys ordered by
byte (`COLLATE "C"`) so that the server's collation does not change the order.

pg_dump must be of the server's major version or newer; pg_restore of the version that wrote
the archive or newer. Both are found on PATH.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from safehands.core.backup.archive import archive_extract
from safehands.core.backup.common import (
    CONNECT_FAILED,
    PROGRAM_FAILED,
    PROGRAM_MISSING,
    TARGET_EXTRA_TABLES,
    TARGET_NOT_EMPTY,
    BackupError,
    Database,
    Progress,
    TableSum,
    example,
    quote,
    table_done,
)
from safehands.core.backup.manifest import MEMBERS, Manifest, group_migrations

MEMBER = MEMBERS["postgresql"]

_TABLES = """
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema() AND NOT c.relispartition
    ORDER BY c.relname
"""
_KEYS = """
    SELECT a.attname, a.attcollation <> 0
    FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
    WHERE i.indrelid = %s::regclass AND i.indisprimary
    ORDER BY array_position(i.indkey::int2[], a.attnum)
"""
# A row's text depends on these; fixed so that two sessions hash the same rows alike.
_SESSION = ("TimeZone TO 'UTC'", "DateStyle TO 'ISO, YMD'", "IntervalStyle TO 'postgres'",
            "extra_float_digits TO 1", "bytea_output TO 'hex'")


@contextlib.contextmanager
def _connect(database: Database, *, snapshot: bool = False) -> Iterator[Any]:
    import psycopg

    try:
        conn = psycopg.connect(dbname=database.name, host=database.host or None,
                               port=database.port or None, user=database.user or None,
                               password=database.password or None, **database.options)
    except psycopg.Error as error:
        text = str(error).strip()
        detail = text.splitlines()[0] if text else type(error).__name__
        raise BackupError(CONNECT_FAILED.format(target=database.label(), detail=detail)) from error
    try:
        if snapshot:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
        for setting in _SESSION:
            conn.execute(f"SET {setting}")
        yield conn
    finally:
        with contextlib.suppress(psycopg.Error):
            conn.rollback()
        conn.close()


def _tables(conn: Any) -> list[str]:
    return [r[0] for r in conn.execute(_TABLES).fetchall()]


def _sums(conn: Any, progress: Progress) -> dict[str, TableSum]:
    sums = {}
    tables = _tables(conn)
    for done, table in enumerate(tables, start=1):
        keys = conn.execute(_KEYS, (quote(table),)).fetchall()
        order = (", ".join(quote(k) + (' COLLATE "C"' if collatable else "")
                           for k, collatable in keys)
                 or 'ROW(t.*)::text COLLATE "C"')
        digest, rows = hashlib.sha256(), 0
        with conn.cursor(name=f"safehands_sum_{done}") as cursor:
            cursor.itersize = 5000
            cursor.execute(f"SELECT ROW(t.*)::text FROM {quote(table)} AS t ORDER BY {order}")
            for (text,) in cursor:
                digest.update(text.encode() + b"\n")
                rows += 1
        sums[table] = TableSum(rows=rows, sha256=digest.hexdigest())
        table_done(progress, done=done, total=len(tables), table=table, rows=rows)
    return sums


def sums(database: Database, *, progress: Progress) -> dict[str, TableSum]:
    with _connect(database) as conn:
        return _sums(conn, progress)


def _program(name: str, purpose: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(PROGRAM_MISSING.format(program=name, purpose=purpose))
    return found


def _run(argv: list[str], *, env: dict[str, str]) -> None:
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        raise BackupError(PROGRAM_FAILED.format(
            program=Path(argv[0]).name, code=result.returncode,
            detail="; ".join(lines[:3]) or "no message"))


def dump(database: Database, *, work: Path,
         progress: Progress) -> tuple[Path, dict[str, TableSum], dict[str, list[str]] | None]:
    """pg_dump's archive, and every table's sum and the migrations from the same snapshot."""
    member = work / MEMBER
    pg_dump = _program("pg_dump", "back up")
    with _connect(database, snapshot=True) as conn:
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        if "django_migrations" not in _tables(conn):
            return member, {}, None
        migrations = group_migrations(
            conn.execute("SELECT app, name FROM django_migrations ORDER BY app, name"))
        progress(f"Dumping {database.label()} with pg_dump…")
        _run([pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}",
              f"--file={member}"], env=database.pg_env())
        progress("Counting and checksumming every table in the same snapshot…")
        tables = _sums(conn, progress)
    return member, tables, migrations


def _conninfo(name: str) -> str:
    """`dbname='...'` for pg_restore: a name with `=` in it is not read as a connection string."""
    return "dbname='" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"


def restore(database: Database, *, path: Path, manifest: Manifest, force: bool, work: Path,
            progress: Progress) -> None:
    """Check the target, then pg_restore in one transaction: whole, or nothing changed.

    Objects are owned by the restoring user and carry no grants from the source
    (--no-owner --no-privileges), so a backup restores under another role. With `force` the
    target's objects are dropped first (--clean), in the same transaction.
    """
    pg_restore = _program("pg_restore", "restore")
    with _connect(database) as conn:
        existing = _tables(conn)
    if existing and not force:
        raise BackupError(TARGET_NOT_EMPTY.format(
            file=path, target=database.label(), count=len(existing), example=example(existing)))
    extra = sorted(set(existing) - set(manifest.tables))
    if extra:
        raise BackupError(TARGET_EXTRA_TABLES.format(
            file=path, target=database.label(), count=len(extra), example=example(extra)))
    archive = archive_extract(path=path, manifest=manifest, out=work / MEMBER)
    progress(f"Restoring into {database.label()} with pg_restore, in one transaction…")
    argv = [pg_restore, "--no-password", "--exit-on-error", "--single-transaction",
            "--no-owner", "--no-privileges", f"--dbname={_conninfo(database.name)}"]
    if existing:
        argv += ["--clean", "--if-exists"]
    _run([*argv, str(archive)], env=database.pg_env())
