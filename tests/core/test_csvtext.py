import csv

import pytest

from safehands.core.csvtext import CsvReader, CsvUnreadable, csv_open


def test_a_bare_carriage_return_ends_a_row_and_a_quoted_one_stays_in_its_field():
    text = '\ufeffa,b\r\nc\rd,"two\r\nlines"\n'
    assert list(CsvReader(text)) == [["a", "b"], ["c"], ["d", "two\r\nlines"]]
    assert next(csv.DictReader(csv_open(text))) == {"a": "c", "b": None}


def test_a_row_the_csv_module_gives_up_on_is_named(monkeypatch):
    limit = csv.field_size_limit()
    try:
        csv.field_size_limit(50)
        with pytest.raises(CsvUnreadable) as raised:
            list(CsvReader("org_unit,comment\nW1,short\nW1," + "x" * 80 + "\n"))
    finally:
        csv.field_size_limit(limit)
    assert raised.value.row == 3
    assert raised.value.message == (
        "Row 3: the file cannot be read as CSV (field larger than field limit (50)).")
