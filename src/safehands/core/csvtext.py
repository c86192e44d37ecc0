"""CSV text read the same way everywhere, and a file the csv module cannot read named as such.

Every import reads through `csv_open` (for `DictReader`) or `CsvReader`; either way a row the
csv module gives up on (a field past its size limit) becomes a message naming the row, not a
server error.

`newline=""` lets the csv module see the file's own line ends, so `\r`, `\n` and `\r\n` all
end a row and a line end inside a quoted field stays part of it (without it, a bare `\r` in
a spreadsheet's export stops the reader with an error instead).

`CsvUnreadable` is a `DomainError`, so pages, the API and the command line show it as they
show any broken rule. No Django here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from safehands.core.errors import DomainError

CSV_UNREADABLE = "Row {row}: the file cannot be read as CSV ({reason})."


def csv_open(text: str) -> io.StringIO:
    """The text as a file for `csv.reader`/`DictReader`, its byte-order mark dropped."""
    return io.StringIO(text.removeprefix("\ufeff"), newline="")


def csv_unreadable(error: csv.Error, row: int) -> str:
    """The message for a row the csv module gave up on (a field past its size limit, say)."""
    return CSV_UNREADABLE.format(row=max(row, 1), reason=str(error).split(" - ")[0])


class CsvUnreadable(DomainError):
    def __init__(self, row: int, message: str) -> None:
        super().__init__(message, {"row": row, "field": ""})
        self.row = row


class CsvReader(Iterator[list[str]]):
    """`csv.reader` over text, with `line_num`; an unreadable row raises `CsvUnreadable`."""

    def __init__(self, text: str) -> None:
        self._reader = csv.reader(csv_open(text))

    @property
    def line_num(self) -> int:
        return self._reader.line_num

    def __next__(self) -> list[str]:
        try:
            return next(self._reader)
        except csv.Error as error:
            row = self._reader.line_num
            raise CsvUnreadable(row, csv_unreadable(error, row)) from None
