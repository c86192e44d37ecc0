"""Errors the SPC engine raises for data it cannot chart.

Messages name the column and the 1-based data row, so that the command line and the web UI can
show them as they are.
"""

from __future__ import annotations


class SpcInputError(ValueError):
    """The input cannot be charted as asked: unknown column, non-numeric value, bad count, ..."""
