"""Safehands SPC engine: statistical process control charts in pure NumPy and pandas.

A re-implementation of the R package qicharts2 (Jacob Anhøj) for the Safehands platform, usable on
its own:

    >>> from safehands.spc import qic
    >>> result = qic(frame, x="month", y="infections", n="patient_days", chart="u", by="ward")
    >>> result.data        # one row per series and subgroup
    >>> result.summary()   # one row per series and part, with Making Data Count icons

Computing is kept apart from drawing (`safehands.spc.plot`). Nothing here imports Django.
"""

from safehands.spc._engine import AGGS, CHARTS, DATA_COLUMNS, QicResult, qic
from safehands.spc.errors import SpcInputError

__all__ = ["AGGS", "CHARTS", "DATA_COLUMNS", "QicResult", "SpcInputError", "qic"]
