"""A worker killed in the middle of an import: PostgreSQL rolls its transaction back whole.

The import runs as a real `safehands data generate --load` process against the test database;
when its bulk write of values is under way (seen in pg_stat_activity), it gets SIGKILL, as
the out-of-memory killer or a crashed container would do it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from safehands.measurement.models import DataValue, EntryBatch


def _writing_values(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state = 'active' AND "
            "(query ILIKE 'COPY%%measurement_datavalue%%' OR "
            "query ILIKE 'INSERT INTO%%measurement_datavalue%%')")
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_a_killed_import_leaves_no_values(tmp_path: Path):
    if connection.vendor != "postgresql":
        pytest.skip("killing a worker mid-transaction is proven on PostgreSQL")
    from safehands.catalogue.services import catalogue_load

    catalogue_load(actor=None, source="system")
    settings = connection.settings_dict
    url = (f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
           f"{settings['PORT'] or 5432}/{settings['NAME']}")
    env = {**os.environ, "DATABASE_URL": url}
    worker = subprocess.Popen(
        [str(Path(sys.executable).with_name("safehands")), "data", "generate", "--units", "250",
         "--months", "36", "--out", str(tmp_path / "values.csv"), "--load"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not _writing_values(worker.pid):
            if worker.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the import finished or stalled before its write could be caught: "
                            + worker.stderr.read().decode()[-2000:])
            time.sleep(0.02)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == -signal.SIGKILL
    for _ in range(100):  # the server notices the dead client and rolls back
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                           "current_database() AND pid <> pg_backend_pid()")
            if cursor.fetchone()[0] == 0:
                break
        time.sleep(0.1)
    assert DataValue.objects.count() == 0
    assert EntryBatch.objects.count() == 0
