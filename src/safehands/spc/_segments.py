"""Segment reductions: the vectorised building blocks of the batch engine.

Every chart is computed for many series at once. Rows are sorted by (series, part, x), so each
facet x part ("segment") is a contiguous block of rows with an integer segment id. Sums, means,
medians and moving ranges per segment are then single NumPy calls (np.bincount, sorting by
(segment, value)) instead of a Python loop per series.

Missing values (NaN) are skipped unless stated otherwise, like R's `na.rm = TRUE`.
"""

from __future__ import annotations

import numpy as np


def _blocks(values: np.ndarray, seg: np.ndarray, mask: np.ndarray):
    """Non-missing masked values in extended precision, split into per-segment blocks."""
    keep = mask & ~np.isnan(values)
    s = seg[keep]
    v = values[keep].astype(np.longdouble)
    starts = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1]))) if s.size else s
    count = np.diff(np.append(starts, s.size))
    return v, s[starts], starts, count


def seg_sum(values: np.ndarray, seg: np.ndarray, nseg: int, mask: np.ndarray) -> np.ndarray:
    """Sum of the non-missing `values` per segment over rows where `mask` holds (0 if none).

    Accumulated in extended precision (long double) and rounded once, as R's sum() does.
    `seg` must be sorted.
    """
    v, ids, starts, _ = _blocks(values, seg, mask)
    out = np.zeros(nseg)
    if ids.size:
        out[ids] = np.add.reduceat(v, starts).astype(float)
    return out


def seg_mean(values: np.ndarray, seg: np.ndarray, nseg: int, mask: np.ndarray) -> np.ndarray:
    """Mean of the non-missing `values` per segment (NaN if none). `seg` must be sorted.

    R's mean() in extended precision with its correction pass: the result is the correctly
    rounded mean, so the mean of a constant series equals its values exactly. That matters
    because the runs analysis tests "on the centre line" exactly (QICHARTS2_METHODS §4).
    """
    v, ids, starts, count = _blocks(values, seg, mask)
    out = np.full(nseg, np.nan)
    if ids.size:
        with np.errstate(invalid="ignore", over="ignore"):
            mean = np.add.reduceat(v, starts) / count
            resid = np.add.reduceat(v - np.repeat(mean, count), starts)
            out[ids] = np.where(np.isfinite(mean), mean + resid / count, mean).astype(float)
    return out


def seg_sd(values: np.ndarray, seg: np.ndarray, nseg: int, mask: np.ndarray) -> np.ndarray:
    """Sample standard deviation (n - 1) of the non-missing values per segment; NaN if n < 2."""
    keep = mask & ~np.isnan(values)
    s, v = seg[keep], values[keep]
    count = np.bincount(s, minlength=nseg).astype(float)
    mean = seg_mean(values, seg, nseg, keep)
    with np.errstate(invalid="ignore", divide="ignore"):
        ss = np.bincount(s, weights=(v - mean[s]) ** 2, minlength=nseg)
        return np.where(count > 1, np.sqrt(ss / (count - 1)), np.nan)


def seg_median(values: np.ndarray, seg: np.ndarray, nseg: int, mask: np.ndarray) -> np.ndarray:
    """Median of the non-missing values per segment (NaN if none), by sorting within segments."""
    keep = mask & ~np.isnan(values)
    s, v = seg[keep], values[keep]
    count = np.bincount(s, minlength=nseg)
    v, start = _sort_within(v, s, count)
    out = np.full(nseg, np.nan)
    has = count > 0
    lo = start[has] + (count[has] - 1) // 2
    hi = start[has] + count[has] // 2
    out[has] = (v[lo] + v[hi]) / 2  # exact: halving a double is exact, like R's mean of two
    return out


def _sort_within(
    values: np.ndarray, seg: np.ndarray, count: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Values sorted by (segment, value) with each segment's start; `seg` sorted.

    Short segments of similar length (the dashboard case) are padded into a 2-D array and
    sorted along rows, which is much faster than one lexsort over everything.
    """
    nseg = count.size
    start = np.concatenate(([0], np.cumsum(count)[:-1]))
    width = int(count.max(initial=0))
    if nseg and nseg * width <= 2 * values.size + 1024:
        grid = np.full((nseg, width), np.inf)
        column = np.arange(values.size) - np.repeat(start, count)
        grid[seg, column] = values
        grid.sort(axis=1)
        keep = np.arange(width)[None, :] < count[:, None]
        return grid[keep], start
    return values[np.lexsort((values, seg))], start


def seg_any(mask: np.ndarray, seg: np.ndarray, nseg: int) -> np.ndarray:
    """True for segments with at least one row where `mask` holds."""
    return np.bincount(seg[mask], minlength=nseg) > 0


def lag_diff(
    values: np.ndarray, seg: np.ndarray, mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Differences between consecutive masked rows of the same segment.

    Returns (difference, segment of the pair, row index of the later element). Rows outside
    `mask` are skipped, so the difference bridges them; a NaN value gives NaN differences on both
    sides (it is kept in sequence, nothing is bridged).
    """
    idx = np.flatnonzero(mask)
    v, s = values[idx], seg[idx]
    same = s[1:] == s[:-1]
    return (v[1:] - v[:-1])[same], s[1:][same], idx[1:][same]


def seg_amr(
    values: np.ndarray,
    seg: np.ndarray,
    nseg: int,
    mask: np.ndarray,
    *,
    screened: bool,
    screen: float,
) -> np.ndarray:
    """Average moving range per segment over consecutive masked rows, optionally screened.

    Screening drops every moving range >= screen x AMR once and recomputes AMR. Nelson 1982.
    """
    diff, dseg, _ = lag_diff(values, seg, mask)
    mr = np.abs(diff)
    return _screened_mean(mr, dseg, nseg, screened=screened, screen=screen)


def _screened_mean(
    values: np.ndarray, seg: np.ndarray, nseg: int, *, screened: bool, screen: float
) -> np.ndarray:
    every = np.ones(values.shape, dtype=bool)
    amr = seg_mean(values, seg, nseg, every)
    if screened:
        with np.errstate(invalid="ignore"):
            keep = values < screen * amr[seg]
        amr = seg_mean(values, seg, nseg, keep)
    return amr
