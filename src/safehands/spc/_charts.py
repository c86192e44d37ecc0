"""Centre line and limits per chart type, one private function of one shape per chart.

Each `_limits_<chart>(f)` takes a `_Frame` holding many facet x part segments at once (rows sorted
by series, part, x), fills `cl`, `lcl`, `ucl`, `lcl_95` and `ucl_95` (and replaces `y` where the
chart plots something else than the aggregated value) and returns it. The functions follow
qicharts2 0.8.1 (`R/helper.functions.R`, described in QICHARTS2_METHODS.md §3), including its
quirks; every formula cites its source.

Notation: B = the base rows of a segment, `baseline & include` (freeze and exclude).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from safehands.spc import constants as k
from safehands.spc._segments import (
    lag_diff,
    seg_amr,
    seg_any,
    seg_mean,
    seg_median,
    seg_sd,
    seg_sum,
)
from safehands.spc.errors import SpcInputError


class ChartDataError(SpcInputError):
    """A subgroup cannot be charted as asked (for example a t chart with y <= 0)."""

    def __init__(self, message: str, row: int) -> None:
        super().__init__(message)
        self.row = row  # index into the frame's rows of the first offending subgroup


@dataclass
class _Frame:
    """Subgroup rows of every segment, sorted by (series, part, x); one array per column."""

    seg: np.ndarray  # segment id per row (contiguous, 0..nseg-1)
    nseg: int
    y: np.ndarray  # aggregated value (y.sum/n with a denominator, agg(y) without)
    y_sum: np.ndarray
    y_length: np.ndarray
    y_mean: np.ndarray
    y_sd: np.ndarray
    n: np.ndarray  # summed denominator; NaN everywhere without n
    base: np.ndarray  # baseline & include
    categorical: bool  # x is text or a factor: Laney sigma_z is sd(z) (funnel plots)
    screened: bool  # screened moving ranges (option qic.screenedmr)
    fixed_cl: float | None  # user-supplied centre line
    _rows_per_segment: np.ndarray = field(init=False, repr=False)
    cl: np.ndarray = field(init=False)
    lcl: np.ndarray = field(init=False)
    ucl: np.ndarray = field(init=False)
    lcl_95: np.ndarray = field(init=False)
    ucl_95: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        nan = np.full(self.y.shape, np.nan)  # shared: charts assign new arrays, never in place
        self.cl, self.lcl, self.ucl, self.lcl_95, self.ucl_95 = nan, nan, nan, nan, nan
        self._rows_per_segment = np.bincount(self.seg, minlength=self.nseg)

    def per_row(self, per_segment: np.ndarray) -> np.ndarray:
        """Spread one value per segment over its rows (segments are contiguous)."""
        return np.repeat(per_segment, self._rows_per_segment)

    def centre(self, computed: Callable[[], np.ndarray]) -> np.ndarray:
        """The user's centre line if given, else the computed one (per segment)."""
        if self.fixed_cl is not None:
            return np.full(self.nseg, float(self.fixed_cl))
        return computed()

    def set_limits(self, sigma: np.ndarray) -> None:
        """cl -/+ 3 sigma and cl -/+ 2 sigma (Shewhart 1931); sigma per row."""
        self.lcl = self.cl - 3 * sigma
        self.ucl = self.cl + 3 * sigma
        self.lcl_95 = self.cl - 2 * sigma
        self.ucl_95 = self.cl + 2 * sigma

    def floor_lower(self) -> None:
        """Counts and rates cannot be negative: finite lower limits below 0 become 0."""
        for name in ("lcl", "lcl_95"):
            v = getattr(self, name)
            setattr(self, name, np.where(np.isfinite(v) & (v < 0), 0.0, v))

    def cap_upper(self) -> None:
        """Proportions cannot exceed 1: finite upper limits above 1 become 1."""
        for name in ("ucl", "ucl_95"):
            v = getattr(self, name)
            setattr(self, name, np.where(np.isfinite(v) & (v > 1), 1.0, v))


def _every(f: _Frame) -> np.ndarray:
    return np.ones(f.y.shape, dtype=bool)


def _limits_run(f: _Frame) -> _Frame:
    """Run chart: centre line = median of the base points; no limits. Anhøj 2014."""
    f.cl = f.per_row(f.centre(lambda: seg_median(f.y, f.seg, f.nseg, f.base)))
    return f


def _limits_i(f: _Frame) -> _Frame:
    """I chart: cl = mean, sigma = AMR / d2 (AMR screened). Montgomery 6.33, Nelson 1982."""
    f.cl = f.per_row(f.centre(lambda: seg_mean(f.y, f.seg, f.nseg, f.base)))
    amr = seg_amr(
        f.y - f.cl, f.seg, f.nseg, f.base, screened=f.screened, screen=k.MR_SCREEN
    )  # moving ranges of consecutive base points; excluded points are bridged
    f.set_limits(f.per_row(amr / k.D2))  # Montgomery 6.33
    return f


def _limits_mr(f: _Frame) -> _Frame:
    """MR chart: MR_j = |y_j - y_(j-1)| over all rows; ucl = D4 x MR-bar. Montgomery 6.33."""
    mr = np.full(f.y.shape, np.nan)
    diff, _, later = lag_diff(f.y, f.seg, _every(f))
    mr[later] = np.abs(diff)
    f.y = mr
    f.cl = f.per_row(f.centre(lambda: seg_mean(mr, f.seg, f.nseg, f.base)))
    f.lcl = np.zeros(f.y.shape)
    f.lcl_95 = np.zeros(f.y.shape)
    f.ucl = k.D4 * f.cl
    f.ucl_95 = (k.D4 / 3) * 2 * f.cl
    return f


def _s_bar(f: _Frame) -> np.ndarray:
    """Average subgroup SD per segment. Montgomery 6.29 (equal sizes) or 6.31 (pooled).

    The subgroup sizes are compared over every row of the part, not just the base rows.
    """
    size = f.y_length
    hi = np.full(f.nseg, -np.inf)
    lo = np.full(f.nseg, np.inf)
    np.maximum.at(hi, f.seg, size)
    np.minimum.at(lo, f.seg, size)
    varying = hi != lo
    pooled = np.sqrt(
        seg_sum((size - 1) * f.y_sd**2, f.seg, f.nseg, f.base)
        / seg_sum(size - 1, f.seg, f.nseg, f.base)
    )
    mean_sd = seg_mean(f.y_sd, f.seg, f.nseg, f.base)
    return np.where(varying, pooled, mean_sd)


def _limits_xbar(f: _Frame) -> _Frame:
    """X-bar chart: cl = size-weighted grand mean (Montgomery 6.30), cl +/- A3(n_i) s-bar."""
    with np.errstate(invalid="ignore", divide="ignore"):
        f.cl = f.per_row(
            f.centre(
                lambda: (
                    seg_sum(f.y_length * f.y_mean, f.seg, f.nseg, f.base)
                    / seg_sum(f.y_length, f.seg, f.nseg, f.base)
                )
            )
        )
        s_bar = f.per_row(_s_bar(f))
    f.lcl = f.cl - k.a3(f.y_length) * s_bar
    f.ucl = f.cl + k.a3(f.y_length) * s_bar
    f.lcl_95 = f.cl - k.a3(f.y_length, sigma=2) * s_bar
    f.ucl_95 = f.cl + k.a3(f.y_length, sigma=2) * s_bar
    return f


def _limits_s(f: _Frame) -> _Frame:
    """S chart: plots subgroup SDs, cl = s-bar, limits B3(n_i) cl, B4(n_i) cl. Montgomery 6.27."""
    f.y = f.y_sd.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        f.cl = f.per_row(f.centre(lambda: _s_bar(f)))
    f.ucl = k.b4(f.y_length) * f.cl
    f.ucl_95 = k.b4(f.y_length, sigma=2) * f.cl
    f.lcl = k.b3(f.y_length) * f.cl
    f.lcl_95 = k.b3(f.y_length, sigma=2) * f.cl
    return f


def _limits_t(f: _Frame) -> _Frame:
    """T chart: I chart of y^(1/3.6), back-transformed with ^3.6. Nelson 1994, Provost 2011.

    As in qicharts2, a user cl is used on the transformed scale, a NaN or negative lcl becomes 0
    and a negative lcl_95 becomes NaN.
    """
    finite = ~np.isnan(f.y)
    bad = finite & (f.y <= 0)
    if bad.any():
        raise ChartDataError("a t chart needs every time between events > 0", int(np.argmax(bad)))
    f.y = f.y ** (1 / k.T_POWER)
    _limits_i(f)
    with np.errstate(invalid="ignore"):
        f.y = f.y**k.T_POWER
        f.cl = f.cl**k.T_POWER
        f.ucl = f.ucl**k.T_POWER
        f.ucl_95 = f.ucl_95**k.T_POWER
        f.lcl = f.lcl**k.T_POWER
        f.lcl_95 = f.lcl_95**k.T_POWER
    f.lcl = np.where(np.isnan(f.lcl) | (f.lcl < 0), 0.0, f.lcl)
    return f


def _pooled_ratio(f: _Frame) -> np.ndarray:
    """Sum of numerators / sum of denominators over B: the weighted centre line of p and u."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return seg_sum(f.y_sum, f.seg, f.nseg, f.base) / seg_sum(f.n, f.seg, f.nseg, f.base)


def _limits_p(f: _Frame) -> _Frame:
    """P chart: cl = pooled proportion, sigma_i = sqrt(cl (1 - cl) / n_i). Montgomery 7.7."""
    f.cl = f.per_row(f.centre(lambda: _pooled_ratio(f)))
    with np.errstate(invalid="ignore", divide="ignore"):
        f.set_limits(np.sqrt(f.cl * (1 - f.cl) / f.n))
    f.cap_upper()
    f.floor_lower()
    return f


def _laney_sigma_z(f: _Frame, sigma: np.ndarray) -> np.ndarray:
    """Between-subgroup inflation sigma_z of the standardised values z_i. Laney 2002.

    z_i = (y_i - cl) / sigma_i over B. Over time: sigma_z = AMR(z) / d2 (screened if the option
    is on); for categorical x (funnel plots) sigma_z = sd(z), NaN if any z is missing.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (f.y - f.cl) / sigma
    if f.categorical:
        bad_z = seg_any(f.base & np.isnan(z), f.seg, f.nseg)
        return np.where(bad_z, np.nan, seg_sd(z, f.seg, f.nseg, f.base))
    amr = seg_amr(z, f.seg, f.nseg, f.base, screened=f.screened, screen=k.MR_SCREEN)
    return amr / k.D2


def _limits_pp(f: _Frame) -> _Frame:
    """Laney P' chart: p-chart sigma_i x sigma_z. Laney 2002."""
    f.cl = f.per_row(f.centre(lambda: _pooled_ratio(f)))
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma = np.sqrt(f.cl * (1 - f.cl) / f.n)
        f.set_limits(sigma * f.per_row(_laney_sigma_z(f, sigma)))
    f.cap_upper()
    f.floor_lower()
    return f


def _limits_c(f: _Frame) -> _Frame:
    """C chart: plots the counts y.sum, cl = mean count, sigma = sqrt(cl). Montgomery 7.17."""
    f.y = f.y_sum.copy()
    f.cl = f.per_row(f.centre(lambda: seg_mean(f.y, f.seg, f.nseg, f.base)))
    with np.errstate(invalid="ignore"):
        f.set_limits(np.sqrt(f.cl))
    f.floor_lower()
    return f


def _limits_u(f: _Frame) -> _Frame:
    """U chart: cl = pooled rate, sigma_i = sqrt(cl / n_i). Montgomery 7.19."""
    f.cl = f.per_row(f.centre(lambda: _pooled_ratio(f)))
    with np.errstate(invalid="ignore", divide="ignore"):
        f.set_limits(np.sqrt(f.cl / f.n))
    f.floor_lower()
    return f


def _limits_up(f: _Frame) -> _Frame:
    """Laney U' chart: u-chart sigma_i x sigma_z; no upper cap. Laney 2002."""
    f.cl = f.per_row(f.centre(lambda: _pooled_ratio(f)))
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma = np.sqrt(f.cl / f.n)
        f.set_limits(sigma * f.per_row(_laney_sigma_z(f, sigma)))
    f.floor_lower()
    return f


def _limits_g(f: _Frame) -> _Frame:
    """G chart: limits from the mean m, sigma = sqrt(m (m + 1)); shown cl = median.

    Montgomery p. 319 (geometric sigma); Provost & Murray 2011 (median centre line). With a user
    cl, the limits use it as the mean and the shown cl is 0.693 x cl.
    """
    mean = f.per_row(f.centre(lambda: seg_mean(f.y, f.seg, f.nseg, f.base)))
    f.cl = mean
    with np.errstate(invalid="ignore"):
        f.set_limits(np.sqrt(mean * (mean + 1)))
        f.lcl = np.where(f.lcl < 0, 0.0, f.lcl)
        f.lcl_95 = np.where(f.lcl_95 < 0, 0.0, f.lcl_95)
    if f.fixed_cl is None:
        f.cl = f.per_row(seg_median(f.y, f.seg, f.nseg, f.base))
    else:
        f.cl = k.G_MEDIAN_FACTOR * mean
    return f


def _limits_ip(f: _Frame) -> _Frame:
    """I' chart for proportions with varying denominators (qicharts2 `ip`).

    cl = sum(y_i n_i) / sum(n_i) over B. The spread uses every row of the part:
    s_j = sqrt(pi / 2) |y_j - y_(j-1)| / sqrt(1 / n_(j-1) + 1 / n_j), screened at 3.2665 x mean,
    and sigma_i = mean(s) sqrt(1 / n_i). No clipping. (After Laney 2002 / Taylor's I' chart.)
    """
    every = _every(f)
    missing_n = ~seg_any(~np.isnan(f.n), f.seg, f.nseg)
    f.n = np.where(f.per_row(missing_n), f.y_length, f.n)  # no denominator: n = subgroup size
    with np.errstate(invalid="ignore", divide="ignore"):
        f.cl = f.per_row(
            f.centre(
                lambda: (
                    seg_sum(f.y * f.n, f.seg, f.nseg, f.base) / seg_sum(f.n, f.seg, f.nseg, f.base)
                )
            )
        )
        diff, dseg, later = lag_diff(f.y, f.seg, every)
        n_now, n_before = f.n[later], f.n[later - 1]
        s = np.sqrt(np.pi / 2) * np.abs(diff) / np.sqrt(1 / n_before + 1 / n_now)
        s_mean = seg_mean(s, dseg, f.nseg, np.ones(s.shape, dtype=bool))
        if f.screened:
            s_mean = seg_mean(s, dseg, f.nseg, s < k.IP_SCREEN * s_mean[dseg])
        f.set_limits(f.per_row(s_mean) * np.sqrt(1 / f.n))
    return f


_CHARTS: dict[str, Callable[[_Frame], _Frame]] = {
    "run": _limits_run,
    "i": _limits_i,
    "mr": _limits_mr,
    "xbar": _limits_xbar,
    "s": _limits_s,
    "t": _limits_t,
    "p": _limits_p,
    "pp": _limits_pp,
    "c": _limits_c,
    "u": _limits_u,
    "up": _limits_up,
    "g": _limits_g,
    "ip": _limits_ip,
}
