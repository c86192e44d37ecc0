"""The backup and restore drill: a database holding the demo data is backed up, restored into
an empty database, and every table's row count and checksum compared; and every bad input is
refused with a message naming the file and the problem, changing nothing.

SQLite cases run on every run (they use their own files). PostgreSQL cases run when the suite
runs on PostgreSQL (DATABASE_URL), in databases of their own created on the same server and
dropped afterwards. The commands run as a subprocess with DATABASE_URL pointing at those
databases, as an operator runs them.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import itertools
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path
from urllib.parse import quote as url_quote

import pytest
from django.conf import settings

from safehands.core.backup import (
    BackupError,
    Database,
    backup_compare,
    backup_create,
    backup_restore,
    postgresql,
    sqlite,
)
from safehands.core.backup.common import (
    DAMAGED,
    ENGINE_MISMATCH,
    FILE_EXISTS,
    INSIDE_DIFFERS,
    NEWER_MIGRATIONS,
    NOT_A_BACKUP,
    PROGRAM_MISSING,
    SOURCE_NOT_SAFEHANDS,
    TARGET_EXTRA_TABLES,
    TARGET_NOT_EMPTY,
)

ON_POSTGRES = "postgresql" in settings.DATABASES["default"]["ENGINE"]
ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not ON_POSTGRES, reason="the suite runs on SQLite; PostgreSQL backups run on PostgreSQL"))]
SUMS = {"sqlite": sqlite.sums, "postgresql": postgresql.sums}
SAFEHANDS = str(Path(sys.executable).with_name("safehands"))
_names = itertools.count()


def _quiet(_text: str) -> None:
    return None


# --- databases of the tests' own -------------------------------------------------------------

def _server() -> Database:
    return Database.from_settings(settings.DATABASES["default"])


def _pg_admin():
    import psycopg

    server = _server()
    return psycopg.connect(dbname="postgres", host=server.host or None,
                           port=server.port or None, user=server.user or None,
                           password=server.password or None, autocommit=True)


class Scratch:
    """Fresh, empty databases of one engine: SQLite files, or PostgreSQL databases dropped at
    the end."""

    def __init__(self, engine: str, folder: Path) -> None:
        self.engine, self.folder, self.created = engine, folder, []

    def new(self) -> Database:
        n = next(_names)
        if self.engine == "sqlite":
            return Database(engine="sqlite", name=str(self.folder / f"db{n}.sqlite3"))
        name = f"{_server().name}_drill_{os.getpid()}_{n}"
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        server = _server()
        return Database(engine="postgresql", name=name, host=server.host, port=server.port,
                        user=server.user, password=server.password)

    def drop(self) -> None:
        if self.created:
            with _pg_admin() as conn:
                for name in self.created:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _url(database: Database) -> str:
    if database.engine == "sqlite":
        return f"sqlite:///{database.name}"
    auth = url_quote(database.user) + (f":{url_quote(database.password)}"
                                       if database.password else "")
    return (f"postgres://{auth}@{database.host or 'localhost'}:{database.port or 5432}/"
            f"{database.name}")


def safehands(*args: str, database: Database, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": _url(database)}
    return subprocess.run([SAFEHANDS, *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=300, check=False)


def _tables(database: Database) -> list[str]:
    """The tables a database holds; none for a SQLite file that does not exist."""
    if database.engine == "sqlite":
        if not Path(database.name).exists():
            return []
        with contextlib.closing(sqlite3.connect(database.name)) as conn:
            return sqlite._tables(conn)
    with postgresql._connect(database) as conn:
        return postgresql._tables(conn)


def _execute(database: Database, sql: str) -> None:
    if database.engine == "sqlite":
        with contextlib.closing(sqlite3.connect(database.name)) as conn:
            conn.execute(sql)
            conn.commit()
    else:
        with postgresql._connect(database) as conn:
            conn.execute(sql)
            conn.commit()


@pytest.fixture(scope="module", params=ENGINES)
def engine(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def scratch(engine, tmp_path_factory):
    pool = Scratch(engine, tmp_path_factory.mktemp(f"backup-{engine}"))
    yield pool
    pool.drop()


@pytest.fixture(scope="module")
def source(scratch, tmp_path_factory) -> Database:
    """A database set up with `safehands setup --demo`: all content and the demo data."""
    database = scratch.new()
    done = safehands("setup", "--demo", "--quiet", database=database,
                     cwd=tmp_path_factory.mktemp("setup"))
    assert done.returncode == 0, done.stderr
    return database


@pytest.fixture(scope="module")
def backup_file(source, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("backups") / "demo.tar"
    backup_create(database=source, path=path)
    return path


@pytest.fixture
def empty(scratch) -> Database:
    return scratch.new()


# --- the drill --------------------------------------------------------------------------------

def test_drill_restores_every_table_of_the_demo_database_with_its_count_and_checksum(
        engine, source, empty, tmp_path):
    backup = tmp_path / "safehands.tar"
    taken = safehands("backup", str(backup), database=source, cwd=tmp_path)
    assert taken.returncode == 0, taken.stderr
    assert f"Wrote {backup}" in taken.stdout
    tables = SUMS[engine](source, progress=_quiet)
    total = len(tables)
    assert f"  {total}/{total} " in taken.stderr  # each table reported as it is checksummed
    assert oct(backup.stat().st_mode & 0o777) == "0o600"

    restored = safehands("restore", str(backup), database=empty, cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert f"all {total} tables match the backup" in restored.stdout

    # The drill's comparison, computed here afresh on both databases: every table, its
    # row count and its checksum, the same.
    assert SUMS[engine](empty, progress=_quiet) == tables
    assert total > 60
    assert sum(t.rows for t in tables.values()) > 10_000
    assert tables["orgs_orgunit"].rows > 100 and tables["measurement_datavalue"].rows > 1000
    checked = safehands("restore", "--check", str(backup), database=empty, cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr


def test_a_table_changed_after_the_restore_is_reported_as_differing(
        backup_file, empty, tmp_path):
    backup_restore(path=backup_file, database=empty)
    _execute(empty, "UPDATE orgs_orgunit SET name = name || ' (changed)' "
                    "WHERE id = (SELECT min(id) FROM orgs_orgunit)")
    result = backup_compare(path=backup_file, database=empty)
    assert [d.table for d in result.differences] == ["orgs_orgunit"]
    assert "contents differ" in result.differences[0].problem
    _execute(empty, "DELETE FROM accounts_apitoken")  # no rows: still the same
    _execute(empty, "DELETE FROM catalogue_measure WHERE id = (SELECT max(id) "
                    "FROM catalogue_measure WHERE id NOT IN (SELECT measure_id FROM "
                    "measurement_datavalue))")
    checked = safehands("restore", "--check", str(backup_file), database=empty, cwd=tmp_path)
    assert checked.returncode == 1
    assert "orgs_orgunit: the same" in checked.stderr
    assert "catalogue_measure: " in checked.stderr and " rows in the backup, " in checked.stderr
    assert "does not match" in checked.stderr and "in 2 table(s)" in checked.stderr


def test_a_database_that_is_not_empty_is_refused_unless_forced(backup_file, empty, tmp_path):
    backup_restore(path=backup_file, database=empty)
    _execute(empty, "UPDATE orgs_orgunit SET name = 'changed' "
                    "WHERE id = (SELECT min(id) FROM orgs_orgunit)")
    refused = safehands("restore", str(backup_file), database=empty, cwd=tmp_path)
    assert refused.returncode == 1
    assert TARGET_NOT_EMPTY.split("{")[0] in refused.stderr
    assert empty.label() in refused.stderr and "--force" in refused.stderr
    assert [d.table for d in backup_compare(path=backup_file, database=empty).differences] \
        == ["orgs_orgunit"]  # left as it was

    forced = safehands("restore", "--force", str(backup_file), database=empty, cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert backup_compare(path=backup_file, database=empty).differences == []


def test_force_does_not_leave_tables_the_backup_lacks(engine, backup_file, empty):
    if engine == "sqlite":
        pytest.skip("a SQLite restore replaces the whole file, so no table is left behind")
    backup_restore(path=backup_file, database=empty)
    _execute(empty, "CREATE TABLE left_behind (id integer primary key)")
    with pytest.raises(BackupError) as error:
        backup_restore(path=backup_file, database=empty, force=True)
    assert error.value.message == TARGET_EXTRA_TABLES.format(
        file=backup_file, target=empty.label(), count=1, example="left_behind")
    assert backup_compare(path=backup_file, database=empty).differences[0].table \
        == "left_behind"  # the restored tables still as they were


# --- bad input: a clear message, nothing changed ----------------------------------------------

def _refused(path: Path, database: Database) -> str:
    with pytest.raises(BackupError) as error:
        backup_restore(path=path, database=database)
    assert _tables(database) == []
    message = error.value.message
    assert message.startswith(f"{path}: "), message
    return message


def _rebuilt(backup: Path, out: Path, *, manifest=None, data: bytes | None = None,
             member: str | None = None) -> Path:
    """A copy of a backup with its manifest edited and its member replaced, sealed with
    checksums that match, as a well-formed but wrong file would be."""
    with tarfile.open(backup) as tar:
        found = json.loads(tar.extractfile("manifest.json").read())
        original = found["data"]["member"]
        if data is None:
            data = tar.extractfile(original).read()
    found["data"].update(member=member or original, sha256=hashlib.sha256(data).hexdigest(),
                         bytes=len(data))
    if manifest is not None:
        manifest(found)
    with tarfile.open(out, "w") as tar:
        for name, content in (("manifest.json", json.dumps(found).encode()),
                              (found["data"]["member"], data)):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return out


def test_a_file_that_is_not_a_tar_is_refused(empty, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a backup at all\n" * 100)
    message = _refused(path, empty)
    assert message.startswith(f"{path}: not a Safehands backup (not a tar file")


def test_a_tar_without_a_manifest_is_refused(empty, tmp_path):
    path = tmp_path / "other.tar"
    with tarfile.open(path, "w") as tar:
        info = tarfile.TarInfo("readme.txt")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"hello"))
    assert _refused(path, empty) == NOT_A_BACKUP.format(
        file=path, reason="no manifest.json inside")


def test_a_cut_short_backup_is_refused_as_damaged(backup_file, empty, tmp_path):
    path = tmp_path / "cut.tar"
    path.write_bytes(backup_file.read_bytes()[: backup_file.stat().st_size // 2])
    member = "database.sqlite3.gz" if empty.engine == "sqlite" else "database.pgdump"
    assert _refused(path, empty) == DAMAGED.format(file=path, member=member)


def test_a_changed_byte_in_the_database_member_is_refused_as_damaged(
        backup_file, empty, tmp_path):
    data = bytearray(backup_file.read_bytes())
    data[len(data) // 2] ^= 0xFF  # inside the database member, past the manifest
    path = tmp_path / "flipped.tar"
    path.write_bytes(bytes(data))
    member = "database.sqlite3.gz" if empty.engine == "sqlite" else "database.pgdump"
    assert _refused(path, empty) == DAMAGED.format(file=path, member=member)


def test_a_backup_from_the_other_engine_is_refused(engine, backup_file, empty, tmp_path):
    other = "postgresql" if engine == "sqlite" else "sqlite"
    members = {"sqlite": "database.sqlite3.gz", "postgresql": "database.pgdump"}
    path = _rebuilt(backup_file, tmp_path / "other.tar", member=members[other],
                    manifest=lambda m: m.update(engine=other))
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    assert _refused(path, empty) == ENGINE_MISMATCH.format(
        file=path, backup=names[other], target=names[engine])
    with pytest.raises(BackupError, match="cannot be restored into or compared with"):
        backup_compare(path=path, database=empty)


def test_a_backup_from_a_newer_safehands_is_refused(backup_file, empty, tmp_path):
    path = _rebuilt(backup_file, tmp_path / "newer.tar",
                    manifest=lambda m: m["migrations"]["orgs"].append("9999_future"))
    message = _refused(path, empty)
    assert message.startswith(NEWER_MIGRATIONS.split("(")[0].format(file=path))
    assert "orgs.9999_future" in message


def test_a_newer_backup_format_is_refused(backup_file, empty, tmp_path):
    path = _rebuilt(backup_file, tmp_path / "format.tar",
                    manifest=lambda m: m.update(format_version=99))
    assert "written in backup format 99" in _refused(path, empty)


def test_a_sqlite_backup_whose_database_does_not_match_its_manifest_is_refused(
        source, backup_file, empty, tmp_path):
    if empty.engine != "sqlite":
        pytest.skip("SQLite backups are checked before the target is touched")

    def wrong_sum(manifest):
        manifest["tables"]["orgs_orgunit"]["sha256"] = "0" * 64

    path = _rebuilt(backup_file, tmp_path / "wrong.tar", manifest=wrong_sum)
    rows = sqlite.sums(source, progress=_quiet)["orgs_orgunit"].rows
    assert _refused(path, empty) == INSIDE_DIFFERS.format(
        file=path, count=1,
        tables=f"orgs_orgunit: the same {rows} rows in number, but their contents differ")


def test_a_sqlite_member_that_is_not_gzip_is_refused_as_damaged(engine, backup_file, empty,
                                                                  tmp_path):
    if engine != "sqlite":
        pytest.skip("SQLite member")
    path = _rebuilt(backup_file, tmp_path / "plain.tar", data=gzip.compress(b"not sqlite"))
    assert _refused(path, empty) == DAMAGED.format(file=path, member="database.sqlite3.gz")


def test_an_existing_backup_file_is_not_replaced_unless_forced(source, tmp_path):
    path = tmp_path / "kept.tar"
    path.write_bytes(b"an earlier backup")
    with pytest.raises(BackupError) as error:
        backup_create(database=source, path=path)
    assert error.value.message == FILE_EXISTS.format(file=path)
    assert path.read_bytes() == b"an earlier backup"
    refused = safehands("backup", str(path), database=source, cwd=tmp_path)
    assert refused.returncode == 1 and f"{path}: already exists" in refused.stderr
    assert path.read_bytes() == b"an earlier backup"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.tar"]  # no work files left
    replaced = safehands("backup", "--force", "--quiet", str(path), database=source,
                         cwd=tmp_path)
    assert replaced.returncode == 0, replaced.stderr
    assert tarfile.is_tarfile(path)


def test_a_database_without_safehands_tables_is_not_backed_up(empty, tmp_path):
    if empty.engine == "sqlite":
        sqlite3.connect(empty.name).close()
    with pytest.raises(BackupError) as error:
        backup_create(database=empty, path=tmp_path / "b.tar")
    assert error.value.message == SOURCE_NOT_SAFEHANDS.format(target=empty.label())
    assert not (tmp_path / "b.tar").exists()


def test_missing_postgresql_client_programs_are_named(engine, source, backup_file, empty,
                                                      tmp_path, monkeypatch):
    if engine != "postgresql":
        pytest.skip("PostgreSQL only")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupError) as error:
        backup_create(database=source, path=tmp_path / "b.tar")
    assert error.value.message == PROGRAM_MISSING.format(program="pg_dump", purpose="back up")
    with pytest.raises(BackupError) as error:
        backup_restore(path=backup_file, database=empty)
    assert error.value.message == PROGRAM_MISSING.format(program="pg_restore", purpose="restore")
    assert _tables(empty) == []
