"""The load test's figures beside their targets, from the stats CSV locust wrote.

    python load/report.py STATS_stats.csv [--rps 200] [--p95 300] [--note TEXT]

Prints, per endpoint and for all requests together, the count, failures, requests per
second and the 50th, 95th and 99th percentiles of response time (ms); then each target with
MET or MISSED. Exits 1 when a target is missed. Percentiles are locust's: response times
rounded to two significant figures above 100 ms.
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Row:
    name: str
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float


def _number(text: str) -> float:
    return float(text) if text not in ("", "N/A") else 0.0


def read_stats(path: Path) -> tuple[list[Row], Row]:
    """(one row per endpoint, the row of all requests together)."""
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        for line in csv.DictReader(handle):
            name = line["Name"]  # the locustfile names requests "METHOD /path"
            rows.append(Row(name=name if name != "Aggregated" else "all requests",
                            requests=int(line["Request Count"]),
                            failures=int(line["Failure Count"]), rps=_number(line["Requests/s"]),
                            p50=_number(line["50%"]), p95=_number(line["95%"]),
                            p99=_number(line["99%"])))
    return rows[:-1], rows[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stats", type=Path)
    parser.add_argument("--rps", type=float, default=200.0, help="target requests per second")
    parser.add_argument("--p95", type=float, default=300.0, help="target p95 in ms")
    parser.add_argument("--note", default="", help="a line printed above the figures")
    args = parser.parse_args(argv)
    rows, total = read_stats(args.stats)
    width = max(len(r.name) for r in [*rows, total])
    print(f"\n== load test{': ' + args.note if args.note else ''} ==")
    print(f"{'endpoint':<{width}} {'requests':>9} {'fail':>5} {'req/s':>7} "
          f"{'p50':>6} {'p95':>6} {'p99':>6}")
    for row in [*sorted(rows, key=lambda r: -r.requests), total]:
        print(f"{row.name:<{width}} {row.requests:>9,} {row.failures:>5} {row.rps:>7.1f} "
              f"{row.p50:>6.0f} {row.p95:>6.0f} {row.p99:>6.0f}")
    checks = [
        (f"requests/s {total.rps:.1f} >= {args.rps:g}", total.rps >= args.rps),
        (f"p95 {total.p95:.0f} ms < {args.p95:g} ms", total.p95 < args.p95),
        (f"errors {total.failures} == 0", total.failures == 0),
    ]
    print(f"\nall requests: p50 {total.p50:.0f} ms, p95 {total.p95:.0f} ms, "
          f"p99 {total.p99:.0f} ms, {total.rps:.1f} requests/s, {total.failures} errors "
          f"of {total.requests:,}")
    for text, met in checks:
        print(f"  {'MET   ' if met else 'MISSED'} {text}")
    return 0 if all(met for _, met in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
