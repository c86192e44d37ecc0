"""Speed of survey scoring: a national SAQ round scored per unit with protection.

Prints figures; no pass/fail. Run: .venv/bin/python bench/bench_culture.py
"""

from __future__ import annotations

import random
import time

from safehands.culture.instruments import packaged_spec
from safehands.culture.scoring import score_groups


def main() -> None:
    spec = packaged_spec("saq")
    rng = random.Random(1)
    codes = list(spec.items)
    for units, per_unit in ((100, 20), (1000, 20), (5000, 20)):
        groups = {
            f"U{u}": [{c: rng.randint(1, 5) for c in codes} for _ in range(per_unit)]
            for u in range(units)
        }
        groups["ALL"] = [a for g in list(groups.values()) for a in g]
        start = time.perf_counter()
        results = score_groups(groups, spec, children={"ALL": [g for g in groups if g != "ALL"]})
        seconds = time.perf_counter() - start
        print(
            f"saq: {units} units x {per_unit} respondents: {len(results)} cells "
            f"in {seconds:.2f} s ({units * per_unit / seconds:,.0f} respondents/s)"
        )


if __name__ == "__main__":
    main()
