"""Benchmark of the SPC engine (`make bench`): prints measured figures, asserts nothing.

1. 100,000 series x 36 points through the batch API (p chart and run chart);
2. one series of 1,000,000 points (i chart);
3. the `safehands spc` command on a 3.6-million-row CSV (100,000 series x 36 months, p chart),
   timed as a subprocess, from interpreter start-up to exit. A fresh process touches all its
   memory for the first time, which is part of the cost; the load average just before the run
   is printed beside it, as this figure moves most with other work on the machine.

For comparison: qicharts2 needs about 25 ms per 36-point series (24.9 s for 1,000 P charts,
measured on a 2-core machine). Targets: (1) under 1 s, (2) under 1 s, (3) under 5 s.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from safehands.spc import qic

QICHARTS2_SECONDS_PER_SERIES = 24.9 / 1000
SERIES, POINTS = 100_000, 36


def _timed(label: str, work: Callable[[], object], *, repeat: int = 3) -> float:
    """Best of `repeat` runs after one warm-up run (first-call costs are printed too).

    CPU seconds are printed beside wall seconds: on a shared machine they vary less.
    """
    start = time.perf_counter()
    work()
    first = time.perf_counter() - start
    walls, cpus = [], []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    best = min(walls)
    print(
        f"{label}: best {best:.3f} s of {repeat} (CPU {min(cpus):.3f} s; first call {first:.3f} s)"
    )
    return best


def _panel(rng: np.random.Generator) -> pd.DataFrame:
    """100,000 units x 36 months of counts out of varying denominators.

    Units are integer ids, as a dashboard passes them from the database; the command reads
    the same ids from the CSV as text.
    """
    n = rng.integers(50, 400, SERIES * POINTS)
    rate = np.repeat(rng.uniform(0.02, 0.2, SERIES), POINTS)
    return pd.DataFrame(
        {
            "unit": np.repeat(np.arange(1, SERIES + 1), POINTS),
            "month": np.tile(pd.date_range("2022-01-01", periods=POINTS, freq="MS"), SERIES),
            "events": rng.binomial(n, rate),
            "cases": n,
        }
    )


def _series_rate(seconds: float, series: int) -> str:
    per_series = seconds / series
    speedup = QICHARTS2_SECONDS_PER_SERIES / per_series
    return f"{series / seconds:,.0f} series/s, {speedup:,.0f}x qicharts2 (25 ms/series)"


def main() -> None:
    rng = np.random.default_rng(2024)
    panel = _panel(rng)
    print(f"SPC benchmark on {SERIES:,} series x {POINTS} points ({len(panel):,} rows)")
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load} (figures are wall time unless stated)")

    for chart in ("p", "run"):
        seconds = _timed(
            f"API {chart} chart, {SERIES:,} x {POINTS}",
            lambda chart=chart: qic(
                panel, y="events", n="cases", x="month", by="unit", chart=chart
            ),
        )
        print(f"  {_series_rate(seconds, SERIES)}; target < 1 s")

    long = pd.DataFrame({"x": np.arange(1_000_000), "y": rng.normal(100, 10, 1_000_000)})
    seconds = _timed(
        "API i chart, one series of 1,000,000 points", lambda: qic(long, y="y", x="x", chart="i")
    )
    print(f"  {1_000_000 / seconds:,.0f} points/s; target < 1 s")

    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "panel.csv", Path(tmp) / "out.csv"
        panel.assign(month=panel["month"].dt.strftime("%Y-%m-%d")).to_csv(source, index=False)
        command = [
            sys.executable,
            "-c",
            "from safehands.cli.main import cli; cli()",
            "spc",
            str(source),
            "--chart",
            "p",
            "--y",
            "events",
            "--n",
            "cases",
            "--x",
            "month",
            "--by",
            "unit",
            "--out",
            str(target),
        ]
        load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, check=True)
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        size = source.stat().st_size / 1e6
        print(
            f"CLI p chart on {len(panel):,} rows ({size:.0f} MB CSV in, "
            f"{target.stat().st_size / 1e6:.0f} MB out): {seconds:.2f} s "
            f"(CPU {cpu:.2f} s; load average before {load}); target < 5 s"
        )
        print(f"  {_series_rate(seconds, SERIES)}")


if __name__ == "__main__":
    main()
