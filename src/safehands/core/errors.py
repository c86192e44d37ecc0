"""Errors that services raise and every interface (page, API, CLI) renders the same way."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the programme was broken; `message` is for people, `extra` for machines."""

    def __init__(self, message: str, extra: dict[str, Any] | None = None) -> None:
        # A lazily translated message is put into words now, in the language of the request.
        message = str(message)
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class AccessDenied(DomainError):
    """The user may not do this here. Raised only by the one permission function."""


class NotFound(DomainError):
    """Asked for something that does not exist."""


class Conflict(DomainError):
    """The thing is in a state that forbids the change (closed, locked, changed meanwhile)."""
