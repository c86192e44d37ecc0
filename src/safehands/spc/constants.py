"""Control-chart constants and Anhøj run-test thresholds.

Every constant keeps its textbook name so that the formulas in `_charts` read like the books they
come from. The bias-correction factors are computed from the gamma function rather than read from
a table, so that they are exact for any subgroup size (as qicharts2 does).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

# d2 for subgroups of two: the expected moving range of a unit normal. Montgomery, Table VI.
D2 = 1.128
# D4 for subgroups of two: upper limit of a moving-range chart, 3.267 x MR-bar. Montgomery 6.33.
D4 = 3.267
# Moving ranges at or above D4 x the average moving range are screened out once. Nelson 1982.
MR_SCREEN = D4
# The I' (ip) chart screens its sigma estimates at 3.2665 x their mean, as qicharts2 0.8.1 does.
IP_SCREEN = 3.2665
# The t chart transforms time between events to near normality with y ** (1 / 3.6). Nelson 1994.
T_POWER = 3.6
# With a user-supplied centre line, the g chart shows 0.693 x cl: the theoretical median of a
# geometric distribution with that mean. Provost & Murray 2011, p. 228.
G_MEDIAN_FACTOR = 0.693


def _lgamma(values: np.ndarray) -> np.ndarray:
    return np.array([math.lgamma(v) if np.isfinite(v) else np.nan for v in values.ravel()]).reshape(
        values.shape
    )


def c4(n: np.ndarray) -> np.ndarray:
    """Bias factor of s: c4(n) = sqrt(2 / (n - 1)) G(n / 2) / G((n - 1) / 2). Montgomery 6.2.

    G is the gamma function (through lgamma); NaN when n <= 1.
    """
    n = np.asarray(n, dtype=float)
    n = np.where(n > 1, n, np.nan)
    unique, inverse = np.unique(n, return_inverse=True)  # subgroup sizes repeat: few lgamma calls
    value = np.sqrt(2 / (unique - 1)) * np.exp(_lgamma(unique / 2) - _lgamma((unique - 1) / 2))
    return value[inverse].reshape(n.shape)


def c5(n: np.ndarray) -> np.ndarray:
    """c5(n) = sqrt(1 - c4(n)^2): the standard deviation of s / sigma. Montgomery 6.2."""
    return np.sqrt(1 - c4(n) ** 2)


def a3(n: np.ndarray, sigma: float = 3) -> np.ndarray:
    """A3(n) = k / (c4(n) * sqrt(n)): x-bar limits from s-bar. Montgomery 6.28 (k = 3)."""
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore"):
        return sigma / (c4(n) * np.sqrt(np.where(n > 1, n, np.nan)))


def b3(n: np.ndarray, sigma: float = 3) -> np.ndarray:
    """B3(n) = max(0, 1 - k * c5 / c4): lower s-chart factor. Montgomery 6.27 (k = 3)."""
    return np.fmax(0, 1 - sigma * c5(n) / c4(n)) * np.where(np.isnan(c4(n)), np.nan, 1)


def b4(n: np.ndarray, sigma: float = 3) -> np.ndarray:
    """B4(n) = 1 + k * c5 / c4: upper s-chart factor. Montgomery 6.27 (k = 3)."""
    return 1 + sigma * c5(n) / c4(n)


def longest_run_max(n_useful: np.ndarray) -> np.ndarray:
    """Longest run expected by chance: round(log2(n)) + 3. Schilling 2012, Anhøj 2014.

    log2 of an integer is never exactly x.5, so the rounding convention does not matter.
    """
    n_useful = np.asarray(n_useful, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n_useful > 0, np.round(np.log2(n_useful)) + 3, np.nan)


def n_crossings_min(n_useful: np.ndarray) -> np.ndarray:
    """Fewest crossings expected by chance: qbinom(0.05, n - 1, 0.5). Chen 2010 (7), Anhøj 2014.

    The 5 % quantile of Binomial(n - 1, 1/2): the smallest c with P(X <= c) >= 0.05.
    """
    n_useful = np.asarray(n_useful, dtype=float)
    out = np.full(n_useful.shape, np.nan)
    unique, inverse = np.unique(n_useful, return_inverse=True)
    values = np.array([_qbinom_half(int(v) - 1) if v > 0 else np.nan for v in unique])
    if unique.size:
        out = values[inverse].reshape(n_useful.shape)
    return out


_EXACT_LIMIT = 5000


@lru_cache(maxsize=4096)
def _qbinom_half(m: int) -> int:
    """Smallest c with P(Binomial(m, 1/2) <= c) >= 0.05.

    Exact in integer arithmetic (20 * sum_k C(m, k) >= 2^m) up to m = 5000; above that in log
    space, where the cumulative probability is never within rounding error of 0.05 in practice.
    """
    if m <= 0:
        return 0
    if m <= _EXACT_LIMIT:
        total, term, target = 0, 1, 2**m
        for k in range(m + 1):
            total += term
            if 20 * total >= target:
                return k
            term = term * (m - k) // (k + 1)
        return m
    k = np.arange(m // 2 + 1, dtype=float)
    log_pmf = -m * math.log(2) + np.concatenate(([0.0], np.cumsum(np.log((m - k[:-1]) / (k[1:])))))
    cdf = np.cumsum(np.exp(log_pmf))
    return int(np.searchsorted(cdf, 0.05, side="left"))
