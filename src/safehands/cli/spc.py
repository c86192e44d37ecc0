"""`safehands spc`: compute control charts from a CSV file, without Django or a database.

The command parses options, calls `safehands.spc.qic()` once for every series of the file and
writes one row per series and subgroup. The output format is a contract used by external checks:
missing values are empty cells, booleans `true`/`false`, dates ISO `YYYY-MM-DD`, numbers the
shortest decimal that round-trips (Python `repr(float)`), written without `.0` when whole.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
import numpy as np
import pandas as pd

from safehands.spc import AGGS, CHARTS, DATA_COLUMNS, QicResult, SpcInputError, qic

# The engine's columns less its position (`xx`) and target, which the CSV contract leaves out.
OUTPUT_COLUMNS: tuple[str, ...] = tuple(c for c in DATA_COLUMNS if c not in ("xx", "target"))
PLOT_SUFFIXES = (".svg", ".png", ".pdf")


def _positions(option: str, text: str | None) -> tuple[int, ...]:
    """'12,24' -> (12, 24); a clear error for anything that is not a whole number."""
    if text is None or not text.strip():
        return ()
    values = []
    for item in text.split(","):
        item = item.strip()
        try:
            value = int(item)
        except ValueError:
            raise click.BadParameter(
                f"expected whole subgroup positions like 12,24; got {item!r}", param_hint=option
            ) from None
        if value < 0:
            raise click.BadParameter(f"positions are 1-based, got {value}", param_hint=option)
        values.append(value)
    return tuple(values)


@click.command(name="spc")
@click.argument("input_csv", metavar="INPUT.csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--chart", type=click.Choice(CHARTS), default="run", show_default=True)
@click.option("--y", "y_col", required=True, metavar="COL", help="Values (numerator).")
@click.option("--n", "n_col", metavar="COL", help="Denominator.")
@click.option("--x", "x_col", metavar="COL", help="Subgroup: ISO date, number or category.")
@click.option("--by", "by_cols", multiple=True, metavar="COL", help="Series key; repeatable.")
@click.option("--part", "part_text", metavar="N,N,...", help="Phase breaks (1-based positions).")
@click.option("--part-column", metavar="COL", help="Column of phase labels.")
@click.option("--freeze", type=click.IntRange(min=0), help="Baseline: subgroups 1..N.")
@click.option("--exclude", "exclude_text", metavar="I,J,...", help="Subgroups left out.")
@click.option("--multiply", type=float, default=1, show_default=True)
@click.option("--cl", "cl_value", type=float, help="Fixed centre line.")
@click.option("--agg", type=click.Choice(AGGS), default="mean", show_default=True)
@click.option("--y-neg/--no-y-neg", default=True, show_default=True)
@click.option("--screened-mr/--no-screened-mr", default=True, show_default=True)
@click.option(
    "--out", "out_path", required=True, metavar="OUT.csv", type=click.Path(path_type=Path)
)
@click.option("--plot", "plot_path", metavar="OUT.svg|.png|.pdf", type=click.Path(path_type=Path))
def spc(
    input_csv: Path,
    chart: str,
    y_col: str,
    n_col: str | None,
    x_col: str | None,
    by_cols: Sequence[str],
    part_text: str | None,
    part_column: str | None,
    freeze: int | None,
    exclude_text: str | None,
    multiply: float,
    cl_value: float | None,
    agg: str,
    y_neg: bool,
    screened_mr: bool,
    out_path: Path,
    plot_path: Path | None,
) -> None:
    """Compute SPC charts (qicharts2 methods) for every series of INPUT.csv.

    Positions (--part, --freeze, --exclude) are 1-based subgroup positions after sorting by x, as
    in qicharts2. Writes one row per series and subgroup to --out.
    """
    if part_text and part_column:
        raise click.UsageError("give --part or --part-column, not both")
    if plot_path is not None and plot_path.suffix.lower() not in PLOT_SUFFIXES:
        raise click.BadParameter("must end in .svg, .png or .pdf", param_hint="--plot")
    part: Any = part_column if part_column else (_positions("--part", part_text) or None)
    exclude = _positions("--exclude", exclude_text)
    _small_pages()

    frame = read_input(
        input_csv,
        [y_col, n_col, x_col, *by_cols, part_column],
        {*by_cols, *([part_column] if part_column else [])},
        x_column=x_col,
    )
    try:
        result = qic(
            frame,
            y=y_col,
            n=n_col,
            x=x_col,
            chart=chart,  # type: ignore[arg-type]
            by=tuple(by_cols),
            part=part,
            freeze=freeze,
            exclude=exclude,
            multiply=multiply,
            cl=cl_value,
            agg=agg,  # type: ignore[arg-type]
            y_neg=y_neg,
            screened_mr=screened_mr,
        )
    except SpcInputError as err:
        raise click.ClickException(f"{input_csv}: {err}") from None

    try:
        write_csv(result, out_path)
    except OSError as err:
        raise click.ClickException(f"cannot write {out_path}: {err.strerror or err}") from None
    if plot_path is not None:
        _write_plot(result, plot_path, by_cols)


def _small_pages() -> None:
    """Let numpy take ordinary 4 KiB pages for its arrays, not transparent huge pages.

    The command touches about 1 GB of fresh arrays once. On the virtual machines we measured
    (the 2-core development VM returns freed memory to its host), a fresh huge page costs about
    2 s per GB to fault in against 0.4 s for small pages: with huge pages the 3.6-million-row
    bench took ~1 s more CPU. NUMPY_MADVISE_HUGEPAGE, when set, still decides.
    """
    if "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        return
    switch = getattr(getattr(np, "_core", None), "multiarray", None)
    if hasattr(switch, "_set_madvise_hugepage"):
        switch._set_madvise_hugepage(False)


def read_input(
    path: Path, columns: Sequence[str | None], text_columns: set[str], *, x_column: str | None
) -> pd.DataFrame:
    """Read the CSV; series keys and phase labels stay text ('007' is not 7).

    x is parsed as a categorical, so that only its distinct values are examined: numbers or ISO
    dates when all of them are, text otherwise. Every column is parsed, so that a ragged line is
    an error rather than silently shifted values.
    """
    wanted = list(dict.fromkeys(c for c in columns if c))
    try:
        header = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
    except FileNotFoundError:
        raise click.ClickException(f"{path}: no such file") from None
    except IsADirectoryError:
        raise click.ClickException(f"{path}: is a directory") from None
    except (pd.errors.EmptyDataError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise click.ClickException(f"{path}: not a readable CSV file ({err})") from None
    for column in wanted:
        if column not in header:
            available = ", ".join(map(str, header))
            raise click.ClickException(f"{path}: unknown column '{column}' (columns: {available})")
    dtypes: dict[str, Any] = {c: str for c in wanted if c in text_columns}
    if x_column and x_column not in text_columns:
        dtypes[x_column] = "category"
    try:
        frame = pd.read_csv(
            path,
            dtype=dtypes,
            encoding="utf-8-sig",
            low_memory=False,
        )
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as err:
        message = str(err).strip().splitlines()[-1]
        raise click.ClickException(f"{path}: not a readable CSV file ({message})") from None
    frame = frame[wanted]
    if x_column and x_column not in text_columns:
        frame[x_column] = _typed_x(path, x_column, frame[x_column])
    return frame


_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"


def _typed_x(path: Path, name: str, column: pd.Series) -> Any:
    """x as numbers or ISO dates when all its distinct values are; otherwise text."""
    categories = column.cat.categories
    codes = column.cat.codes.to_numpy()
    text = pd.Series(categories.astype(str), dtype=object)
    numbers = pd.to_numeric(text.str.strip(), errors="coerce")
    if len(text) and numbers.notna().all():
        return np.append(numbers.to_numpy(dtype=float), np.nan)[codes]  # code -1: missing
    if len(text) and text.str.fullmatch(_ISO_DATE).all():
        dates = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
        if dates.isna().any():
            bad = int(np.flatnonzero(dates.isna().to_numpy())[0])
            row = int(np.argmax(codes == bad))
            raise click.ClickException(
                f"{path}: invalid date {text[bad]!r} in row {row + 1} of column '{name}'"
            )
        return np.append(dates.to_numpy(), np.datetime64("NaT"))[codes]
    return column


def _write_plot(result: QicResult, path: Path, by_cols: Sequence[str]) -> None:
    from safehands.spc.plot import render

    series = result.series()
    if len(series) > 1:
        raise click.ClickException(
            f"--plot draws one series, but --by {', '.join(by_cols)} gives {len(series)}"
        )
    try:
        path.write_bytes(render(result, fmt=path.suffix.lower().lstrip(".")))
    except OSError as err:
        raise click.ClickException(f"cannot write {path}: {err.strerror or err}") from None


# --- CSV formatting ------------------------------------------------------------------------
#
# Dashboards export millions of rows, and Python's float repr costs ~0.6 us a value. polars (a
# runtime dependency) does the work with its Rust float formatting (the same shortest
# round-trip digits) and CSV writer. The plain Python writer gives byte-identical output but
# made the whole 3.6-million-row command take about 28 s instead of under 5 s. It stays as the
# reference the tests compare polars with, and for a machine where polars cannot load (its
# default wheel needs a CPU with AVX2): there the command says so on stderr rather than
# slowing down in silence. polars writes 500,000 rows at a time: a chunk's text stays in memory
# the process has already touched, which costs less than formatting whole columns at once
# (measured on the 3.6-million-row bench).

SLOW_WRITER_WARNING = (
    "warning: polars could not be loaded ({reason}); writing the CSV with the plain Python "
    "writer, which gives the same bytes several times slower. Reinstall safehands "
    "(pip install --force-reinstall polars, or polars-lts-cpu on an older CPU) to restore it."
)


def _polars_missing() -> str | None:
    """Why polars cannot be used here, or None when it can."""
    try:
        import polars  # noqa: F401
    except ImportError as err:
        return str(err) or "not installed"
    return None


def write_csv(result: QicResult, path: Path, *, fast: bool | None = None) -> None:
    """Write the output CSV: the --by columns, then OUTPUT_COLUMNS, one row per subgroup."""
    names = [*result.by, *OUTPUT_COLUMNS]
    if fast is None:
        reason = _polars_missing()
        fast = reason is None
        if not fast:
            click.echo(SLOW_WRITER_WARNING.format(reason=reason), err=True)
    if fast:
        _csv_polars(result.data, names, path)
    else:
        path.write_bytes(_csv_plain(result.data, names))


def _quote(text: str) -> str:
    if "," in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _float_text(value: float) -> str:
    """Shortest round-trip text: '' for NaN, whole numbers without '.0', else repr()."""
    if value != value:
        return ""
    if value.is_integer() and abs(value) < WHOLE_LIMIT:
        return str(int(value))
    return repr(value)


WHOLE_LIMIT = 1e15  # whole numbers below this print as integers; above, repr() is shorter


def _text(value: Any) -> str:
    if type(value) is str:
        return _quote(value)
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float | np.floating):
        return _float_text(float(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    return _quote(str(value))


def _csv_plain(data: pd.DataFrame, names: list[str]) -> bytes:
    columns = []
    for name in names:
        column = data[name]
        codes, uniques = pd.factorize(column, use_na_sentinel=False)
        texts = np.array([_text(u) for u in uniques.tolist()] or [""], dtype=object)
        columns.append(texts[codes].tolist())
    lines = [",".join(_quote(n) for n in names)]
    lines.extend(map(",".join, zip(*columns, strict=True)))
    return ("\n".join(lines) + "\n").encode()


CHUNK_ROWS = 500_000  # rows formatted and written at a time


def _csv_polars(data: pd.DataFrame, names: list[str], path: Path) -> None:
    import polars as pl

    floats = {
        n: data[n].to_numpy(dtype=float, na_value=np.nan)
        for n in names
        if pd.api.types.is_float_dtype(data[n].dtype)
    }
    # Series keys, text x and dates repeat: each distinct value is formatted once, then spread.
    lookups = {n: _distinct_texts(pl, data[n]) for n in names if _repeats(data[n].dtype)}
    with path.open("wb") as out:
        out.write((",".join(_quote(n) for n in names) + "\n").encode())
        for start in range(0, len(data), CHUNK_ROWS):
            stop = start + CHUNK_ROWS
            columns = []
            for n in names:
                if n in floats:
                    columns.append(_polars_floats(pl, n, floats[n][start:stop]))
                elif n in lookups:
                    codes, texts = lookups[n]
                    chunk = pl.Series(codes[start:stop])
                    columns.append(texts.gather(chunk.set(chunk < 0, None)).alias(n))
                else:
                    columns.append(_polars_column(pl, n, data[n].iloc[start:stop]))
            # Text was quoted by _text(); numbers, dates and booleans never need quotes.
            pl.DataFrame(columns).write_csv(
                out, include_header=False, null_value="", quote_style="never"
            )


def _repeats(dtype: Any) -> bool:
    return isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_datetime64_any_dtype(dtype)


def _distinct_texts(pl: Any, column: pd.Series) -> tuple[np.ndarray, Any]:
    """Code per row (-1: missing) and the text of each distinct value, formatted once."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes, uniques = column.cat.codes.to_numpy(), column.cat.categories.tolist()
    else:
        codes, uniques = pd.factorize(column)
        uniques = uniques.tolist()
    texts = pl.Series([_text(u) or None for u in uniques], dtype=pl.String)
    return codes.astype(np.int64, copy=False), texts


def _polars_column(pl: Any, name: str, column: pd.Series) -> Any:
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
        return pl.Series(name, column.to_numpy(dtype=bool, na_value=False))
    if pd.api.types.is_integer_dtype(dtype):
        missing = column.isna().to_numpy()
        values = pl.Series(name, column.to_numpy(dtype=np.int64, na_value=0))
        if missing.any():
            values = values.scatter(np.flatnonzero(missing), None)
        return values
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    texts = [_text(u) or None for u in uniques.tolist()]  # missing: null, an empty cell
    return pl.Series(name, texts or [None], dtype=pl.String).gather(codes).alias(name)


def _polars_floats(pl: Any, name: str, values: np.ndarray) -> Any:
    """Floats printed by the _float_text() rules: NaN empty, whole numbers as integers.

    polars' own CSV digits for a float are repr()'s, except for whole numbers ('12.0') and for
    0 < |v| < 1e-4 ('0.00001' where repr() gives '1e-05'). A column without either is written
    as floats; a column of whole numbers (counts) as integers; any other column as text, with
    those values patched in.
    """
    if values.size >= 64:  # centre lines and constant limits repeat along a series
        changed = values[1:] != values[:-1]
        if (1 + np.count_nonzero(changed)) * 4 <= values.size:
            heads = np.flatnonzero(np.concatenate(([True], changed)))
            runs = np.diff(np.append(heads, values.size))
            text = _polars_floats(pl, name, values[heads]).cast(pl.String)
            return text.gather(np.repeat(np.arange(heads.size), runs))
    size = np.abs(values)
    with np.errstate(invalid="ignore"):
        whole = (values == np.rint(values)) & (size < WHOLE_LIMIT)  # NaN and inf are not
        tiny = (size < 1e-4) & ~whole
    missing = np.isnan(values)
    wholes = np.count_nonzero(whole)
    if wholes + np.count_nonzero(missing) == values.size:
        counts = pl.Series(name, np.where(whole, values, 0).astype(np.int64))
        return counts.scatter(np.flatnonzero(missing), None) if wholes < values.size else counts
    floats = pl.Series(name, values, nan_to_null=True)
    tinies = np.count_nonzero(tiny)
    if not (wholes or tinies):
        return floats
    text = floats.cast(pl.String)
    if wholes:
        where = np.flatnonzero(whole)
        text = text.scatter(where, pl.Series(values[where].astype(np.int64)).cast(pl.String))
    if tinies:
        where = np.flatnonzero(tiny)
        text = text.scatter(where, [repr(v) for v in values[where].tolist()])
    return text
