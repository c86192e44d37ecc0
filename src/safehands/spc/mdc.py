"""Making Data Count: one summary row per series and part, with variation and assurance.

NHS England's "Making Data Count" (2019, 2021) reads every chart into two icons: *variation*
(common cause, or special cause that is an improvement or a concern, given the direction of
improvement) and *assurance* (will the process consistently meet a target, consistently fail it,
or hit and miss?). The exact rules used here are in docs/spc.md; in short:

Variation, per part, describes the latest point, as the Making Data Count icons do:
- the latest included point is special cause when it lies outside the 3-sigma limits (above
  the upper limit: high, below the lower: low) or when the run it belongs to is longer than the
  Anhøj limit for the part (a shift still going on: above the centre line high, below low);
- otherwise "common_cause" — an earlier shift that has ended does not colour the icon (the
  part's `runs_signal` still reports it); with direction "higher", high is
  "special_cause_improvement" and
  low "special_cause_concern" (the reverse for "lower"); without a direction,
  "special_cause_neither".

Assurance, per part, from the limits of its last subgroup (target in plotted units):
- direction "higher": lcl > target "consistently_meets", ucl < target "consistently_fails",
  otherwise "hit_and_miss"; "lower" the mirror image;
- no target, no direction or no limits (run chart, too few points): missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from safehands.spc._runs import runs_analysis

if TYPE_CHECKING:
    from safehands.spc._engine import QicResult

SUMMARY_COLUMNS: tuple[str, ...] = (
    "part",
    "n_points",
    "first_x",
    "last_x",
    "cl",
    "lcl",
    "ucl",
    "n_obs",
    "n_useful",
    "longest_run",
    "longest_run_max",
    "n_crossings",
    "n_crossings_min",
    "runs_signal",
    "sigma_signals",
    "signal_side",
    "variation",
    "assurance",
)


def summarise(result: QicResult) -> pd.DataFrame:
    """One row per series and part (series keys first), in (series, part) order."""
    data = result.data
    keys = [*result.by, "part"]
    nrows = len(data)
    same = np.ones(nrows, dtype=bool)  # rows are in (series, part, x) order
    for column in keys:
        now, before = data[column].iloc[1:].reset_index(drop=True), data[column].iloc[:-1]
        before = before.reset_index(drop=True)
        equal = now.eq(before) | (now.isna() & before.isna())
        same[1:] &= equal.to_numpy(dtype=bool)
    new = ~same
    new[:1] = True
    seg = np.cumsum(new) - 1
    nseg = int(seg[-1]) + 1 if nrows else 0
    first = np.flatnonzero(new)
    last = np.append(first[1:], nrows) - 1

    y = data["y"].to_numpy(dtype=float)
    cl = data["cl"].to_numpy(dtype=float)
    lcl = data["lcl"].to_numpy(dtype=float, na_value=np.nan)
    ucl = data["ucl"].to_numpy(dtype=float, na_value=np.nan)
    include = data["include"].to_numpy(dtype=bool)
    outside = data["sigma_signal"].to_numpy(dtype=bool) & include
    runs_signal = data["runs_signal"].to_numpy(dtype=bool)

    # The latest included point with a value, per segment: is it outside the limits?
    position = np.arange(nrows)
    valid = include & ~np.isnan(y)
    latest = np.full(nseg, -1)
    np.maximum.at(latest, seg[valid], position[valid])
    at = np.maximum(latest, 0)
    with np.errstate(invalid="ignore"):
        sigma_side = np.where(
            (latest >= 0) & outside[at], np.where(y[at] > ucl[at], 1, -1), 0
        )
    # Is it in a run longer than the Anhøj limit (the runs analysis again, on plotted values)?
    runs = runs_analysis(y, cl, include, seg, nseg)
    run_signal = runs_signal[first]
    in_shift = runs.last_run_length > runs.longest_run_max
    side = np.where(sigma_side != 0, sigma_side, np.where(in_shift, runs.last_run_side, 0))
    side = side.astype(int)

    variation = _variation(side, result.direction)
    assurance = _assurance(lcl[last], ucl[last], result.target, result.direction)

    out = {column: data[column].to_numpy()[first] for column in result.by}
    count = data["sigma_signal"].to_numpy(dtype=bool)
    out.update(
        part=data["part"].to_numpy()[first],
        n_points=last - first + 1,
        first_x=data["x"].to_numpy()[first],
        last_x=data["x"].to_numpy()[last],
        cl=cl[last],
        lcl=lcl[last],
        ucl=ucl[last],
        n_obs=data["n_obs"].array[first],
        n_useful=data["n_useful"].array[first],
        longest_run=data["longest_run"].array[first],
        longest_run_max=data["longest_run_max"].array[first],
        n_crossings=data["n_crossings"].array[first],
        n_crossings_min=data["n_crossings_min"].array[first],
        runs_signal=run_signal,
        sigma_signals=np.bincount(seg[count], minlength=nseg),
        signal_side=np.select([side > 0, side < 0], ["high", "low"], default=None),
        variation=variation,
        assurance=assurance,
    )
    return pd.DataFrame(out)


def _variation(side: np.ndarray, direction: str | None) -> np.ndarray:
    if direction is None:
        special = np.full(side.shape, "special_cause_neither", dtype=object)
    else:
        good = 1 if direction == "higher" else -1
        special = np.where(
            side == good, "special_cause_improvement", "special_cause_concern"
        ).astype(object)
    return np.where(side == 0, "common_cause", special).astype(object)


def _assurance(
    lcl: np.ndarray, ucl: np.ndarray, target: float | None, direction: str | None
) -> np.ndarray:
    out = np.full(lcl.shape, None, dtype=object)
    if target is None or direction is None:
        return out
    known = ~np.isnan(lcl) & ~np.isnan(ucl)
    above, below = lcl > target, ucl < target  # the whole process is above / below the target
    meets, fails = (above, below) if direction == "higher" else (below, above)
    out[known] = "hit_and_miss"
    out[known & meets] = "consistently_meets"
    out[known & fails] = "consistently_fails"
    return out
