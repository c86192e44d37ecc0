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
    """Per-segment statistics (arrays of length nseg), plus where the longest run ends."""

    n_obs: np.ndarray
    n_useful: np.ndarray
    longest_run: np.ndarray
    longest_run_max: np.ndarray
    n_crossings: np.ndarray
    n_crossings_min: np.ndarray
    runs_signal: np.ndarray
    longest_run_side: np.ndarray  # +1 above cl, -1 below, 0 none (latest of the longest runs)
    longest_run_end: np.ndarray  # row index of the last point of that run, -1 if none


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
    side = np.zeros(nseg)
    end = np.full(nseg, -1, dtype=np.int64)
    if run_start.size:
        first_run = np.flatnonzero(np.concatenate(([True], run_seg[1:] != run_seg[:-1])))
        longest[run_seg[first_run]] = np.maximum.reduceat(run_len, first_run)
        # The latest of the longest runs per segment (runs are in segment, position order).
        candidates = np.flatnonzero(run_len == longest[run_seg])
        cseg = run_seg[candidates]
        pick = candidates[np.concatenate((cseg[1:] != cseg[:-1], [True]))]
        side[run_seg[pick]] = s[run_start[pick]]
        end[run_seg[pick]] = rows[run_start[pick] + run_len[pick] - 1]

    has = n_useful > 0
    lr_max = longest_run_max(n_useful)
    nc_min = n_crossings_min(n_useful)
    longest = np.where(has, longest, np.nan)
    crossings = np.where(has, np.maximum(n_runs - 1, 0), np.nan)
    signal = has & ((longest > lr_max) | (crossings < nc_min))
    return RunsResult(n_obs, n_useful, longest, lr_max, crossings, nc_min, signal, side, end)
