"""The `qic()` front door: from a long table to centre lines, limits and signals for every series.

One implementation serves one series and a hundred thousand: the table is sorted by (series, x),
aggregated per subgroup with segment reductions, split into facet x part segments and handed to the
chart function of `_charts._CHARTS`, which works on all segments at once. A single series is a
batch of one. The steps follow qicharts2 0.8.1 `qic()` (QICHARTS2_METHODS.md §1-2), which says
what it aggregates; so do we, in the docs and in `QicResult.data`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from safehands.spc._charts import _CHARTS, ChartDataError, _Frame
from safehands.spc._runs import runs_analysis
from safehands.spc._segments import seg_mean, seg_median, seg_sd, seg_sum
from safehands.spc.errors import SpcInputError

Chart = Literal["run", "i", "mr", "xbar", "s", "t", "p", "pp", "c", "u", "up", "g", "ip"]
Agg = Literal["mean", "median", "sum", "sd"]
Direction = Literal["higher", "lower"]

CHARTS: tuple[str, ...] = get_args(Chart)
AGGS: tuple[str, ...] = get_args(Agg)

# Charts whose y is a count of events: negative values are an error.
_COUNT_CHARTS = frozenset({"p", "pp", "c", "u", "up", "g"})
# Charts that need a denominator.
_RATIO_CHARTS = frozenset({"p", "pp", "u", "up"})
# Charts of proportions: the numerator cannot exceed the denominator.
_PROPORTION_CHARTS = frozenset({"p", "pp"})

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Column order of QicResult.data after the series keys.
DATA_COLUMNS: tuple[str, ...] = (
    "part",
    "xx",
    "x",
    "y_sum",
    "y_count",
    "y_mean",
    "y_sd",
    "n",
    "y",
    "cl",
    "lcl",
    "ucl",
    "lcl_95",
    "ucl_95",
    "target",
    "baseline",
    "include",
    "n_obs",
    "n_useful",
    "longest_run",
    "longest_run_max",
    "n_crossings",
    "n_crossings_min",
    "runs_signal",
    "sigma_signal",
)


@dataclass(frozen=True)
class QicResult:
    """Computed chart(s): `.data` has one row per series and subgroup, in (series, x) order."""

    data: pd.DataFrame
    chart: str
    by: tuple[str, ...]
    x_kind: Literal["position", "number", "date", "category"]
    multiply: float
    target: float | None
    direction: str | None

    def series(self) -> pd.DataFrame:
        """The distinct series keys, one row per series (one row, no columns, without `by`)."""
        if not self.by:
            return pd.DataFrame(index=range(1 if len(self.data) else 0))
        return self.data[list(self.by)].drop_duplicates().reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        """One row per series and part, with the Making Data Count variation and assurance."""
        from safehands.spc.mdc import summarise

        return summarise(self)


def qic(
    data: Any = None,
    *,
    y: str | Sequence[float] | np.ndarray,
    n: str | Sequence[float] | np.ndarray | None = None,
    x: str | Sequence[Any] | np.ndarray | None = None,
    chart: Chart = "run",
    by: str | Sequence[str] = (),
    part: str | int | Sequence[int] | None = None,
    freeze: int | None = None,
    exclude: int | Sequence[int] = (),
    multiply: float = 1,
    cl: float | None = None,
    agg: Agg = "mean",
    y_neg: bool = True,
    screened_mr: bool = True,
    target: float | None = None,
    direction: Direction | None = None,
) -> QicResult:
    """Compute a statistical process control chart for every series of a table.

    data: a pandas or polars DataFrame, a mapping of column name to values, or None when y, n
        and x are given as arrays.
    y, n, x: column names (or arrays). Without x, points are numbered 1..N within each series.
        Without n, several rows per subgroup are aggregated with `agg`; with n, y = sum(y)/sum(n).
    chart: one of CHARTS.
    by: key column(s); each distinct key is a separate series (qicharts2 facets).
    part: phase break positions (1-based subgroup positions: part=12 starts phase 2 at subgroup
        13), or the name of a column of phase labels.
    freeze: the centre line and limits come from subgroups 1..freeze; ignored when part is given.
    exclude: 1-based subgroup positions left out of the centre line, limits and runs analysis.
    multiply: factor applied to y and the lines (e.g. 100 for percent).
    cl: a fixed centre line (limits still come from the data).
    agg: aggregation of several rows per subgroup without n.
    y_neg: False sets negative lower limits to 0 when no y is negative (per series).
    screened_mr: drop moving ranges >= 3.267 x average once (Nelson 1982); qicharts2 default.
    target, direction: for the Making Data Count summary ("higher" or "lower" is better).
    """
    _check_choice("chart", chart, CHARTS)
    _check_choice("agg", agg, AGGS)
    if direction is not None:
        _check_choice("direction", direction, ("higher", "lower"))
    multiply = _finite_number("multiply", multiply)
    fixed_cl = None if cl is None else _finite_number("cl", cl)
    target = None if target is None else _finite_number("target", target)
    freeze = None if freeze is None else _position("freeze", freeze)
    exclude_at = _positions("exclude", exclude)
    by_cols = (by,) if isinstance(by, str) else tuple(by)
    for name in by_cols:
        if name in DATA_COLUMNS:
            raise SpcInputError(f"series key column '{name}' has the name of a result column")

    table = _load(data, y=y, n=n, x=x, by=by_cols, part=part, chart=chart)
    sub = _aggregate(table.sid, table.x_codes, table.y, table.n, agg)
    xx = _position_in_sorted(sub["sid"]) + 1  # 1-based position within the series
    if table.part_labels is not None:
        part_no = _parts_from_labels(table, sub["sid"], xx)
        has_part = True
    else:
        breaks = np.unique([p for p in table.part_positions if p >= 1])
        part_no = 1 + np.searchsorted(breaks, xx - 1, side="right")
        has_part = len(table.part_positions) > 0
    # freeze is ignored when part is given (QICHARTS2_METHODS §2)
    baseline = xx <= freeze if freeze is not None and not has_part else np.ones(xx.size, bool)
    include = ~np.isin(xx, np.asarray(exclude_at, dtype=np.int64))
    seg, nseg = _segments(sub["sid"], part_no)

    frame = _Frame(
        seg=seg,
        nseg=nseg,
        y=sub["y"],
        y_sum=sub["y_sum"],
        y_length=sub["y_length"],
        y_mean=sub["y_mean"],
        y_sd=sub["y_sd"],
        n=sub["n"],
        base=baseline & include,
        categorical=table.x_kind == "category",
        screened=screened_mr,
        fixed_cl=fixed_cl,
    )
    try:
        frame = _CHARTS[chart](frame)
    except ChartDataError as err:
        raise SpcInputError(
            f"{err} (column '{table.y_name}'): y = {sub['y'][err.row]!r} at x = "
            f"{_x_label(table.x_values, sub['x'][err.row])}"
        ) from None
    runs = runs_analysis(frame.y, frame.cl, include, seg, nseg)

    columns: dict[str, Any] = {
        name: _key_column(values, codes[sub["sid"]])
        for name, (codes, values) in zip(by_cols, table.key_values, strict=True)
    }
    x_out = (_key_column if table.x_kind == "category" else _take)(table.x_values, sub["x"])
    columns.update(part=part_no.astype(np.int64), xx=xx.astype(np.int64), x=x_out)
    columns.update(
        _lines(frame, sub, runs, multiply=multiply, chart=chart, x_kind=table.x_kind, y_neg=y_neg)
    )
    columns["target"] = np.full(xx.size, np.nan if target is None else target)
    columns.update(baseline=baseline, include=include)
    rows = np.bincount(seg, minlength=nseg)
    columns.update({name: _int_or_na(getattr(runs, name), rows) for name in _RUNS_COUNTS})
    ordered = {name: columns[name] for name in (*by_cols, *DATA_COLUMNS)}
    return QicResult(
        data=pd.DataFrame(ordered, copy=False),
        chart=chart,
        by=by_cols,
        x_kind=table.x_kind,
        multiply=multiply,
        target=target,
        direction=direction,
    )


_RUNS_COUNTS = (
    "n_obs",
    "n_useful",
    "longest_run",
    "longest_run_max",
    "n_crossings",
    "n_crossings_min",
)


def _segments(sid: np.ndarray, part_no: np.ndarray) -> tuple[np.ndarray, int]:
    """Segment id per subgroup: one segment per series x part (rows are in that order)."""
    new = np.ones(sid.size, dtype=bool)
    new[1:] = (sid[1:] != sid[:-1]) | (part_no[1:] != part_no[:-1])
    seg = np.cumsum(new) - 1
    return seg, int(seg[-1]) + 1 if seg.size else 0


def _lines(
    f: _Frame,
    sub: dict[str, np.ndarray],
    runs: Any,
    *,
    multiply: float,
    chart: str,
    x_kind: str,
    y_neg: bool,
) -> dict[str, Any]:
    """Values, lines and signals, as qicharts2 finishes them (QICHARTS2_METHODS §1.8-12)."""
    scale = (lambda v: v) if multiply == 1 else (lambda v: v * multiply)
    y = scale(f.y)
    out: dict[str, Any] = {
        "y_sum": sub["y_sum"],
        "y_count": sub["y_length"].astype(np.int64),
        "y_mean": sub["y_mean"],
        "y_sd": sub["y_sd"],
        "n": f.n,
        "y": y,
        "cl": scale(f.cl),
    }
    for name in ("lcl", "ucl", "lcl_95", "ucl_95"):
        v = scale(getattr(f, name))
        if np.isinf(v).any():
            v = np.where(np.isinf(v), np.nan, v)  # non-finite limits become NA
        out[name] = v
    with np.errstate(invalid="ignore"):
        out["sigma_signal"] = (y > out["ucl"]) | (y < out["lcl"])  # strict; NA is no signal
    out["runs_signal"] = runs.runs_signal[f.seg]
    if chart == "mr" or x_kind == "category":
        out["runs_signal"] = np.zeros(y.size, dtype=bool)  # no runs signal for MR, categories
    if not y_neg:
        _floor_lower_limits(out, y, sub["sid"])
    return out


@dataclass(frozen=True)
class _Table:
    """The input rows as arrays: series id, x code, y, n; rows with a missing x dropped."""

    sid: np.ndarray
    x_codes: np.ndarray
    y: np.ndarray
    n: np.ndarray | None
    y_name: str
    x_values: Any  # sorted distinct x values, indexed by x code
    x_kind: Literal["position", "number", "date", "category"]
    key_values: list[tuple[np.ndarray, Any]]  # per key column: (code per series, values)
    part_labels: Any
    part_positions: tuple[int, ...]


def _load(
    data: Any,
    *,
    y: Any,
    n: Any,
    x: Any,
    by: tuple[str, ...],
    part: Any,
    chart: str,
) -> _Table:
    """Columns to arrays, checked: unknown columns, non-numeric values, impossible counts."""
    frame = _as_frame(data)
    nrows = _row_count(frame, y)
    y_name, y_arr = _numeric_column(frame, y, "y", nrows)
    n_arr = None if n is None else _numeric_column(frame, n, "n", nrows)[1]
    n_name = None if n is None else (n if isinstance(n, str) else "n")
    keys = [_column(frame, c, nrows) for c in by]
    part_labels = None
    part_positions: tuple[int, ...] = ()
    if isinstance(part, str):
        part_labels = _column(frame, part, nrows)
    elif part is not None:
        values = (part,) if isinstance(part, int | np.integer) else tuple(part)
        for p in values:
            if isinstance(p, bool) or not isinstance(p, int | np.integer):
                raise SpcInputError(f"part must be whole subgroup positions, got {p!r}")
        part_positions = tuple(int(p) for p in values)
    _check_values(chart, y_name, y_arr, n_name, n_arr)

    x_raw = None if x is None else _column(frame, x, nrows)
    x_codes, x_values, x_kind = _encode_x(x_raw, x if isinstance(x, str) else "x")
    sid, key_values = _encode_keys(keys, nrows)
    if x_codes is None:  # no x: number the points 1..N within each series, in input order
        x_codes = _position_in_group(sid)
        x_values = np.arange(1, int(x_codes.max(initial=-1)) + 2)

    keep = x_codes >= 0  # rows with a missing x are dropped (qicharts2 does the same)
    if not keep.all():
        sid, x_codes, y_arr = sid[keep], x_codes[keep], y_arr[keep]
        n_arr = None if n_arr is None else n_arr[keep]
        part_labels = None if part_labels is None else np.asarray(part_labels, dtype=object)[keep]
    if n_arr is not None:  # a missing numerator or denominator makes the pair missing
        pair_missing = np.isnan(y_arr) | np.isnan(n_arr)
        if pair_missing.any():
            y_arr = np.where(pair_missing, np.nan, y_arr)
            n_arr = np.where(pair_missing, np.nan, n_arr)
    return _Table(
        sid=sid,
        x_codes=x_codes,
        y=y_arr,
        n=n_arr,
        y_name=y_name,
        x_values=x_values,
        x_kind=x_kind,
        key_values=key_values,
        part_labels=part_labels,
        part_positions=part_positions,
    )


# --- input ---------------------------------------------------------------------------------


def _check_choice(name: str, value: object, choices: Sequence[str]) -> None:
    if value not in choices:
        raise SpcInputError(f"{name} must be one of {', '.join(choices)}; got {value!r}")


def _finite_number(name: str, value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SpcInputError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(number):
        raise SpcInputError(f"{name} must be a finite number, got {value!r}")
    return number


def _positions(name: str, values: object) -> tuple[int, ...]:
    if isinstance(values, int | np.integer):
        return (_position(name, values),)
    return tuple(_position(name, v) for v in values)  # type: ignore[attr-defined]


def _position(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise SpcInputError(f"{name} must be a 1-based subgroup position, got {value!r}")
    return int(value)


def _as_frame(data: Any) -> pd.DataFrame | None:
    """pandas as is; polars through .to_pandas() (imported only if installed); mappings."""
    if data is None or isinstance(data, pd.DataFrame):
        return data
    module = type(data).__module__
    if module.startswith("polars"):
        try:
            return data.to_pandas()
        except ImportError:  # polars needs pyarrow for to_pandas(); columns via NumPy do not
            return pd.DataFrame({name: data[name].to_numpy() for name in data.columns})
    if isinstance(data, Mapping):
        return pd.DataFrame(dict(data))
    raise SpcInputError(
        f"data must be a pandas or polars DataFrame or a mapping, got {type(data).__name__}"
    )


def _row_count(frame: pd.DataFrame | None, y: object) -> int:
    if frame is not None:
        return len(frame)
    if isinstance(y, str):
        raise SpcInputError(f"column '{y}' given by name but no data")
    return len(np.asarray(y))


def _column(frame: pd.DataFrame | None, ref: Any, nrows: int) -> np.ndarray | pd.Series:
    """A column by name, or an array given directly (must have one value per row)."""
    if isinstance(ref, str):
        if frame is None:
            raise SpcInputError(f"column '{ref}' given by name but no data")
        if ref not in frame.columns:
            available = ", ".join(str(c) for c in frame.columns)
            raise SpcInputError(f"unknown column '{ref}' (columns: {available})")
        return frame[ref]
    values = pd.Series(ref) if not isinstance(ref, pd.Series) else ref.reset_index(drop=True)
    if len(values) != nrows:
        raise SpcInputError(f"got {len(values)} values where the data has {nrows} rows")
    return values


def _numeric_column(
    frame: pd.DataFrame | None, ref: Any, role: str, nrows: int
) -> tuple[str, np.ndarray]:
    """The column as float64, or an error naming the first non-numeric or infinite value."""
    name = ref if isinstance(ref, str) else role
    col = pd.Series(_column(frame, ref, nrows), copy=False)
    if pd.api.types.is_bool_dtype(col.dtype):
        col = col.astype(float)
    if pd.api.types.is_numeric_dtype(col.dtype):
        values = col.to_numpy(dtype=float, na_value=np.nan)
    else:
        stripped = col.astype("string").str.strip()
        values = pd.to_numeric(stripped, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = np.isnan(values) & stripped.notna().to_numpy() & (stripped != "").to_numpy()
        if bad.any():
            row = int(np.argmax(bad))
            raise SpcInputError(
                f"non-numeric value {col.iloc[row]!r} in row {row + 1} of column '{name}'"
            )
    infinite = np.isinf(values)
    if infinite.any():
        row = int(np.argmax(infinite))
        raise SpcInputError(f"infinite value in row {row + 1} of column '{name}'")
    return name, values


def _check_values(
    chart: str, y_name: str, y: np.ndarray, n_name: str | None, n: np.ndarray | None
) -> None:
    """Reject values the chart cannot mean: never a silent wrong number."""
    with np.errstate(invalid="ignore"):
        if chart in _COUNT_CHARTS:
            bad = y < 0
            if bad.any():
                row = int(np.argmax(bad))
                raise SpcInputError(
                    f"negative count {y[row]:g} in row {row + 1} of column '{y_name}' "
                    f"({chart} chart)"
                )
        if chart == "t":
            bad = y <= 0
            if bad.any():
                row = int(np.argmax(bad))
                raise SpcInputError(
                    f"a t chart needs every time between events > 0: {y[row]:g} in row "
                    f"{row + 1} of column '{y_name}'"
                )
        if chart in _RATIO_CHARTS and n is None:
            raise SpcInputError(f"a {chart} chart needs a denominator column (n)")
        if n is not None:
            bad = n < 0
            if bad.any():
                row = int(np.argmax(bad))
                raise SpcInputError(
                    f"negative denominator {n[row]:g} in row {row + 1} of column '{n_name}'"
                )
            if chart in _PROPORTION_CHARTS:
                bad = y > n
                if bad.any():
                    row = int(np.argmax(bad))
                    raise SpcInputError(
                        f"numerator {y[row]:g} (column '{y_name}') above denominator "
                        f"{n[row]:g} (column '{n_name}') in row {row + 1} ({chart} chart)"
                    )


def _encode_x(
    raw: pd.Series | np.ndarray | None, name: str
) -> tuple[np.ndarray | None, Any, Literal["position", "number", "date", "category"]]:
    """Codes in sorted x order (-1 for missing), the sorted distinct values, and the x kind.

    Numbers and dates sort ascending; categoricals in level order; text by code point (C
    collation). Text that is all ISO dates (YYYY-MM-DD) is read as dates.
    """
    if raw is None:
        return None, None, "position"
    col = pd.Series(raw, copy=False)
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy().astype(np.int64)
        return codes, np.asarray(col.cat.categories, dtype=object), "category"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        if getattr(dtype, "tz", None) is not None:
            col = col.dt.tz_convert("UTC").dt.tz_localize(None)
        stamps = col.to_numpy()
        codes, uniques = pd.factorize(stamps.view(np.int64))  # NaT is the smallest int64
        codes, order = _sorted_codes(codes, uniques)
        dates = uniques.view(stamps.dtype)[order]
        if dates.size and np.isnat(dates[0]):  # missing dates: code -1, dropped later
            codes = codes - 1
            dates = dates[1:]
        return codes, pd.DatetimeIndex(dates), "date"
    if pd.api.types.is_bool_dtype(dtype):
        codes, uniques = pd.factorize(col, sort=True)
        return codes.astype(np.int64), np.asarray(uniques, dtype=object), "category"
    if pd.api.types.is_numeric_dtype(dtype):
        values = col.to_numpy(dtype=float, na_value=np.nan)
        if np.isinf(values).any():
            row = int(np.argmax(np.isinf(values)))
            raise SpcInputError(f"infinite value in row {row + 1} of column '{name}'")
        codes, uniques = pd.factorize(col, sort=True)
        return codes.astype(np.int64), np.asarray(uniques), "number"
    # Text: work on the distinct values only (a long table repeats a few dozen x values).
    codes, uniques = pd.factorize(col.to_numpy(dtype=object))
    texts = [str(u) for u in uniques]
    if texts and all(_ISO_DATE.match(t) for t in texts):
        dates = pd.to_datetime(pd.Series(texts), format="%Y-%m-%d", errors="coerce")
        if dates.isna().any():
            bad_code = int(np.flatnonzero(dates.isna().to_numpy())[0])
            row = int(np.argmax(codes == bad_code))
            raise SpcInputError(
                f"invalid date {col.iloc[row]!r} in row {row + 1} of column '{name}'"
            )
        codes, order = _sorted_codes(codes, dates.to_numpy())
        return codes, pd.DatetimeIndex(dates.to_numpy()[order]), "date"
    codes, order = _sorted_codes(codes, np.asarray(texts, dtype=object))  # code point order
    return codes, np.asarray(texts, dtype=object)[order], "category"


def _sorted_codes(codes: np.ndarray, uniques: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Renumber factorize() codes so that they follow the sorted order of the uniques."""
    order = np.argsort(uniques, kind="stable")
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    codes = np.asarray(codes, dtype=np.int64)
    return np.where(codes >= 0, rank[np.maximum(codes, 0)], -1), order


def _encode_keys(keys: list[Any], nrows: int) -> tuple[np.ndarray, list[tuple[np.ndarray, Any]]]:
    """Series id per row (in sorted key order) and, per key column, (code per series, values)."""
    if not keys:
        return np.zeros(nrows, dtype=np.int64), []
    codes_list, uniques_list = [], []
    for key in keys:
        col = pd.Series(key, copy=False)
        if isinstance(col.dtype, pd.CategoricalDtype):
            codes, uniques = pd.factorize(col, sort=True, use_na_sentinel=False)
        else:  # hash first, then sort the (few) distinct keys: much faster than sort=True
            codes, uniques = pd.factorize(col.to_numpy())
            uniques = np.asarray(uniques)
            if (codes < 0).any():  # missing keys form a series of their own, sorted last
                codes = np.where(codes < 0, uniques.size, codes)
                uniques = np.append(uniques.astype(object), None)
            missing = pd.isna(uniques)
            present = uniques[~missing]
            try:
                by_value = np.argsort(present, kind="stable")
            except TypeError:  # mixed types (say numbers and text): order by their text
                by_value = np.argsort(present.astype(str), kind="stable")
            order = np.concatenate((np.flatnonzero(~missing)[by_value], np.flatnonzero(missing)))
            rank = np.empty(order.size, dtype=np.int64)
            rank[order] = np.arange(order.size)
            codes, uniques = rank[codes], uniques[order]
        codes_list.append(codes.astype(np.int64))
        uniques_list.append(uniques)
    sizes = [len(u) for u in uniques_list]
    combinations = int(np.prod(np.array(sizes, dtype=float)))
    if combinations <= 4 * nrows + 1024:  # dense key space: number the combinations in use
        combined = np.zeros(nrows, dtype=np.int64)
        for codes, size in zip(codes_list, sizes, strict=True):
            combined = combined * size + codes
        in_use = np.flatnonzero(np.bincount(combined, minlength=combinations))
        remap = np.full(combinations, -1, dtype=np.int64)
        remap[in_use] = np.arange(in_use.size)
        sid = remap[combined]
        series_codes = []
        for size in reversed(sizes):  # decode the combination back into its key codes
            series_codes.append(in_use % size)
            in_use = in_use // size
        series_codes.reverse()
    else:
        stacked = np.stack(codes_list[::-1])  # lexsort: last row is the primary key
        order = np.lexsort(stacked)
        sorted_codes = np.stack(codes_list)[:, order]
        new = np.ones(nrows, dtype=bool)
        new[1:] = (sorted_codes[:, 1:] != sorted_codes[:, :-1]).any(axis=0)
        sid = np.empty(nrows, dtype=np.int64)
        sid[order] = np.cumsum(new) - 1
        first = order[new]
        series_codes = [c[first] for c in codes_list]
    return sid, [(series_codes[i], _values_of(uniques_list[i])) for i in range(len(keys))]


def _values_of(uniques: Any) -> Any:
    if isinstance(uniques, pd.Categorical | pd.CategoricalIndex):
        return np.asarray(uniques, dtype=object)
    return uniques


def _key_column(values: Any, codes: np.ndarray) -> Any:
    """Series keys and categorical x as a pandas Categorical: no per-row objects to build.

    Text values keep their sorted order as the category order; a missing key has code -1.
    """
    values = np.asarray(values, dtype=object)
    missing = pd.isna(values)
    if missing.any():
        remap = np.where(missing, -1, np.cumsum(~missing) - 1)
        codes, values = remap[codes], values[~missing]
    try:
        return pd.Categorical.from_codes(codes, categories=pd.Index(values, dtype=object))
    except (TypeError, ValueError):  # unhashable or duplicate-looking keys: plain objects
        return _take(values, codes)


def _take(values: Any, codes: np.ndarray) -> Any:
    if isinstance(values, pd.Index):
        return values.take(codes)
    return np.asarray(values).take(codes)


def _position_in_sorted(sid: np.ndarray) -> np.ndarray:
    """0-based position of each row within its run of equal (sorted) ids."""
    new = np.ones(sid.size, dtype=bool)
    new[1:] = sid[1:] != sid[:-1]
    start = np.flatnonzero(new)
    return np.arange(sid.size) - np.repeat(start, np.diff(np.append(start, sid.size)))


def _position_in_group(sid: np.ndarray) -> np.ndarray:
    """0-based position of each row within its series, in input order."""
    order = np.argsort(sid, kind="stable")
    pos = np.empty(sid.size, dtype=np.int64)
    pos[order] = _position_in_sorted(sid[order])
    return pos


def _x_label(values: Any, code: int) -> str:
    value = _take(values, np.array([code]))[0]
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)


# --- aggregation and phases ----------------------------------------------------------------


def _aggregate(
    sid: np.ndarray, xc: np.ndarray, y: np.ndarray, n: np.ndarray | None, agg: str
) -> dict[str, np.ndarray]:
    """One row per (series, x), sorted; the qicharts2 subgroup summary (QICHARTS2_METHODS §1.4)."""
    nx = int(xc.max(initial=0)) + 1
    key = sid * nx + xc
    if not (key.size and np.all(key[1:] > key[:-1])):  # unless sorted, one row per subgroup
        order = np.argsort(key, kind="stable")
        key, y, sid, xc = key[order], y[order], sid[order], xc[order]
        n = None if n is None else n[order]
    new = np.ones(key.size, dtype=bool)
    new[1:] = key[1:] != key[:-1]
    valid = ~np.isnan(y)
    if new.all():  # one raw row per subgroup
        y_sum = y.copy()
        y_length = valid.astype(float)
        y_mean = y.copy()
        y_sd = np.full(y.size, np.nan)
        nansum_y = np.where(valid, y, 0.0)
        n_sum = None if n is None else np.where(np.isnan(n), 0.0, n)
        median = y
    else:
        start = np.flatnonzero(new)
        sid, xc = sid[start], xc[start]
        group = np.cumsum(new) - 1
        ng = start.size
        rows = np.diff(np.append(start, key.size))
        every = np.ones(key.size, dtype=bool)
        y_length = np.bincount(group, weights=valid, minlength=ng)
        nansum_y = seg_sum(y, group, ng, every)
        y_sum = np.where((rows == 1) & (y_length == 0), np.nan, nansum_y)  # one NA row stays NA
        y_mean = seg_mean(y, group, ng, every)
        y_sd = seg_sd(y, group, ng, every)
        n_sum = None if n is None else seg_sum(n, group, ng, every)
        median = seg_median(y, group, ng, every) if agg == "median" else None
    with np.errstate(invalid="ignore", divide="ignore"):
        if n_sum is not None:
            y_plot = nansum_y / n_sum  # sum(y) / sum(n); a missing pair gives 0/0 = NaN
        elif agg == "mean":
            y_plot = y_mean
        elif agg == "median":
            y_plot = median
        elif agg == "sum":
            y_plot = nansum_y  # an empty subgroup sums to 0, as in R
        else:
            y_plot = y_sd
    return {
        "sid": sid,
        "x": xc,
        "y": np.asarray(y_plot, dtype=float),
        "y_sum": y_sum,
        "y_length": y_length,
        "y_mean": y_mean,
        "y_sd": y_sd,
        "n": np.full(sid.size, np.nan) if n_sum is None else n_sum,
    }


def _parts_from_labels(table: _Table, sub_sid: np.ndarray, xx: np.ndarray) -> np.ndarray:
    """Phase numbers from a label column, per series, the qicharts2 way (QICHARTS2_METHODS §2).

    One label per distinct x (its first row in input order); a phase starts at the first
    occurrence of each new label. A label that comes back does not start a new phase. The
    positions are counted in input order and applied to the sorted subgroups, as qicharts2 does.
    """
    sid, xc = table.sid, table.x_codes
    label_codes, _ = pd.factorize(pd.Series(table.part_labels, copy=False), use_na_sentinel=False)
    nx = int(xc.max(initial=0)) + 1
    _, first_row = np.unique(sid * nx + xc, return_index=True)
    first_row = np.sort(first_row)  # distinct (series, x) in input order
    f_sid, f_label = sid[first_row], label_codes[first_row].astype(np.int64)
    order = np.argsort(f_sid, kind="stable")
    f_sid, f_label = f_sid[order], f_label[order]
    rank = np.arange(f_sid.size) - np.searchsorted(f_sid, f_sid, side="left")
    nl = int(f_label.max(initial=0)) + 1
    _, first_of_label = np.unique(f_sid * nl + f_label, return_index=True)
    starts = first_of_label[rank[first_of_label] > 0]
    width = int(xx.max(initial=0)) + 1
    break_key = np.sort(f_sid[starts] * width + rank[starts])
    pos = sub_sid * width + (xx - 1)
    return (
        1
        + np.searchsorted(break_key, pos, side="right")
        - np.searchsorted(break_key, sub_sid * width, side="left")
    )


def _floor_lower_limits(limits: dict[str, Any], y: np.ndarray, sub_sid: np.ndarray) -> None:
    """y_neg = False: negative lower limits become 0 in series whose y are all >= 0."""
    nseries = int(sub_sid.max(initial=-1)) + 1
    with np.errstate(invalid="ignore"):
        negative = np.bincount(sub_sid[y < 0], minlength=nseries) > 0
        has_y = np.bincount(sub_sid[~np.isnan(y)], minlength=nseries) > 0
        floor = (has_y & ~negative)[sub_sid]
        for name in ("lcl", "lcl_95"):
            v = limits[name]
            limits[name] = np.where(floor & (v < 0), 0.0, v)


def _int_or_na(per_segment: np.ndarray, rows: np.ndarray) -> pd.arrays.IntegerArray:
    """A per-segment count spread over its `rows` (per segment), as a nullable integer column."""
    missing = np.isnan(per_segment)
    values = np.where(missing, 0, per_segment).astype(np.int64)
    total = int(rows.sum())
    mask = np.repeat(missing, rows) if missing.any() else np.zeros(total, dtype=bool)
    return pd.arrays.IntegerArray(np.repeat(values, rows), mask)
