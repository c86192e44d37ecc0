"""What every part of a backup shares: its error and messages, where a database is, and a
table's row count and checksum."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from safehands.core.errors import DomainError

Engine = Literal["sqlite", "postgresql"]
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
CHUNK = 1 << 20

# Messages; `{file}` is the backup file as the user named it.
FILE_MISSING = "{file}: no such file."
FILE_NOT_A_FILE = "{file}: not a file."
FILE_EXISTS = "{file}: already exists; name another file, or pass --force to replace it."
FOLDER_MISSING = "{file}: the folder {folder} does not exist."
NOT_A_BACKUP = "{file}: not a Safehands backup ({reason})."
FORMAT_TOO_NEW = ("{file}: written in backup format {found}, newer than this Safehands "
                  "({version}) reads (format {supported}); restore it with a newer Safehands.")
DAMAGED = ("{file}: damaged: {member} inside does not match the checksum in its manifest "
           "(the file was cut short or changed after it was written); nothing was restored.")
INSIDE_DIFFERS = ("{file}: the database inside does not match its manifest in {count} "
                  "table(s): {tables}; nothing was restored.")
NEWER_MIGRATIONS = ("{file}: made by a newer Safehands ({backup_version}) whose database has "
                    "{count} migration(s) this Safehands ({version}) does not know, e.g. "
                    "{example}; install that version or a newer one to restore it.")
ENGINE_MISMATCH = ("{file}: a {backup} backup cannot be restored into or compared with a "
                   "{target} database; use a {backup} database.")
TARGET_NOT_EMPTY = ("{file}: not restored: the database {target} already holds {count} "
                    "table(s) (e.g. {example}); restore into an empty database, or pass "
                    "--force to replace its contents.")
TARGET_EXTRA_TABLES = ("{file}: not restored, even with --force: the database {target} holds "
                       "{count} table(s) that the backup does not (e.g. {example}), which "
                       "would be left behind; restore into a new, empty database.")
TARGET_NOT_SQLITE = "{file}: not restored: {target} is not a SQLite database ({detail})."
SOURCE_MISSING = "The database {target} does not exist."
SOURCE_NOT_SAFEHANDS = ("The database {target} holds no Safehands tables (no django_migrations "
                        "table): nothing to back up; run `safehands setup` first.")
SQLITE_MEMORY = "The database {target} lives in memory only; back up or restore a file database."
PROGRAM_MISSING = ("{program} was not found on PATH; it is needed to {purpose} a PostgreSQL "
                   "database. Install the PostgreSQL client programs (Debian: apt-get install "
                   "postgresql-client) of the server's major version or newer.")
PROGRAM_FAILED = "{program} failed (exit {code}): {detail}"
CONNECT_FAILED = "Could not connect to the database {target}: {detail}"
ENGINE_UNSUPPORTED = "Backups support SQLite and PostgreSQL, not {engine}."


class BackupError(DomainError):
    """A backup could not be written, read or restored; nothing was changed."""


Progress = Callable[[str], None]


def quiet(_text: str) -> None:
    return None


@dataclass(frozen=True)
class TableSum:
    """A table's row count and the SHA-256 of its rows in primary-key order."""

    rows: int
    sha256: str


def table_done(progress: Progress, *, done: int, total: int, table: str, rows: int) -> None:
    progress(f"  {done}/{total} {table}: {rows:,} rows")


def quote(name: str) -> str:
    """An SQL identifier, quoted the way SQLite and PostgreSQL both read it."""
    return '"' + name.replace('"', '""') + '"'


def example(names: list[str]) -> str:
    return ", ".join(names[:3]) + ("…" if len(names) > 3 else "")


_PG_OPTION_ENV = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT",
                  "sslkey": "PGSSLKEY", "connect_timeout": "PGCONNECT_TIMEOUT"}


@dataclass(frozen=True)
class Database:
    """Where a database is: built from Django's settings dict, printed without its password.

    Nothing in a backup uses Django's connection: each step opens its own connection to the
    `Database` it is given, so it can read or write a database other than the one Django serves.
    """

    engine: Engine
    name: str
    host: str = ""
    port: str = ""
    user: str = ""
    password: str = field(default="", repr=False)
    options: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> Database:
        engine = settings["ENGINE"]
        if engine.endswith("sqlite3"):
            return cls(engine="sqlite", name=str(settings["NAME"]))
        if "postgresql" in engine:
            options = {key: str(value) for key, value in (settings.get("OPTIONS") or {}).items()
                       if key in _PG_OPTION_ENV}
            return cls(engine="postgresql", name=str(settings["NAME"]),
                       host=str(settings.get("HOST") or ""), port=str(settings.get("PORT") or ""),
                       user=str(settings.get("USER") or ""),
                       password=str(settings.get("PASSWORD") or ""), options=options)
        raise BackupError(ENGINE_UNSUPPORTED.format(engine=engine))

    def label(self) -> str:
        if self.engine == "sqlite":
            return self.name
        who = f"{self.user}@" if self.user else ""
        port = f":{self.port}" if self.port else ""
        return f"{who}{self.host or 'local socket'}{port}/{self.name}"

    def pg_env(self) -> dict[str, str]:
        """pg_dump's and pg_restore's environment: the password never on a command line."""
        env = dict(os.environ)
        for key, value in (("PGHOST", self.host), ("PGPORT", self.port), ("PGUSER", self.user),
                           ("PGPASSWORD", self.password), ("PGDATABASE", self.name)):
            if value:  # else libpq's own defaults (PG* variables, ~/.pgpass), as for Django
                env[key] = value
        for option, value in self.options.items():
            env[_PG_OPTION_ENV[option]] = value
        return env
