"""The pure GTT rates module: formulas on qicharts2's `gtt` data, Wilson intervals on published
examples, periods, breakdowns, the national estimate, and the u chart against qicharts2."""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from datetime import date

import pytest

from safehands.harm.rates import (
    Event,
    Record,
    Stratum,
    national_estimate,
    p_chart,
    period_key,
    period_start,
    rates,
    rates_by_category,
    u_chart,
    wilson_interval,
)

from ._gtt_data import DATA, gtt_records, gtt_rows


def _expected_by(key_of) -> dict[str, dict[str, float]]:
    """Straight from the CSV columns, without the module: sums per period."""
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in gtt_rows():
        key = key_of(date.fromisoformat(row["discharge_dte"]))
        s = sums[key]
        s["records"] += 1
        s["days"] += float(row["days"])
        s["harms"] += int(row["harms"])
        s["harmed"] += int(row["harms"]) > 0
    return sums


@pytest.mark.parametrize("by,key_of", [
    ("month", lambda d: f"{d.year}-{d.month:02d}"),
    ("tertial", lambda d: f"{d.year}-T{1 if d.month <= 4 else 2 if d.month <= 8 else 3}"),
    ("year", lambda d: str(d.year)),
])
def test_rates_on_qicharts2_gtt_equal_the_formulas(by, key_of):
    expected = _expected_by(key_of)
    rows = rates(gtt_records(), by=by)
    assert [r.period for r in rows] == sorted(expected)
    for row in rows:
        e = expected[row.period]
        assert row.records == e["records"]
        assert row.patient_days == e["days"]
        assert row.adverse_events == e["harms"]
        assert row.records_with_ae == e["harmed"]
        assert row.ae_per_1000_patient_days == pytest.approx(e["harms"] / e["days"] * 1000)
        assert row.ae_per_100_admissions == pytest.approx(e["harms"] / e["records"] * 100)
        assert row.pct_records_with_ae == pytest.approx(e["harmed"] / e["records"] * 100)
        low, high = wilson_interval(int(e["harmed"]), int(e["records"]))
        assert (row.pct_ci_low, row.pct_ci_high) == pytest.approx((low * 100, high * 100))


def test_whole_gtt_data_set_totals():
    rows = rates(gtt_records(), by="year")
    assert sum(r.records for r in rows) == 340
    assert sum(r.adverse_events for r in rows) == 92 + 2 * 18 + 3  # 131 harms
    assert sum(r.records_with_ae for r in rows) == 111


def test_u_chart_equals_qicharts2():
    """qic(month, harms, days, data = gtt, chart = "u", multiply = 1000) in qicharts2 0.8.1."""
    with open(DATA / "gtt_harm_rate__u.csv", newline="") as handle:
        golden = list(csv.DictReader(handle))
    result = u_chart(rates(gtt_records(), by="month")).data
    assert len(result) == len(golden) == 17
    for (_, ours), ref in zip(result.iterrows(), golden, strict=True):
        assert str(ours["x"])[:10] == ref["x"]
        for ours_col, ref_col in [("y", "y"), ("cl", "cl"), ("lcl", "lcl"), ("ucl", "ucl"),
                                  ("n", "n")]:
            assert float(ours[ours_col]) == pytest.approx(float(ref[ref_col]), rel=1e-9)
        assert bool(ours["sigma_signal"]) == (ref["sigma.signal"] == "TRUE")
        assert bool(ours["runs_signal"]) == (ref["runs.signal"] == "TRUE")


def test_p_chart_plots_percent_harmed():
    rows = rates(gtt_records(), by="month")
    data = p_chart(rows).data
    assert [float(v) for v in data["y"]] == pytest.approx([r.pct_records_with_ae for r in rows])
    total = sum(r.records_with_ae for r in rows) / sum(r.records for r in rows) * 100
    assert float(data["cl"].iloc[0]) == pytest.approx(total)


# Newcombe RG, Stat Med 1998;17:857–872, Table I, method 3 (Wilson score, no correction).
@pytest.mark.parametrize("x,n,low,high", [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_interval_matches_newcombe_1998(x, n, low, high):
    assert wilson_interval(x, n) == pytest.approx((low, high), abs=5e-5)


def test_wilson_interval_without_trials_is_nan():
    assert all(math.isnan(v) for v in wilson_interval(0, 0))


def test_wilson_interval_rejects_more_successes_than_trials():
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


@pytest.mark.parametrize("day,by,key", [
    (date(2025, 4, 30), "tertial", "2025-T1"),
    (date(2025, 5, 1), "tertial", "2025-T2"),
    (date(2025, 8, 31), "tertial", "2025-T2"),
    (date(2025, 9, 1), "tertial", "2025-T3"),
    (date(2025, 12, 31), "tertial", "2025-T3"),
    (date(2025, 3, 9), "month", "2025-03"),
    (date(2025, 3, 9), "year", "2025"),
])
def test_period_key(day, by, key):
    assert period_key(day, by) == key


@pytest.mark.parametrize("key,start", [("2025-T2", date(2025, 5, 1)),
                                       ("2025-03", date(2025, 3, 1)), ("2025", date(2025, 1, 1))])
def test_period_start(key, start):
    assert period_start(key) == start


def test_period_key_rejects_unknown_period():
    with pytest.raises(ValueError, match="not a period"):
        period_key(date(2025, 1, 1), "week")


def _record(stay, days, *events):
    return Record(stay, date(2025, 2, 1), days, tuple(Event(*e) for e in events))


def test_rates_by_severity_count_a_stay_in_each_of_its_categories():
    records = [_record("a", 5, ("E", "fall"), ("F", "fall")), _record("b", 5, ("E", "uti")),
               _record("c", 10)]
    rows = {r.category: r for r in rates_by_category(records, by="year", category="severity",
                                                      categories=("E", "F", "G", "H", "I"))}
    assert list(rows) == ["E", "F", "G", "H", "I"]
    assert (rows["E"].adverse_events, rows["E"].records_with_ae) == (2, 2)
    assert rows["F"].pct_records_with_ae == pytest.approx(100 / 3)
    assert rows["G"].records_with_ae == 0 and rows["G"].pct_ci_low == 0
    assert rows["E"].ae_per_1000_patient_days == pytest.approx(2 / 20 * 1000)


def test_rates_by_harm_type_on_gtt():
    rows = rates_by_category(gtt_records(), by="year", category="harm_type")
    infections = sum(r.adverse_events for r in rows if r.category == "Infection")
    expected = sum(1 for row in gtt_rows() for s in "EFGHI" if row[s] == "Infection")
    assert infections == expected > 0


def test_no_records_no_rows():
    assert rates([], by="month") == []


def test_rates_with_zero_patient_days_give_nan_not_an_error():
    (row,) = rates([_record("a", 0)], by="year")
    assert math.isnan(row.ae_per_1000_patient_days)


def test_national_estimate_weights_teams_by_population():
    strata = [Stratum("A", 260, 26, 10_000), Stratum("B", 260, 52, 30_000)]
    est = national_estimate(strata, period="2025")
    # 0.25 × 10% + 0.75 × 20%
    assert est.pct_records_with_ae == pytest.approx(17.5)
    var = sum(w**2 * (1 - n / N) * p * (1 - p) / (n - 1) for w, n, N, p in
              [(0.25, 260, 10_000, 0.1), (0.75, 260, 30_000, 0.2)])
    assert est.standard_error == pytest.approx(math.sqrt(var) * 100)
    p, se = 0.175, math.sqrt(var)
    logit, se_l = math.log(p / (1 - p)), se / (p * (1 - p))
    assert est.pct_ci_low == pytest.approx(100 / (1 + math.exp(-(logit - 1.959964 * se_l))))
    assert est.pct_ci_low < 17.5 < est.pct_ci_high
    assert (est.records, est.records_with_ae, est.population, est.teams) == (520, 78, 40_000, 2)


def test_national_estimate_equal_shares_equal_simple_share():
    est = national_estimate([Stratum("A", 100, 13, 5000), Stratum("B", 200, 26, 5000)])
    assert est.pct_records_with_ae == pytest.approx(13.0)


def test_national_estimate_lists_teams_without_population():
    est = national_estimate([Stratum("A", 100, 13, 5000), Stratum("B", 100, 20, 0)])
    assert est.excluded == ("B",)
    assert est.teams == 1


def test_national_estimate_of_nothing_is_nan():
    assert math.isnan(national_estimate([]).pct_records_with_ae)


def test_national_estimate_shape_resembles_published_2012():
    """47 teams, 11,728 stays reviewed from 593,046 (HDIR 2012): the interval is asymmetric
    around the estimate, as published (13.7, 12.5–15.1)."""
    strata = [Stratum(f"T{i}", 250, 34, 12_618) for i in range(46)] + [
        Stratum("T46", 228, 31, 12_618)]
    est = national_estimate(strata)
    assert est.pct_ci_high - est.pct_records_with_ae > est.pct_records_with_ae - est.pct_ci_low
