"""`safehands spc`: the command-line contract, through click's CliRunner.

The reference cases run through the command as well as through the API: the command must write
the same numbers (within 1e-9 relative) and the same signals as qicharts2.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from safehands.cli import spc as cli_spc
from safehands.cli.spc import OUTPUT_COLUMNS, spc, write_csv
from safehands.spc import qic
from tests.spc._golden import GOLDEN, compare, entry_id, facet_columns, manifest_entries

# A CSV cannot carry factor levels, so cases whose x is a factor with its own level order
# (funnel plots) are checked through the API only.
CLI_ENTRIES = [e for e in manifest_entries() if e["x"] not in e["factor_levels"]]


def _args(entry: dict) -> list[str]:
    args = ["--chart", entry["chart"], "--y", entry["y"], "--x", entry["x"]]
    if entry["n"]:
        args += ["--n", entry["n"]]
    for column in facet_columns(entry):
        args += ["--by", column]
    given = entry["args"]
    if "part" in given:
        part = given["part"] if isinstance(given["part"], list) else [given["part"]]
        args += ["--part", ",".join(map(str, part))]
    if "part" in entry["column_args"]:
        args += ["--part-column", entry["column_args"]["part"]]
    if "freeze" in given:
        args += ["--freeze", str(given["freeze"])]
    if "exclude" in given:
        args += ["--exclude", ",".join(map(str, given["exclude"]))]
    for key, option in (("multiply", "--multiply"), ("cl", "--cl"), ("agg.fun", "--agg")):
        if key in given:
            args += [option, str(given[key])]
    if given.get("y.neg") is False:
        args.append("--no-y-neg")
    if not entry["options"].get("qic.screenedmr", True):
        args.append("--no-screened-mr")
    return args


def _run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(spc, args, catch_exceptions=False)
    return result.exit_code, result.output


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.mark.parametrize("entry", CLI_ENTRIES, ids=[entry_id(e) for e in CLI_ENTRIES])
def test_command_reproduces_reference_case(entry: dict, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    source = GOLDEN / "inputs" / Path(entry["input_file"]).name
    code, output = _run([str(source), *_args(entry), "--out", str(out)])
    assert code == 0, output
    written = _read(out)
    assert list(written.columns) == [*facet_columns(entry), *OUTPUT_COLUMNS]
    problems = compare(entry, written)
    assert not problems, "; ".join(problems[:10])


@pytest.fixture
def monthly(tmp_path: Path) -> Path:
    path = tmp_path / "monthly.csv"
    path.write_text(
        "ward,month,events,patients\n"
        + "".join(
            f"{ward},2024-{m:02d}-01,{(m * 7 + len(ward)) % 11},{100 + m}\n"
            for ward in ("B", "A")
            for m in range(12, 0, -1)
        )
    )
    return path


def test_output_formats_dates_booleans_and_whole_numbers(monthly: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    code, output = _run(
        [
            str(monthly),
            "--chart",
            "p",
            "--y",
            "events",
            "--n",
            "patients",
            "--x",
            "month",
            "--by",
            "ward",
            "--out",
            str(out),
        ]
    )
    assert code == 0, output
    lines = out.read_text().splitlines()
    assert lines[0] == "ward," + ",".join(OUTPUT_COLUMNS)
    first = dict(zip(lines[0].split(","), lines[1].split(","), strict=True))
    assert first["ward"] == "A"  # series sorted by key, rows in x order
    assert first["x"] == "2024-01-01"
    assert first["n"] == "101"  # whole numbers without .0
    assert first["y_sd"] == ""  # missing: empty cell
    assert first["baseline"] == "true"
    assert first["runs_signal"] in ("true", "false")
    assert float(first["y"]) == (8 % 11) / 101  # full precision round-trips
    assert len(lines) == 1 + 24


def test_by_may_be_repeated_and_keeps_key_text(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("region,unit,x,y\n" + "".join(f"01,007,{i},{i % 3}\n" for i in range(1, 9)))
    out = tmp_path / "out.csv"
    code, output = _run(
        [str(path), "--y", "y", "--x", "x", "--by", "region", "--by", "unit", "--out", str(out)]
    )
    assert code == 0, output
    written = _read(out)
    assert list(written.columns[:2]) == ["region", "unit"]
    assert set(written["region"]) == {"01"} and set(written["unit"]) == {"007"}


def test_fast_and_plain_writers_agree_byte_for_byte(
    monthly: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_spc, "CHUNK_ROWS", 7)  # several chunks, header once
    frame = pd.read_csv(monthly)
    frame.loc[3, "events"] = None
    frame.loc[frame["ward"] == "B", "ward"] = None  # a missing key is an empty cell
    result = qic(frame, y="events", n="patients", x="month", by="ward", chart="pp")
    result.data.loc[0, "y"] = 1.5e-7  # repr() uses exponent notation below 1e-4
    result.data.loc[1, "y"] = 1e17
    write_csv(result, tmp_path / "fast.csv", fast=True)
    write_csv(result, tmp_path / "plain.csv", fast=False)
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "plain.csv").read_bytes()
    assert "1.5e-07" in (tmp_path / "plain.csv").read_text()


def test_without_polars_the_command_writes_the_same_file_and_says_it_is_slow(
    monthly: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = [str(monthly), "--chart", "p", "--y", "events", "--n", "patients", "--x", "month"]
    fast = CliRunner().invoke(spc, [*args, "--by", "ward", "--out", str(tmp_path / "fast.csv")])
    assert fast.exit_code == 0, fast.output
    assert "warning" not in fast.stderr
    monkeypatch.setitem(sys.modules, "polars", None)  # import polars now raises ImportError
    slow = CliRunner().invoke(spc, [*args, "--by", "ward", "--out", str(tmp_path / "slow.csv")])
    assert slow.exit_code == 0, slow.output
    assert "polars could not be loaded" in slow.stderr
    assert "plain Python writer" in slow.stderr
    assert (tmp_path / "slow.csv").read_bytes() == (tmp_path / "fast.csv").read_bytes()


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "in.csv"
    path.write_text(text)
    return path


def _error(args: list[str]) -> str:
    result = CliRunner().invoke(spc, args)
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.output


def test_unknown_column_is_named(monthly: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "o.csv")
    message = _error([str(monthly), "--y", "deaths", "--out", out])
    assert "unknown column 'deaths'" in message
    message = _error([str(monthly), "--y", "events", "--by", "site", "--out", out])
    assert "unknown column 'site'" in message


def test_non_numeric_value_names_row_and_column(tmp_path: Path) -> None:
    path = _csv(tmp_path, "x,y\n1,3\n2,4\n3,four\n")
    message = _error([str(path), "--chart", "i", "--y", "y", "--x", "x", "--out", "o.csv"])
    assert "non-numeric value 'four' in row 3 of column 'y'" in message


def test_negative_count_is_rejected(tmp_path: Path) -> None:
    path = _csv(tmp_path, "x,y,n\n1,3,10\n2,-1,10\n")
    message = _error([str(path), "--chart", "u", "--y", "y", "--n", "n", "--out", "o.csv"])
    assert "negative count -1 in row 2 of column 'y'" in message


def test_negative_denominator_is_rejected(tmp_path: Path) -> None:
    path = _csv(tmp_path, "x,y,n\n1,3,10\n2,1,-10\n")
    message = _error([str(path), "--chart", "u", "--y", "y", "--n", "n", "--out", "o.csv"])
    assert "negative denominator -10 in row 2 of column 'n'" in message


def test_numerator_above_denominator_on_p_chart(tmp_path: Path) -> None:
    path = _csv(tmp_path, "x,d,n\n1,3,10\n2,12,10\n")
    message = _error([str(path), "--chart", "p", "--y", "d", "--n", "n", "--out", "o.csv"])
    assert "numerator 12 (column 'd') above denominator 10 (column 'n') in row 2" in message


def test_t_chart_needs_positive_times(tmp_path: Path) -> None:
    path = _csv(tmp_path, "x,days\n1,3\n2,0\n3,5\n")
    message = _error([str(path), "--chart", "t", "--y", "days", "--x", "x", "--out", "o.csv"])
    assert "time between events > 0" in message and "row 2 of column 'days'" in message


def test_proportion_chart_needs_a_denominator(tmp_path: Path) -> None:
    path = _csv(tmp_path, "x,y\n1,3\n2,4\n")
    message = _error([str(path), "--chart", "p", "--y", "y", "--out", "o.csv"])
    assert "needs a denominator" in message


def test_invalid_date_names_row(tmp_path: Path) -> None:
    path = _csv(tmp_path, "month,y\n2024-01-01,3\n2024-02-30,4\n")
    message = _error([str(path), "--y", "y", "--x", "month", "--out", "o.csv"])
    assert "invalid date '2024-02-30' in row 2 of column 'month'" in message


def test_part_and_part_column_together_are_refused(monthly: Path) -> None:
    message = _error(
        [str(monthly), "--y", "events", "--part", "3", "--part-column", "ward", "--out", "o.csv"]
    )
    assert "not both" in message


def test_part_positions_must_be_numbers(monthly: Path) -> None:
    message = _error([str(monthly), "--y", "events", "--part", "3,x", "--out", "o.csv"])
    assert "--part" in message and "'x'" in message


def test_ragged_line_is_an_error_not_shifted_values(tmp_path: Path) -> None:
    path = _csv(tmp_path, "x,y\n1,2\n2,3,4\n")
    message = _error([str(path), "--y", "y", "--x", "x", "--out", "o.csv"])
    assert "not a readable CSV file" in message


def test_missing_and_empty_files(tmp_path: Path) -> None:
    assert "no such file" in _error([str(tmp_path / "none.csv"), "--y", "y", "--out", "o.csv"])
    empty = _csv(tmp_path, "")
    assert "not a readable CSV" in _error([str(empty), "--y", "y", "--out", "o.csv"])


def test_zero_denominator_gives_missing_limits_not_an_error(tmp_path: Path) -> None:
    path = _csv(tmp_path, "x,y,n\n1,3,10\n2,0,0\n3,4,10\n4,2,12\n")
    out = tmp_path / "out.csv"
    code, output = _run(
        [str(path), "--chart", "p", "--y", "y", "--n", "n", "--x", "x", "--out", str(out)]
    )
    assert code == 0, output
    row = _read(out).iloc[1]
    assert (row["y"], row["lcl"], row["ucl"]) == ("", "", "")


def test_too_few_points_give_missing_limits(tmp_path: Path) -> None:
    path = _csv(tmp_path, "x,y\n1,3\n")
    out = tmp_path / "out.csv"
    code, output = _run([str(path), "--chart", "i", "--y", "y", "--x", "x", "--out", str(out)])
    assert code == 0, output
    row = _read(out).iloc[0]
    assert row["cl"] == "3" and row["ucl"] == "" and row["lcl"] == ""


def test_plot_needs_one_series(monthly: Path, tmp_path: Path) -> None:
    out, svg = str(tmp_path / "o.csv"), str(tmp_path / "o.svg")
    args = ["--y", "events", "--x", "month", "--by", "ward", "--out", out, "--plot", svg]
    message = _error([str(monthly), *args])
    assert "--plot draws one series" in message


def test_plot_suffix_is_checked(monthly: Path, tmp_path: Path) -> None:
    message = _error([str(monthly), "--y", "events", "--out", "o.csv", "--plot", "o.gif"])
    assert ".svg, .png or .pdf" in message


@pytest.mark.parametrize("suffix", [".svg", ".png", ".pdf"])
def test_plot_writes_the_chart(suffix: str, tmp_path: Path) -> None:
    source = GOLDEN / "inputs" / "cdi_count.csv"
    out, plot = tmp_path / "o.csv", tmp_path / f"chart{suffix}"
    args = ["--chart", "c", "--y", "n", "--x", "month", "--freeze", "24"]
    code, output = _run([str(source), *args, "--out", str(out), "--plot", str(plot)])
    assert code == 0, output
    start = {".svg": b"<svg", ".png": b"\x89PNG", ".pdf": b"%PDF"}[suffix]
    assert plot.read_bytes().lstrip().startswith(start)


# Doubles whose text is awkward: NaN, infinities, signed zero, subnormals, tiny values (repr()
# switches to an exponent below 1e-4), whole numbers on both sides of WHOLE_LIMIT, huge values.
AWKWARD_FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.sampled_from([0.0, -0.0, 5e-324, -5e-324, 1e-5, -1.5e-7, 9.999e-5, 1e-4, 0.1, 1 / 3]),
    st.sampled_from([-12.0, 1e15 - 1, 1e15, 1e15 + 0.5, 1e16, -1e16, 2.0**53, 1e17, 1e22]),
    st.integers(-(10**17), 10**17).map(float),
    st.floats(min_value=-1e-3, max_value=1e-3),
    st.floats(min_value=1e14, max_value=1e17),
)


def _both_writers(data: pd.DataFrame, path: Path) -> tuple[bytes, bytes]:
    pytest.importorskip("polars")
    names = list(data.columns)
    cli_spc._csv_polars(data, names, path)
    return path.read_bytes(), cli_spc._csv_plain(data, names)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(AWKWARD_FLOATS, st.integers(1, 40)), min_size=1, max_size=30))
def test_polars_writer_prints_floats_as_python_repr(runs: list[tuple[float, int]]) -> None:
    # Runs of equal values reach the path that formats each run once.
    values = [value for value, times in runs for _ in range(times)]
    data = pd.DataFrame({"v": values, "w": values[::-1]}, dtype=float)
    with tempfile.TemporaryDirectory() as tmp:
        fast, plain = _both_writers(data, Path(tmp) / "out.csv")
    assert fast == plain
    lines = plain.decode().splitlines()[1:]
    for line, value in zip(lines, values, strict=True):
        shown = line.split(",")[0]
        assert shown == cli_spc._float_text(value)
        if shown:
            assert float(shown) == value  # round-trips


def test_repeated_values_are_formatted_once_and_spread(tmp_path: Path) -> None:
    values = np.repeat([0.1, 12.0, np.nan, 1e-5, -3.25], [40, 30, 20, 50, 60])
    fast, plain = _both_writers(pd.DataFrame({"v": values}), tmp_path / "out.csv")
    assert fast == plain
    assert plain.decode().splitlines()[1:] == [cli_spc._float_text(v) for v in values.tolist()]


def test_text_that_needs_quotes_is_quoted_once(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "ward, site": ["a,b"] * 3 + ['say "hi"'] * 3 + ["two\nlines"] * 3,
            "x": ["first", "second", "third"] * 3,
            "y": np.arange(9.0),
        }
    )
    result = qic(frame, y="y", x="x", by="ward, site")
    write_csv(result, tmp_path / "fast.csv", fast=True)
    write_csv(result, tmp_path / "plain.csv", fast=False)
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "plain.csv").read_bytes()
    written = pd.read_csv(tmp_path / "fast.csv", dtype=str, keep_default_na=False)
    assert list(written.columns[:2]) == ["ward, site", "part"]
    assert set(written["ward, site"]) == {"a,b", 'say "hi"', "two\nlines"}
    assert list(written["x"][:3]) == ["first", "second", "third"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=6), min_size=1, max_size=12))
def test_polars_writer_prints_text_keys_as_plain_writer(keys: list[str]) -> None:
    data = pd.DataFrame({"key": pd.Categorical(keys), "v": np.arange(len(keys), dtype=float)})
    with tempfile.TemporaryDirectory() as tmp:
        fast, plain = _both_writers(data, Path(tmp) / "out.csv")
    assert fast == plain


def test_writers_agree_on_a_result_without_rows(tmp_path: Path) -> None:
    data = pd.DataFrame({"key": pd.Categorical([]), "v": np.array([], dtype=float)})
    fast, plain = _both_writers(data, tmp_path / "out.csv")
    assert fast == plain == b"key,v\n"


@pytest.mark.parametrize("setting", [None, "1"])
def test_command_asks_numpy_for_small_pages_unless_told(
    setting: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    switch = np._core.multiarray._set_madvise_hugepage
    if setting is None:
        monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    else:
        monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", setting)
    before = switch(True)
    try:
        cli_spc._small_pages()
        assert switch(True) is (setting is not None)  # returns the setting it replaces
    finally:
        switch(before)
