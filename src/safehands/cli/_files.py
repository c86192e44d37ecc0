"""Reading the files that commands import, with one message for text that is not UTF-8."""

from __future__ import annotations

from pathlib import Path

import click


def read_text(path: Path) -> str:
    """The file's text (a spreadsheet's byte-order mark dropped), or a message naming it."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise click.ClickException(
            f"{path}: not UTF-8 text ({error.reason} at byte {error.start}); save it as "
            "UTF-8 (in a spreadsheet: CSV UTF-8)."
        ) from error
