"""Where copies of the audit trail and the read log go: `SAFEHANDS_AUDIT_SHIP`.

Normen asks that access logs can be reviewed outside the system that wrote them, where an
administrator of that system cannot change them. Safehands keeps both logs append-only in its
own database and, when this setting names a target, also sends every row, as one JSON line,
to syslog (UDP, TCP or a local socket such as /dev/log, for rsyslog, journald or a SIEM) or
to a JSON-lines file that a log shipper reads. Pure: settings.py calls it at start-up.
"""

from __future__ import annotations

import logging.handlers
import socket
from typing import Any
from urllib.parse import urlsplit

SHIP_INVALID = (
    "SAFEHANDS_AUDIT_SHIP={value!r} is not a log target: use udp://HOST:PORT, tcp://HOST:PORT, "
    "unix:///dev/log or file:///path/to/audit.jsonl.")
LOGGER = "safehands.audit"
# LOG_AUTHPRIV: security and authorisation messages, readable by the log system's operators.
FACILITY = logging.handlers.SysLogHandler.LOG_AUTHPRIV


def ship_handler(value: str) -> dict[str, Any]:
    """The logging handler configuration for a target; ValueError naming the setting."""
    parts = urlsplit(value.strip())
    try:
        port = parts.port
    except ValueError:
        raise ValueError(SHIP_INVALID.format(value=value)) from None
    if parts.scheme in ("udp", "tcp") and parts.hostname and port:
        return {"class": "logging.handlers.SysLogHandler", "address": (parts.hostname, port),
                "facility": FACILITY, "formatter": "audit_syslog",
                "socktype": socket.SOCK_DGRAM if parts.scheme == "udp" else socket.SOCK_STREAM}
    if parts.scheme == "unix" and parts.path:
        return {"class": "logging.handlers.SysLogHandler", "address": parts.path,
                "facility": FACILITY, "formatter": "audit_syslog"}
    if parts.scheme == "file" and parts.path and not parts.path.endswith("/"):
        return {"class": "logging.handlers.WatchedFileHandler", "filename": parts.path,
                "encoding": "utf-8", "formatter": "audit_line"}
    raise ValueError(SHIP_INVALID.format(value=value))


def logging_config(ship: str, *, level: str) -> dict[str, Any]:
    """The LOGGING setting: the console for everything, and the audit copies when asked."""
    config: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"audit_syslog": {"format": "safehands-audit: %(message)s"},
                       "audit_line": {"format": "%(message)s"}},
        "handlers": {"console": {"class": "logging.StreamHandler"}},
        "root": {"handlers": ["console"], "level": level},
        # Off unless a target is named: then no line is even formatted.
        "loggers": {LOGGER: {"handlers": [], "level": "CRITICAL", "propagate": False}},
    }
    if ship.strip():
        config["handlers"]["audit_ship"] = ship_handler(ship)
        config["loggers"][LOGGER] = {"handlers": ["audit_ship"], "level": "INFO",
                                     "propagate": False}
    return config
