"""A backup's manifest: what it holds, read and written as JSON, and compared with a database."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import version as package_version

from safehands.core.backup.common import (
    FORMAT_TOO_NEW,
    NOT_A_BACKUP,
    BackupError,
    Engine,
    TableSum,
)

FORMAT = "safehands-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
MEMBERS: dict[str, str] = {"sqlite": "database.sqlite3.gz", "postgresql": "database.pgdump"}


@dataclass(frozen=True)
class Manifest:
    engine: Engine
    safehands_version: str
    created_at: str
    migrations: dict[str, list[str]]
    tables: dict[str, TableSum]
    data_member: str
    data_sha256: str
    data_bytes: int

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables.values())

    def to_json(self) -> str:
        return json.dumps({
            "format": FORMAT, "format_version": FORMAT_VERSION, "engine": self.engine,
            "safehands_version": self.safehands_version, "created_at": self.created_at,
            "migrations": self.migrations,
            "tables": {name: {"rows": t.rows, "sha256": t.sha256}
                       for name, t in sorted(self.tables.items())},
            "data": {"member": self.data_member, "sha256": self.data_sha256,
                     "bytes": self.data_bytes},
        }, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: bytes, *, file: str) -> Manifest:
        def bad(reason: str) -> BackupError:
            return BackupError(NOT_A_BACKUP.format(file=file, reason=reason))

        try:
            data = json.loads(text)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise bad(f"{MANIFEST_NAME} is not JSON: {error}") from error
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise bad(f"{MANIFEST_NAME} does not say format {FORMAT!r}")
        found = data.get("format_version")
        if not isinstance(found, int):
            raise bad(f"{MANIFEST_NAME} has no format_version")
        if found > FORMAT_VERSION:
            raise BackupError(FORMAT_TOO_NEW.format(
                file=file, found=found, version=safehands_version(), supported=FORMAT_VERSION))
        try:
            engine = data["engine"]
            if engine not in MEMBERS:
                raise bad(f"unknown engine {engine!r}")
            manifest = cls(
                engine=engine, safehands_version=str(data["safehands_version"]),
                created_at=str(data["created_at"]),
                migrations={str(app): [str(n) for n in names]
                            for app, names in data["migrations"].items()},
                tables={str(name): TableSum(rows=int(t["rows"]), sha256=str(t["sha256"]))
                        for name, t in data["tables"].items()},
                data_member=str(data["data"]["member"]), data_sha256=str(data["data"]["sha256"]),
                data_bytes=int(data["data"]["bytes"]))
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise bad(f"{MANIFEST_NAME} is incomplete ({type(error).__name__}: {error})") from error
        if manifest.data_member != MEMBERS[engine]:
            raise bad(f"its manifest names the member {manifest.data_member!r}")
        return manifest


@dataclass(frozen=True)
class TableDifference:
    table: str
    problem: str

    def __str__(self) -> str:
        return f"{self.table}: {self.problem}"


def manifest_compare(expected: dict[str, TableSum],
                     actual: dict[str, TableSum]) -> list[TableDifference]:
    """Every table whose presence, row count or checksum differs, in name order."""
    differences = []
    for name in sorted(set(expected) | set(actual)):
        want, got = expected.get(name), actual.get(name)
        if got is None:
            differences.append(TableDifference(name, "in the backup but not in the database"))
        elif want is None:
            differences.append(TableDifference(name, "in the database but not in the backup"))
        elif want.rows != got.rows:
            differences.append(TableDifference(
                name, f"{want.rows} rows in the backup, {got.rows} in the database"))
        elif want.sha256 != got.sha256:
            differences.append(TableDifference(
                name, f"the same {got.rows} rows in number, but their contents differ"))
    return differences


def safehands_version() -> str:
    return package_version("safehands")


def group_migrations(rows: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """django_migrations' (app, name) rows as {app: [name, ...]}."""
    grouped: dict[str, list[str]] = {}
    for app, name in rows:
        grouped.setdefault(app, []).append(name)
    return grouped


def _code_migrations() -> set[tuple[str, str]]:
    """Every migration this code knows, squashed ones' replaced migrations included."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():
        known.update(migration.replaces or ())
    return known


def migrations_unknown(manifest: Manifest) -> list[str]:
    """The backup's applied migrations that this code lacks: it came from a newer Safehands."""
    known = _code_migrations()
    return sorted(f"{app}.{name}" for app, names in manifest.migrations.items()
                  for name in names if (app, name) not in known)


def migrations_pending(manifest: Manifest) -> list[str]:
    """This code's migrations that the backup lacks: `safehands setup` applies them."""
    applied = {(app, name) for app, names in manifest.migrations.items() for name in names}
    return sorted(f"{app}.{name}" for app, name in _code_migrations() - applied)
