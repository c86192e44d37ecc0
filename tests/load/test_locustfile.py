"""The load test's locustfile, run for a few seconds against a test server: every kind of
work it simulates succeeds.

A short `make load`: the demo organisations and the synthetic regions of `load/prepare.py`
(a few units), a server in this process on the test database, and locust in a subprocess
(it patches the standard library with gevent, which must not happen in the test process) in
smoke mode: one unit team, one leader and one importer, each doing every one of its tasks
in turn. The server answers one request at a time, so it is safe on SQLite's in-memory
test database too; the figures come from `make load`, not from here.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOAD = ROOT / "load"

# One request name per kind of work in load/locustfile.py.
EVERY_REQUEST = {
    "GET /login/", "POST /login/",
    "POST /api/v1/measurement/units/[unit]/values",
    "GET /measurement/[unit]/entry/", "POST /measurement/[unit]/entry/",
    "GET /measurement/[unit]/", "GET /measurement/[unit]/measures/[measure]/",
    "GET /measurement/[unit]/measures/[measure]/chart.csv",
    "GET /api/v1/measurement/units/[unit]/values",
    "GET /measurement/[org]/dashboard/", "GET /measurement/[org]/rollups/[measure]/",
    "GET /measurement/[org]/rollups/[measure]/rollup.csv",
    "POST /api/v1/measurement/imports (dry run)", "POST /api/v1/measurement/imports",
}


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"load_{name}", LOAD / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # a dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def one_at_a_time_server(transactional_db, settings):
    """Like pytest-django's live_server, but serving one request at a time: an in-memory
    SQLite database is one connection shared with the server, which cannot hold two
    transactions at once."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import WSGIServer
    from django.db import connections
    from django.test.testcases import LiveServerThread

    class OneAtATime(WSGIServer):
        def __init__(self, *args, connections_override=None, **kwargs):
            super().__init__(*args, **kwargs)

    class Thread(LiveServerThread):
        server_class = OneAtATime

    shared = {c.alias: c for c in connections.all()
              if c.vendor == "sqlite" and c.is_in_memory_db()}
    for connection in shared.values():
        connection.inc_thread_sharing()
    thread = Thread("127.0.0.1", StaticFilesHandler, connections_override=shared)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    try:
        if thread.error:
            raise thread.error
        yield f"http://127.0.0.1:{thread.port}"
    finally:
        thread.terminate()
        for connection in shared.values():
            connection.dec_thread_sharing()


def test_every_kind_of_work_in_the_load_mix_succeeds(one_at_a_time_server, tmp_path):
    from safehands.catalogue.services import catalogue_load
    from safehands.demo.load import demo_load

    catalogue_load(actor=None, source="system")
    demo_load()
    accounts = _module("prepare").prepare(units=6, months=12, importers=2)
    (tmp_path / "accounts.json").write_text(json.dumps(accounts), encoding="utf-8")

    run = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(LOAD / "locustfile.py"), "--headless",
         "--host", one_at_a_time_server, "-u", "3", "-r", "3", "-t", "12s",
         "--csv", str(tmp_path / "stats"), "--only-summary", "--loglevel", "WARNING"],
        env={**os.environ, "SAFEHANDS_LOAD_ACCOUNTS": str(tmp_path / "accounts.json"),
             "SAFEHANDS_LOAD_SMOKE": "1"},
        capture_output=True, text=True, timeout=90, cwd=tmp_path)

    written = tmp_path / "stats_failures.csv"
    failures = written.read_text(encoding="utf-8") if written.exists() else ""
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:] + failures
    rows, total = _module("report").read_stats(tmp_path / "stats_stats.csv")
    assert total.failures == 0, failures
    ran = {row.name for row in rows if row.requests}
    assert ran >= EVERY_REQUEST, sorted(EVERY_REQUEST - ran)
