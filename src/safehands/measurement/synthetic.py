"""Synthetic but realistic measure data, for the demo and the national-scale benchmark.

Pure NumPy, no Django. Each series has a stable baseline and, when asked, a step
improvement from a given month (as a PDSA change that worked would give). Draws follow the
measure's value type: binomial numerators for proportions (a monthly audit sample), Poisson
events over patient-days for rates, normal times for continuous measures, Poisson counts.
Seeded from the unit and measure codes, so a rerun gives the very same numbers.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from safehands.measurement.rules import format_number


@dataclass(frozen=True)
class Profile:
    """The process behind one measure: baseline level, improved level, and sizes."""

    value_type: str
    baseline: float  # probability, events per denominator unit, or mean value
    improved: float
    size: float  # sample per period, or patient-days per period
    spread: float = 0.0  # sd for continuous values


def profile_for(value_type: str, direction: str, sample_size: int | None = None) -> Profile:
    better_high = direction == "higher_is_better"
    if value_type == "proportion":
        base, good = (0.62, 0.88) if better_high else (0.12, 0.05)
        return Profile(value_type, base, good, float(sample_size or 20))
    if value_type == "rate":
        return Profile(value_type, 0.0065, 0.0035, 950.0)
    if value_type in ("count", "cases_between"):
        return Profile(value_type, 3.0, 1.2 if not better_high else 5.0, 1.0)
    return Profile(value_type, 95.0, 62.0 if not better_high else 120.0, 1.0, spread=14.0)


def _seed(*parts: str) -> int:
    return zlib.crc32("|".join(parts).encode())


def series(
    profile: Profile, *, unit: str, measure: str, count: int, improve_from: int | None,
    unit_factor: float = 1.0,
) -> list[tuple[float | None, float | None, float | None]]:
    """(numerator, denominator, value) for `count` periods; the change starts at
    index `improve_from` (None: no change)."""
    rng = np.random.default_rng(_seed(unit, measure))
    level = np.full(count, profile.baseline)
    if improve_from is not None and improve_from < count:
        # A change takes three months to bed in.
        ramp = np.clip((np.arange(count) - improve_from + 1) / 3, 0, 1)
        level = profile.baseline + (profile.improved - profile.baseline) * ramp
    if profile.value_type == "proportion":
        size = np.maximum(5, rng.poisson(profile.size * unit_factor, count))
        numerator = rng.binomial(size, np.clip(level, 0, 1))
        return [(float(n), float(d), None) for n, d in zip(numerator, size, strict=True)]
    if profile.value_type == "rate":
        days = np.round(rng.normal(profile.size * unit_factor, 60, count).clip(200), 0)
        events = rng.poisson(level * days)
        return [(float(n), float(d), None) for n, d in zip(events, days, strict=True)]
    if profile.value_type in ("count", "cases_between"):
        return [(None, None, float(v)) for v in rng.poisson(level * unit_factor)]
    values = np.round(rng.normal(level, profile.spread).clip(1), 1)
    return [(None, None, float(v)) for v in values]


def csv_rows(
    *, unit: str, measure: str, period_keys: Sequence[str],
    values: Sequence[tuple[float | None, float | None, float | None]],
) -> list[str]:
    return [f"{unit},{measure},{key},{format_number(n)},{format_number(d)},"
            f"{format_number(v)},\n" for key, (n, d, v) in zip(period_keys, values, strict=True)]
