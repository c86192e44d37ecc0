"""Copies of the audit trail and the read log reach a separate log system, once committed."""

from __future__ import annotations

import json
import logging
import logging.config
import socket
import subprocess
import sys

import pytest
from django.db import transaction

from safehands.audit.models import ReadKind, ReadPurpose
from safehands.audit.services import audit_record
from safehands.core.logship import LOGGER, logging_config, ship_handler
from safehands.orgs.reads import record_read


@pytest.fixture
def syslog_server():
    """A UDP socket standing in for the log server; the audit logger sends to it."""
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    server.settimeout(5)
    config = logging_config(f"udp://127.0.0.1:{server.getsockname()[1]}", level="WARNING")
    logging.config.dictConfig(config)
    yield server
    logging.config.dictConfig(logging_config("", level="WARNING"))
    server.close()


def _received(server) -> dict:
    data = server.recv(65536).decode()
    assert data.startswith("<")  # a syslog priority, then our tag
    return json.loads(data.split("safehands-audit: ", 1)[1].rstrip("\x00"))


def test_a_committed_change_and_a_read_are_shipped(tree, make_user, syslog_server,
                                                   django_capture_on_commit_callbacks):
    reader = make_user("reader", ("W1", "coordinator"))
    with django_capture_on_commit_callbacks(execute=True):
        audit_record(actor=reader, action="orgs.test.change", target=tree["W1"],
                     org_path=tree["W1"].path, after={"name": "Ward One"})
    line = _received(syslog_server)
    assert line["log"] == "audit" and line["action"] == "orgs.test.change"
    assert line["actor"] == "reader" and line["org_path"] == tree["W1"].path
    with django_capture_on_commit_callbacks(execute=True):
        record_read(actor=reader, unit=tree["W1"], kind=ReadKind.EVENT_REPORT,
                    purpose=ReadPurpose.EVENT_HANDLING, objects=[tree["W1"]], source="web")
    read = _received(syslog_server)
    assert read["log"] == "read" and read["kind"] == "event_report" and read["object_count"] == 1


def test_a_rolled_back_change_is_not_shipped(tree, syslog_server,
                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                audit_record(actor=None, action="orgs.test.change", target=tree["W1"],
                             source="system")
                raise RuntimeError("the write failed")
        except RuntimeError:
            pass
    assert callbacks == []
    syslog_server.settimeout(0.3)
    with pytest.raises(TimeoutError):
        syslog_server.recv(65536)


def test_without_a_target_nothing_is_formatted(tree, django_capture_on_commit_callbacks):
    assert not logging.getLogger(LOGGER + ".trail").isEnabledFor(logging.INFO)
    with django_capture_on_commit_callbacks() as callbacks:
        audit_record(actor=None, action="orgs.test.change", target=tree["W1"], source="system")
    assert callbacks == []


@pytest.mark.parametrize(("value", "expected"), [
    ("tcp://logs.example:601", ("logs.example", 601)),
    ("unix:///dev/log", "/dev/log"),
])
def test_targets(value, expected):
    handler = ship_handler(value)
    assert handler.get("address") == expected


def test_a_file_target_writes_json_lines(tmp_path):
    handler = ship_handler(f"file://{tmp_path}/audit.jsonl")
    assert handler["class"].endswith("WatchedFileHandler")
    assert handler["filename"] == f"{tmp_path}/audit.jsonl"


@pytest.mark.parametrize("value", ["syslog", "udp://nohost", "file:///var/log/", "http://x:1"])
def test_a_bad_target_stops_the_start(value):
    with pytest.raises(ValueError, match="SAFEHANDS_AUDIT_SHIP"):
        ship_handler(value)
    started = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], capture_output=True, text=True,
        env={"DJANGO_SETTINGS_MODULE": "safehands.settings", "SAFEHANDS_AUDIT_SHIP": value,
             "PATH": "/usr/bin:/bin"})
    assert started.returncode != 0 and "SAFEHANDS_AUDIT_SHIP" in started.stderr
