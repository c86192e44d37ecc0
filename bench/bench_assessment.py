"""Speed of self-assessment scoring: parse RATINGS.csv and score it, as `safehands assessment
score` does, for teams of growing size (a national batch of many teams in one file).

Prints figures; no pass/fail. Run: .venv/bin/python bench/bench_assessment.py
"""

from __future__ import annotations

import io
import random
import time

from safehands.assessment.instruments import read_instruments
from safehands.assessment.scoring import ratings_read, score, scores_csv


def main() -> None:
    bundle = read_instruments()
    instrument = bundle.instrument("safer-together")
    codes = [e.code for e in instrument.elements]
    areas = [
        (a.code, [e.code for e in instrument.elements if e.area == a.code])
        for a in bundle.areas[instrument.code]
    ]
    rng = random.Random(1)
    for raters in (10, 1_000, 20_000):
        out = io.StringIO()
        out.write("rater,element,rating\n")
        for r in range(raters):
            for code in codes:
                out.write(f"r{r},{code},{rng.choice(['1', '2', '3', '4', 'unsure'])}\n")
        text = out.getvalue()
        start = time.perf_counter()
        ratings = ratings_read(text, elements=codes, instrument=instrument.code)
        parsed = time.perf_counter()
        scores_csv(score(ratings, areas=areas))
        done = time.perf_counter()
        print(
            f"safer-together: {raters} raters x {len(codes)} elements = {len(ratings):,} "
            f"ratings: read {parsed - start:.2f} s, scored {done - parsed:.2f} s "
            f"({len(ratings) / (done - start):,.0f} ratings/s)"
        )


if __name__ == "__main__":
    main()
