"""Load the qicharts2 reference cases in tests/spc/data/golden and run them through qic()."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from safehands.spc import QicResult, qic

DATA = Path(__file__).parent / "data"
# Further cases generated the same way can be checked by pointing this at their folder.
GOLDEN = Path(os.environ.get("SAFEHANDS_SPC_GOLDEN", DATA / "golden"))

# qicharts2 column -> Safehands column
COLUMNS = {
    "part": "part",
    "xx": "xx",
    "y.sum": "y_sum",
    "y.length": "y_count",
    "y.mean": "y_mean",
    "y.sd": "y_sd",
    "n": "n",
    "y": "y",
    "cl": "cl",
    "lcl": "lcl",
    "ucl": "ucl",
    "lcl.95": "lcl_95",
    "ucl.95": "ucl_95",
    "baseline": "baseline",
    "include": "include",
    "n.obs": "n_obs",
    "n.useful": "n_useful",
    "longest.run": "longest_run",
    "longest.run.max": "longest_run_max",
    "n.crossings": "n_crossings",
    "n.crossings.min": "n_crossings_min",
    "runs.signal": "runs_signal",
    "sigma.signal": "sigma_signal",
}
RUNS_COLUMNS = ("runs.signal",)


def manifest() -> dict[str, Any]:
    return json.loads((GOLDEN / "manifest.json").read_text())


def manifest_entries() -> list[dict[str, Any]]:
    return [e for e in manifest()["entries"] if e.get("status", "ok") == "ok"]


def entry_id(entry: dict[str, Any]) -> str:
    return f"{entry['case']}__{entry['chart']}"


def facet_columns(entry: dict[str, Any]) -> list[str]:
    """'hospital ~ infection' -> [hospital, infection] (facet1, facet2); '~ infection' -> [...]."""
    facets = entry["facets"]
    if not facets:
        return []
    return [part.strip() for part in facets.split("~") if part.strip()]


def run_entry(entry: dict[str, Any]) -> QicResult:
    """Call qic() the way the manifest says qicharts2 was called."""
    frame = pd.read_csv(GOLDEN / "inputs" / Path(entry["input_file"]).name, keep_default_na=True)
    for column, levels in entry["factor_levels"].items():
        if column in frame.columns:
            frame[column] = pd.Categorical(frame[column], categories=levels)
    args = entry["args"]
    kwargs: dict[str, Any] = {}
    if "part" in args:
        kwargs["part"] = args["part"]
    if "part" in entry["column_args"]:
        kwargs["part"] = entry["column_args"]["part"]
    for key in ("freeze", "multiply", "cl"):
        if key in args:
            kwargs[key] = args[key]
    if "exclude" in args:
        kwargs["exclude"] = args["exclude"]
    if "agg.fun" in args:
        kwargs["agg"] = args["agg.fun"]
    if "y.neg" in args:
        kwargs["y_neg"] = args["y.neg"]
    return qic(
        frame,
        y=entry["y"],
        n=entry["n"],
        x=entry["x"],
        chart=entry["chart"],
        by=facet_columns(entry),
        screened_mr=entry["options"].get("qic.screenedmr", True),
        **kwargs,
    )


def _key(value: Any) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return repr(float(value))
    text = str(value)
    try:
        return repr(float(text))
    except ValueError:
        return text


def compare(
    entry: dict[str, Any], result: QicResult | pd.DataFrame, rtol: float = 1e-9
) -> list[str]:
    """Differences between qic() (or the CLI's CSV) and the golden file.

    Rows are matched on (facet1, facet2, x).
    """
    golden = pd.read_csv(GOLDEN / Path(entry["file"]).name, keep_default_na=False, dtype=str)
    facets = facet_columns(entry)
    ours = result.data if isinstance(result, QicResult) else result
    keys = pd.DataFrame(
        {
            "facet1": ours[facets[0]].map(str) if facets else "1",
            "facet2": ours[facets[1]].map(str) if len(facets) > 1 else "1",
            "x": ours["x"].map(_key),
        }
    )
    ours_by_key = {tuple(k): i for i, k in enumerate(keys.itertuples(index=False))}
    problems: list[str] = []
    if len(ours) != len(golden):
        problems.append(f"rows: ours {len(ours)}, golden {len(golden)}")
    skip = RUNS_COLUMNS if entry["args"].get("method", "anhoej") != "anhoej" else ()
    for _, row in golden.iterrows():
        key = (row["facet1"], row["facet2"], _key(row["x"]))
        if key not in ours_by_key:
            problems.append(f"missing row {key}")
            continue
        i = ours_by_key[key]
        for g_col, o_col in COLUMNS.items():
            if g_col in skip or o_col not in ours.columns:
                continue
            expected, actual = row[g_col], ours[o_col].iloc[i]
            if not _same(expected, actual, rtol):
                problems.append(f"{key} {g_col}: golden {expected}, ours {actual!r}")
    return problems


def _same(expected: str, actual: Any, rtol: float) -> bool:
    if isinstance(actual, str):  # a cell of the command's CSV output
        actual = {"": None, "true": True, "false": False}.get(actual, actual)
    if expected in ("NA", "NaN"):
        return actual is pd.NA or actual is None or (isinstance(actual, float) and np.isnan(actual))
    if expected in ("TRUE", "FALSE"):
        return bool(actual) == (expected == "TRUE")
    if actual is pd.NA or actual is None:
        return False
    e, a = float(expected), float(actual)
    if np.isnan(a):
        return False
    return e == a or abs(e - a) <= rtol * max(abs(e), abs(a))
