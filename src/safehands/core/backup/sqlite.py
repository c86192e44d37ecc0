"""SQLite: a copy made with SQLite's online backup API, gzipped; restored with the same API.

Rows are hashed as the values SQLite stores (JSON of each row, blobs as hex), in primary-key
order (rowid where a table has none).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

from safehands.core.backup.archive import archive_extract
from safehands.core.backup.common import (
    CHUNK,
    DAMAGED,
    FOLDER_MISSING,
    INSIDE_DIFFERS,
    SOURCE_MISSING,
    SQLITE_MEMORY,
    TARGET_NOT_EMPTY,
    TARGET_NOT_SQLITE,
    BackupError,
    Database,
    Progress,
    TableSum,
    example,
    quote,
    table_done,
)
from safehands.core.backup.manifest import MEMBERS, Manifest, group_migrations, manifest_compare

MEMBER = MEMBERS["sqlite"]


def _is_memory(name: str) -> bool:
    return name in ("", ":memory:") or "mode=memory" in name


def _open(database: Database, *, read_only: bool) -> sqlite3.Connection:
    if _is_memory(database.name):
        raise BackupError(SQLITE_MEMORY.format(target=database.label()))
    path = Path(database.name)
    if not path.is_file():
        raise BackupError(SOURCE_MISSING.format(target=database.label()))
    mode = "?mode=ro" if read_only else ""
    return sqlite3.connect(path.resolve().as_uri() + mode, uri=True, timeout=20)


def _tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name").fetchall()
    return [r[0] for r in rows]


def _row_bytes(row: tuple) -> bytes:
    values = [{"b": v.hex()} if isinstance(v, bytes) else v for v in row]
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def _sums(conn: sqlite3.Connection, progress: Progress) -> dict[str, TableSum]:
    sums = {}
    tables = _tables(conn)
    for done, table in enumerate(tables, start=1):
        columns = conn.execute(f"PRAGMA table_info({quote(table)})").fetchall()
        keys = [c[1] for c in sorted(columns, key=lambda c: c[5]) if c[5] > 0]
        order = ", ".join(quote(k) for k in keys) if keys else "rowid"
        digest, rows = hashlib.sha256(), 0
        for row in conn.execute(f"SELECT * FROM {quote(table)} ORDER BY {order}"):
            digest.update(_row_bytes(row))
            rows += 1
        sums[table] = TableSum(rows=rows, sha256=digest.hexdigest())
        table_done(progress, done=done, total=len(tables), table=table, rows=rows)
    return sums


def sums(database: Database, *, progress: Progress) -> dict[str, TableSum]:
    with contextlib.closing(_open(database, read_only=True)) as conn:
        return _sums(conn, progress)


def dump(database: Database, *, work: Path,
         progress: Progress) -> tuple[Path, dict[str, TableSum], dict[str, list[str]] | None]:
    """The gzipped copy, and every table's sum and the applied migrations read from the copy."""
    copy = work / "database.sqlite3"
    progress(f"Copying {database.label()} with SQLite's online backup…")
    with contextlib.closing(_open(database, read_only=True)) as source, \
            contextlib.closing(sqlite3.connect(copy)) as target:
        source.backup(target)  # in one step: the database as it was at one instant
    with contextlib.closing(sqlite3.connect(copy)) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        if "django_migrations" not in _tables(conn):
            return copy, {}, None
        migrations = group_migrations(
            conn.execute("SELECT app, name FROM django_migrations ORDER BY app, name"))
        progress("Counting and checksumming every table of the copy…")
        tables = _sums(conn, progress)
    member = work / MEMBER
    progress("Compressing…")
    with copy.open("rb") as raw, gzip.open(member, "wb", compresslevel=6) as packed:
        shutil.copyfileobj(raw, packed, CHUNK)
    copy.unlink()
    return member, tables, migrations


def restore(database: Database, *, path: Path, manifest: Manifest, force: bool, work: Path,
            progress: Progress) -> None:
    """Check the target, unpack and check the copy, then replace the target in one step."""
    if _is_memory(database.name):
        raise BackupError(SQLITE_MEMORY.format(target=database.label()))
    target = Path(database.name)
    if not target.resolve().parent.is_dir():
        raise BackupError(FOLDER_MISSING.format(file=path, folder=target.resolve().parent))
    if target.exists():
        try:
            with contextlib.closing(_open(database, read_only=True)) as conn:
                existing = _tables(conn)
        except sqlite3.DatabaseError as error:
            raise BackupError(TARGET_NOT_SQLITE.format(
                file=path, target=target, detail=error)) from error
        if existing and not force:
            raise BackupError(TARGET_NOT_EMPTY.format(
                file=path, target=database.label(), count=len(existing),
                example=example(existing)))
    progress("Unpacking the database inside the backup…")
    packed = archive_extract(path=path, manifest=manifest, out=work / MEMBER)
    copy = work / "database.sqlite3"
    try:
        with gzip.open(packed, "rb") as unpacked, copy.open("wb") as f:
            shutil.copyfileobj(unpacked, f, CHUNK)
        packed.unlink()
        with contextlib.closing(sqlite3.connect(copy.resolve().as_uri() + "?mode=ro",
                                                uri=True)) as conn:
            if conn.execute("PRAGMA integrity_check").fetchall() != [("ok",)]:
                raise BackupError(DAMAGED.format(file=path, member=MEMBER))
            progress("Checking every table of the unpacked copy against the manifest…")
            differences = manifest_compare(manifest.tables, _sums(conn, progress))
    except (OSError, EOFError, sqlite3.DatabaseError) as error:
        raise BackupError(DAMAGED.format(file=path, member=MEMBER)) from error
    if differences:
        raise BackupError(INSIDE_DIFFERS.format(
            file=path, count=len(differences),
            tables="; ".join(str(d) for d in differences[:3])
            + ("…" if len(differences) > 3 else "")))
    progress(f"Restoring into {database.label()} with SQLite's online backup, in one step…")
    with contextlib.closing(sqlite3.connect(copy)) as source, \
            contextlib.closing(sqlite3.connect(target, timeout=20)) as dest:
        source.backup(dest)
        dest.execute("PRAGMA journal_mode=WAL")  # as the server runs it
