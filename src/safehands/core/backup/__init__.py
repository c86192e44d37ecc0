"""Backups of the whole database, restoring them, and proving that a restore is whole.

A backup is one uncompressed tar file with two members, in this order:

- `manifest.json`: the format and its version, the engine, the Safehands version, the time,
  the applied migrations, and for every table its row count and a SHA-256 of its rows read in
  primary-key order; also the SHA-256 and size of the database member;
- the database: `database.sqlite3.gz` (SQLite's online backup, gzipped) or `database.pgdump`
  (`pg_dump --format=custom`, compressed by pg_dump).

The manifest is computed from the same snapshot as the copy, so a backup taken while the
server writes matches its manifest. A restore recomputes every table's count and checksum
in the restored database and reports each table that differs; `backup_compare` does the same
for any database at any time. Checksums are engine-specific (see each engine's module), so a
backup restores into the engine it came from.

Each engine module has the same three functions: `dump`, `sums` and `restore`.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from safehands.core.backup import postgresql, sqlite
from safehands.core.backup.archive import archive_read, archive_write, file_sha256
from safehands.core.backup.common import (
    ENGINE_MISMATCH,
    ENGINE_NAMES,
    FILE_EXISTS,
    FILE_NOT_A_FILE,
    FOLDER_MISSING,
    NEWER_MIGRATIONS,
    SOURCE_NOT_SAFEHANDS,
    BackupError,
    Database,
    Progress,
    example,
    quiet,
)
from safehands.core.backup.manifest import (
    MEMBERS,
    Manifest,
    TableDifference,
    manifest_compare,
    migrations_pending,
    migrations_unknown,
    safehands_version,
)

__all__ = ["BackupError", "Database", "backup_compare", "backup_create", "backup_restore"]

_ENGINES = {"sqlite": sqlite, "postgresql": postgresql}


@dataclass(frozen=True)
class BackupResult:
    manifest: Manifest
    path: Path
    bytes: int


def backup_create(*, database: Database, path: Path, replace: bool = False,
                  progress: Progress = quiet) -> BackupResult:
    """Write a backup of `database` to `path`, whole or not at all (written aside, then renamed).

    The file holds every row, password hashes and patient-level records included: it is
    created readable by its owner only.
    """
    if path.exists() and not path.is_file():
        raise BackupError(FILE_NOT_A_FILE.format(file=path))
    if path.exists() and not replace:
        raise BackupError(FILE_EXISTS.format(file=path))
    folder = path.resolve().parent
    if not folder.is_dir():
        raise BackupError(FOLDER_MISSING.format(file=path, folder=folder))
    with tempfile.TemporaryDirectory(prefix=".safehands-backup-", dir=folder) as work:
        os.chmod(work, 0o700)
        member, tables, migrations = _ENGINES[database.engine].dump(
            database, work=Path(work), progress=progress)
        if migrations is None:
            raise BackupError(SOURCE_NOT_SAFEHANDS.format(target=database.label()))
        sha, size = file_sha256(member)
        manifest = Manifest(
            engine=database.engine, safehands_version=safehands_version(),
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            migrations=migrations, tables=tables, data_member=MEMBERS[database.engine],
            data_sha256=sha, data_bytes=size)
        partial = Path(work) / "backup.tar"
        archive_write(path=partial, manifest=manifest, member=member)
        archive_read(path=partial)  # the file as written reads back whole
        os.replace(partial, path)
    return BackupResult(manifest=manifest, path=path, bytes=path.stat().st_size)


def _backup_for(path: Path, database: Database) -> Manifest:
    manifest = archive_read(path=path)
    if manifest.engine != database.engine:
        raise BackupError(ENGINE_MISMATCH.format(file=path, backup=ENGINE_NAMES[manifest.engine],
                                                 target=ENGINE_NAMES[database.engine]))
    return manifest


@dataclass(frozen=True)
class RestoreResult:
    manifest: Manifest
    differences: list[TableDifference]
    pending_migrations: list[str]


def backup_restore(*, path: Path, database: Database, force: bool = False,
                   progress: Progress = quiet) -> RestoreResult:
    """Restore a backup into `database`, then check every table against the manifest.

    Refused, with nothing changed: a file that is missing, not a backup, damaged, from a
    newer Safehands (migrations this code does not know) or from the other engine; and a
    target that already holds tables, unless `force`. With `force` the backup replaces the
    target's contents in one step; a PostgreSQL target with tables the backup lacks is
    refused even then.
    """
    manifest = _backup_for(path, database)
    unknown = migrations_unknown(manifest)
    if unknown:
        raise BackupError(NEWER_MIGRATIONS.format(
            file=path, backup_version=manifest.safehands_version, count=len(unknown),
            version=safehands_version(), example=example(unknown)))
    engine = _ENGINES[database.engine]
    with tempfile.TemporaryDirectory(prefix="safehands-restore-") as work:
        os.chmod(work, 0o700)
        engine.restore(database, path=path, manifest=manifest, force=force, work=Path(work),
                       progress=progress)
    progress("Counting and checksumming every restored table…")
    differences = manifest_compare(manifest.tables, engine.sums(database, progress=progress))
    return RestoreResult(manifest=manifest, differences=differences,
                         pending_migrations=migrations_pending(manifest))


@dataclass(frozen=True)
class CompareResult:
    manifest: Manifest
    differences: list[TableDifference]


def backup_compare(*, path: Path, database: Database,
                   progress: Progress = quiet) -> CompareResult:
    """Compare every table of `database` with the backup's manifest; change nothing."""
    manifest = _backup_for(path, database)
    progress(f"Counting and checksumming every table of {database.label()}…")
    actual = _ENGINES[database.engine].sums(database, progress=progress)
    return CompareResult(manifest=manifest, differences=manifest_compare(manifest.tables, actual))
