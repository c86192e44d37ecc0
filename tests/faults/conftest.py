"""Fault injection: the database fails on a chosen statement, in the middle of a write."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import OperationalError, connection

INJECTED = "injected fault: the database connection was lost"


@contextmanager
def database_fails_on(pattern: str, *, after: int = 0,
                      on_fault: Callable[[], None] | None = None) -> Iterator[list[str]]:
    """Every statement matching `pattern` (a regex over the SQL) fails once `after` of them
    have run; yields the list of statements that ran. `on_fault` runs just before the fault,
    inside the failing transaction, to prove what had been written by then."""
    seen: list[str] = []

    def wrapper(execute, sql, params, many, context):
        if re.search(pattern, sql) and \
                len([s for s in seen if re.search(pattern, s)]) >= after:
            if on_fault is not None:
                on_fault()
            raise OperationalError(INJECTED)
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield seen
