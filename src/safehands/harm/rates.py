"""Global Trigger Tool harm rates: pure Python, no Django.

The three standard GTT measures (IHI white paper, Griffin & Resar 2009; PROGRAMME_FACTS §2.6):

- adverse events per 1000 patient-days = AEs / patient-days of the reviewed stays × 1000;
- adverse events per 100 admissions   = AEs / reviewed stays × 100;
- % of admissions with ≥ 1 AE         = stays with ≥ 1 AE / reviewed stays × 100, with a
  Wilson score 95% confidence interval.

A record belongs to the period of its discharge date (month ``2025-03``, tertial ``2025-T1``
for January–April, ``2025-T2`` May–August, ``2025-T3`` September–December, year ``2025``).

Breakdowns by severity (E–I) and by harm type count, per category, the adverse events of that
category and the stays with at least one of them. A stay with harms of two categories counts
in both, so the shares add up to more than the total share of stays harmed, as in the
Norwegian annual reports (2020: F 7.6%, E 5.5%, G 0.65%, H 0.30%, I 0.15% against 13.1% of
stays harmed).

The national estimate weights each team's share of harmed stays by its population size (the
number of eligible stays it sampled from): a stratified estimate with the teams as strata.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Period = Literal["month", "tertial", "year"]
PERIODS: tuple[str, ...] = ("month", "tertial", "year")
SEVERITIES: tuple[str, ...] = ("E", "F", "G", "H", "I")

# Two-sided 95%: the 0.975 quantile of the standard normal distribution.
Z_95 = 1.959963984540054

PERIOD_UNKNOWN = "'{value}' is not a period; use month, tertial or year."
SEVERITY_UNKNOWN = "'{value}' is not a GTT severity; use one of E, F, G, H, I."


@dataclass(frozen=True)
class Event:
    """One confirmed adverse event (categories A–D are not harm and never reach here)."""

    severity: str
    harm_type: str = "other"


@dataclass(frozen=True)
class Record:
    """One reviewed stay: its discharge date, patient-days and confirmed adverse events."""

    stay_id: str
    discharge_date: date
    patient_days: float
    events: tuple[Event, ...] = ()


@dataclass(frozen=True)
class RateRow:
    """The GTT measures for one period (and, in breakdowns, one category)."""

    period: str
    records: int
    patient_days: float
    adverse_events: int
    records_with_ae: int
    ae_per_1000_patient_days: float
    ae_per_100_admissions: float
    pct_records_with_ae: float
    pct_ci_low: float
    pct_ci_high: float
    category: str = ""

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


RATE_COLUMNS: tuple[str, ...] = (
    "period", "records", "patient_days", "adverse_events", "records_with_ae",
    "ae_per_1000_patient_days", "ae_per_100_admissions", "pct_records_with_ae",
    "pct_ci_low", "pct_ci_high",
)


def csv_cell(value: object) -> str:
    """How RATES.csv writes a value: NaN (undefined) empty, whole floats without `.0`, other
    floats as the shortest decimal that round-trips (Python `repr`)."""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def period_key(day: date, by: str) -> str:
    """The canonical key of the period holding `day`."""
    if by == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if by == "tertial":
        return f"{day.year:04d}-T{(day.month - 1) // 4 + 1}"
    if by == "year":
        return f"{day.year:04d}"
    raise ValueError(PERIOD_UNKNOWN.format(value=by))


def period_start(key: str) -> date:
    """The first day of a period key (for plotting on a time axis)."""
    if len(key) == 4:
        return date(int(key), 1, 1)
    year, rest = key.split("-")
    if rest.startswith("T"):
        return date(int(year), (int(rest[1:]) - 1) * 4 + 1, 1)
    return date(int(year), int(rest), 1)


def wilson_interval(successes: int, trials: int, *, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion, as proportions (0..1).

    Wilson EB. Probable inference, the law of succession, and statistical inference.
    JASA 1927;22:209–212; Newcombe RG. Two-sided confidence intervals for the single
    proportion: comparison of seven methods. Stat Med 1998;17:857–872, method 3:

        (2np + z² ± z·sqrt(z² + 4np(1 − p))) / (2(n + z²))

    NaN for no trials.
    """
    if trials <= 0:
        return (math.nan, math.nan)
    if not 0 <= successes <= trials:
        raise ValueError("successes must lie between 0 and the number of trials")
    n = float(trials)
    p = successes / n
    z2 = z * z
    centre = 2 * n * p + z2
    half = z * math.sqrt(z2 + 4 * n * p * (1 - p))
    denominator = 2 * (n + z2)
    low = 0.0 if successes == 0 else (centre - half) / denominator
    high = 1.0 if successes == trials else (centre + half) / denominator
    return (low, high)


def _ratio(numerator: float, denominator: float, multiplier: float) -> float:
    return numerator / denominator * multiplier if denominator else math.nan


def _row(period: str, records: Sequence[Record], counts: Sequence[int],
         category: str = "") -> RateRow:
    """The measures for `records`, `counts` holding each record's number of adverse events."""
    n = len(records)
    days = float(sum(r.patient_days for r in records))
    aes = sum(counts)
    harmed = sum(1 for c in counts if c > 0)
    low, high = wilson_interval(harmed, n)
    return RateRow(
        period=period, records=n, patient_days=days, adverse_events=aes,
        records_with_ae=harmed,
        ae_per_1000_patient_days=_ratio(aes, days, 1000),
        ae_per_100_admissions=_ratio(aes, n, 100),
        pct_records_with_ae=_ratio(harmed, n, 100),
        pct_ci_low=low * 100, pct_ci_high=high * 100, category=category,
    )


def _group(records: Iterable[Record], by: str) -> dict[str, list[Record]]:
    groups: dict[str, list[Record]] = {}
    for record in records:
        groups.setdefault(period_key(record.discharge_date, by), []).append(record)
    return dict(sorted(groups.items()))


def rates(records: Iterable[Record], *, by: str = "month") -> list[RateRow]:
    """One row per period that has reviewed records, in period order."""
    return [_row(key, group, [len(r.events) for r in group]) for key, group in
            _group(records, by).items()]


def rates_by_category(
    records: Iterable[Record], *, by: str = "year",
    category: Literal["severity", "harm_type"] = "severity",
    categories: Sequence[str] = (),
) -> list[RateRow]:
    """One row per period and category: AEs of that category and stays with ≥ 1 of them.

    `categories` lists the categories to report even when empty (e.g. E–I); categories met in
    the data are added after them.
    """
    if category not in ("severity", "harm_type"):
        raise ValueError(f"unknown category {category!r}")
    rows = []
    for key, group in _group(records, by).items():
        seen = list(categories)
        per_record: list[dict[str, int]] = []
        for record in group:
            counts: dict[str, int] = {}
            for event in record.events:
                value = getattr(event, category)
                counts[value] = counts.get(value, 0) + 1
                if value not in seen:
                    seen.append(value)
            per_record.append(counts)
        for value in seen:
            rows.append(_row(key, group, [c.get(value, 0) for c in per_record],
                             category=value))
    return rows


# --- National estimate --------------------------------------------------------------------

@dataclass(frozen=True)
class Stratum:
    """One team's year: stays reviewed, stays with ≥ 1 AE, and its population size."""

    team: str
    reviewed: int
    harmed: int
    population: int


@dataclass(frozen=True)
class NationalEstimate:
    period: str
    pct_records_with_ae: float
    pct_ci_low: float
    pct_ci_high: float
    standard_error: float
    records: int
    records_with_ae: int
    population: int
    teams: int
    excluded: tuple[str, ...] = field(default=())


def national_estimate(strata: Sequence[Stratum], *, period: str = "",
                      z: float = Z_95) -> NationalEstimate:
    """Population-weighted share of stays harmed, with a 95% confidence interval.

    Each team h is a stratum with population N_h (eligible stays), n_h reviewed stays and
    share p_h harmed; W_h = N_h / ΣN. Stratified random sampling, Cochran WG, *Sampling
    Techniques*, 3rd ed., Wiley 1977, §5.8, eqs. 5.24–5.26:

        p_st = Σ W_h p_h
        v(p_st) = Σ W_h² (1 − f_h) p_h (1 − p_h) / (n_h − 1),   f_h = n_h / N_h

    The interval is computed on the logit scale (delta method: se_logit = se / (p(1 − p))) and
    transformed back, so it stays inside 0–100% and is asymmetric like the published
    national intervals. Teams with no population size or fewer than two reviewed stays
    cannot enter the variance and are listed in `excluded`.
    """
    used = [s for s in strata if s.population > 0 and s.reviewed >= 2]
    excluded = tuple(s.team for s in strata if s not in used)
    total = sum(s.population for s in used)
    if not used or total == 0:
        return NationalEstimate(period, math.nan, math.nan, math.nan, math.nan, 0, 0, 0, 0,
                                excluded)
    p_st = 0.0
    variance = 0.0
    for s in used:
        weight = s.population / total
        p_h = s.harmed / s.reviewed
        fpc = max(0.0, 1 - s.reviewed / s.population)
        p_st += weight * p_h
        variance += weight ** 2 * fpc * p_h * (1 - p_h) / (s.reviewed - 1)
    se = math.sqrt(variance)
    if 0 < p_st < 1:
        logit = math.log(p_st / (1 - p_st))
        se_logit = se / (p_st * (1 - p_st))
        low = 1 / (1 + math.exp(-(logit - z * se_logit)))
        high = 1 / (1 + math.exp(-(logit + z * se_logit)))
    else:
        low, high = p_st, p_st
    return NationalEstimate(
        period=period, pct_records_with_ae=p_st * 100, pct_ci_low=low * 100,
        pct_ci_high=high * 100, standard_error=se * 100,
        records=sum(s.reviewed for s in used), records_with_ae=sum(s.harmed for s in used),
        population=total, teams=len(used), excluded=excluded,
    )


# --- Charts -------------------------------------------------------------------------------

def u_chart(rows: Sequence[RateRow]):  # -> safehands.spc.QicResult
    """u chart of adverse events per 1000 patient-days, one subgroup per period.

    Same numbers as qicharts2's `qic(month, harms, days, chart = "u", multiply = 1000)` on the
    reviewed records: qic sums numerators and denominators per subgroup, as we do here.
    """
    from safehands.spc import qic

    return qic(
        {"x": [period_start(r.period) for r in rows],
         "y": [r.adverse_events for r in rows],
         "n": [r.patient_days for r in rows]},
        x="x", y="y", n="n", chart="u", multiply=1000,
    )


def p_chart(rows: Sequence[RateRow]):  # -> safehands.spc.QicResult
    """p chart of the percentage of reviewed stays with ≥ 1 adverse event."""
    from safehands.spc import qic

    return qic(
        {"x": [period_start(r.period) for r in rows],
         "y": [r.records_with_ae for r in rows],
         "n": [r.records for r in rows]},
        x="x", y="y", n="n", chart="p", multiply=100,
    )
