"""The embedded database with the product's settings serves concurrent writers: none fails
with "database is locked", and every write is kept."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db.backends.sqlite3.base import DatabaseWrapper

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="runs on the embedded database only")



@pytest.fixture(autouse=True)
def _own_database_files(django_db_blocker):
    """These tests open their own database files, outside the test database."""
    with django_db_blocker.unblock():
        yield


WRITERS = 8
WRITES = 25


def _wrapper(path) -> DatabaseWrapper:
    config = {**settings.DATABASES["default"], "NAME": str(path), "TEST": {}}
    config.setdefault("TIME_ZONE", None)
    config.setdefault("CONN_HEALTH_CHECKS", False)
    config.setdefault("ATOMIC_REQUESTS", False)
    config.setdefault("AUTOCOMMIT", True)
    config.setdefault("CONN_MAX_AGE", 0)
    return DatabaseWrapper(config, alias=f"concurrency-{threading.get_ident()}")


def test_the_file_database_runs_in_wal_with_immediate_transactions(tmp_path):
    db = _wrapper(tmp_path / "s.sqlite3")
    with db.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
    assert db.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    db.close()


def test_concurrent_read_then_write_transactions_all_succeed(tmp_path):
    """Each transaction reads, then writes: the pattern that fails at once under DEFERRED."""
    path = tmp_path / "s.sqlite3"
    setup = _wrapper(path)
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE value (writer INTEGER, n INTEGER, total INTEGER)")
    setup.close()
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def write(writer: int) -> None:
        db = _wrapper(path)
        try:
            start.wait()
            for n in range(WRITES):
                with _atomic(db), db.cursor() as cursor:
                    cursor.execute("SELECT count(*) FROM value")
                    total = cursor.fetchone()[0]
                    cursor.execute("INSERT INTO value VALUES (%s, %s, %s)",
                                   [writer, n, total])
        except BaseException as error:
            errors.append(error)
        finally:
            db.close()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    check = _wrapper(path)
    with check.cursor() as cursor:
        cursor.execute("SELECT count(*), count(DISTINCT total) FROM value")
        # Every write kept, and each saw all the writes before it: totals 0..N-1 once each.
        assert cursor.fetchone() == (WRITERS * WRITES, WRITERS * WRITES)
    check.close()


class _atomic:
    """A transaction begun as `transaction.atomic` begins one on SQLite (the wrappers here
    are not in `django.db.connections`, so atomic() itself cannot name them)."""

    def __init__(self, db: DatabaseWrapper) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.ensure_connection()
        self.db._start_transaction_under_autocommit()

    def __exit__(self, kind, error, trace) -> None:
        with self.db.cursor() as cursor:
            cursor.execute("COMMIT" if kind is None else "ROLLBACK")
