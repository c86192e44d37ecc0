"""Anhøj runs analysis, vectorised over segments.

Two tests for non-random variation around the centre line (Anhøj 2014; Anhøj & Olesen 2014):
an unusually long run on one side (Schilling 2012) or unusually few crossings (Chen 2010). Points
exactly on the centre line and missing points are dropped first, so runs continue across them.
The analysis uses every included row of a segment, baseline or not (QICHARTS2_METHODS §4).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from safehands.spc.constants import longest_run_max, n_crossings_min


@dataclass(frozen=True)
class RunsResult:
    """Per-segment statistics (arrays of length nseg), plus the run the latest point is in."""

    n_obs: np.ndarray
    n_useful: np.ndarray
    longest_run: np.ndarray
    longest_run_max: np.ndarray
    n_crossings: np.ndarray
    n_crossings_min: np.ndarray
    runs_signal: np.ndarray
    last_run_length: np.ndarray  # length of the run holding the latest useful point (0: none)
    last_run_side: np.ndarray  # +1 above cl, -1 below, 0 none


def runs_analysis(
    y: np.ndarray, cl: np.ndarray, include: np.ndarray, seg: np.ndarray, nseg: int
) -> RunsResult:
    """Anhøj runs statistics per segment. `seg` must be sorted (segments contiguous)."""
    n_obs = np.bincount(seg[include], minlength=nseg).astype(float)
    with np.errstate(invalid="ignore"):
        sign = np.sign(y - cl)
    useful = include & ~np.isnan(sign) & (sign != 0)
    rows = np.flatnonzero(useful)
    s, sg = sign[rows], seg[rows]
    new_run = np.ones(rows.size, dtype=bool)
    new_run[1:] = (sg[1:] != sg[:-1]) | (s[1:] != s[:-1])
    run_start = np.flatnonzero(new_run)
    run_len = np.diff(np.append(run_start, rows.size))
    run_seg = sg[run_start]

    n_useful = np.bincount(sg, minlength=nseg).astype(float)
    n_runs = np.bincount(run_seg, minlength=nseg).astype(float)
    longest = np.zeros(nseg)
    last_length = np.zeros(nseg)
    last_side = np.zeros(nseg)
    if run_start.size:
        first_run = np.flatnonzero(np.concatenate(([True], run_seg[1:] != run_seg[:-1])))
        longest[run_seg[first_run]] = np.maximum.reduceat(run_len, first_run)
        # Runs are in (segment, position) order, so a segment's last run holds its latest point.
        last_run = np.flatnonzero(np.concatenate((run_seg[1:] != run_seg[:-1], [True])))
        last_length[run_seg[last_run]] = run_len[last_run]
        last_side[run_seg[last_run]] = s[run_start[last_run]]

    has = n_useful > 0
    lr_max = longest_run_max(n_useful)
    nc_min = n_crossings_min(n_useful)
    longest = np.where(has, longest, np.nan)
    crossings = np.where(has, np.maximum(n_runs - 1, 0), np.nan)
    signal = has & ((longest > lr_max) | (crossings < nc_min))
    return RunsResult(
        n_obs, n_useful, longest, lr_max, crossings, nc_min, signal, last_length, last_side
    )
