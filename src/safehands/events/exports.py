"""The analysis tables as files: one CSV per table, all of them in one XLSX workbook, and
STATS.csv for `safehands events stats`.

CSV goes through `safehands.core.tables` (a text cell that a spreadsheet would run as a
formula gets an apostrophe). The workbook writes every text cell as a string and every count
as a number, never as a formula or a link. No table holds a report's free text: codes,
names of units and terms of the taxonomy, and counts.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from django.utils.translation import gettext as _

from safehands.core.tables import csv_writer
from safehands.events.analysis import Analysis
from safehands.events.content import taxonomy
from safehands.events.rates import STATS_COLUMNS, StatsRow
from safehands.measurement.rules import format_number

TABLE_UNKNOWN = "There is no analysis table '{table}'; use one of {tables}."


def cell_text(value: Any) -> str:
    """How every Safehands CSV writes a value: empty for unknown, whole numbers without
    `.0`, other numbers as the shortest text that reads back to the same float."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_number(value)
    return str(value)


def stats_csv(rows: Sequence[StatsRow], out: TextIO) -> None:
    """STATS.csv: the header always has all seven columns, bed days and the rate empty
    where no bed days are reported for the period (a stable header for programs)."""
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(STATS_COLUMNS)
    for row in rows:
        writer.writerow([cell_text(getattr(row, column)) for column in STATS_COLUMNS])


@dataclass(frozen=True)
class Table:
    """One analysis table: a file name, a sheet title, column keys and rows of values."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def _term(section: dict, code: str) -> str:
    term = section.get(code)
    return term.label if term else code


def analysis_tables(result: Analysis) -> list[Table]:
    """Every table of the analysis page, in page order, with codes and labels."""
    tax = taxonomy()
    scope = result.scope
    summary = Table("summary", _("Summary"), ("measure", "value"), [
        ("org_unit", scope.unit.code),
        ("subtree", True),
        ("from", scope.date_from.isoformat() if scope.date_from else None),
        ("to", scope.date_to.isoformat() if scope.date_to else None),
        ("events", result.near_miss.events),
        ("reached_patient_known", result.near_miss.known),
        ("near_misses", result.near_miss.near_misses),
        ("near_miss_share", result.near_miss.share),
        ("closed", result.closure.closed),
        ("days_to_closure_median", result.closure.median_days),
        ("days_to_closure_p90", result.closure.p90_days),
    ])
    counts = [
        Table("by_type", _("By event type"),
              ("event_type", "name", "events", "near_misses", "share"),
              [(r.key, _term(tax.event_types, r.key), r.events, r.near_misses, r.share)
               for r in result.by_type]),
        Table("by_outcome", _("By outcome"),
              ("outcome", "name", "events", "near_misses", "share"),
              [(r.key, _term(tax.outcomes, r.key), r.events, r.near_misses, r.share)
               for r in result.by_outcome]),
        Table("by_target_area", _("By target area"),
              ("target_area", "events", "near_misses", "share"),
              [(r.key, r.events, r.near_misses, r.share) for r in result.by_target_area]),
        Table("by_category", _("Patient and staff events"),
              ("category", "name", "events", "near_misses", "harmed", "moderate_or_worse"),
              [(r.category, _term(tax.categories, r.category), r.events, r.near_misses,
                r.harmed, r.serious) for r in result.by_category]),
        Table("factors", _("Contributing factors"),
              ("factor", "name", "reported", "investigation", "events", "share",
               "cumulative_share"),
              [(r.code, _term(tax.factors, r.code), r.reported, r.investigation, r.events,
                r.share, r.cumulative) for r in result.factors]),
        Table("months", _("By month"),
              ("period", "events", "near_misses", "events_with_bed_days", "bed_days",
               "events_per_1000_bed_days"),
              [(p.period, p.events, p.near_misses, p.with_bed_days, p.bed_days,
                p.per_1000_bed_days) for p in result.series]),
        Table("periods", _("By period, type and outcome"), STATS_COLUMNS,
              [tuple(getattr(r, c) for c in STATS_COLUMNS) for r in result.periods]),
        Table("units", _("Below this unit"),
              ("org_unit", "name", "own_events_only", "events", "near_misses",
               "moderate_or_worse", "suppressed"),
              [(r.unit.code, r.unit.name, r.own, r.events, r.near_misses, r.serious,
                " ".join(r.suppressed)) for r in result.children]),
    ]
    return [summary, *counts]


def table_get(result: Analysis, name: str) -> Table:
    from safehands.core.errors import NotFound

    tables = {t.name: t for t in analysis_tables(result)}
    if name not in tables:
        raise NotFound(TABLE_UNKNOWN.format(table=name, tables=", ".join(tables)),
                       {"table": name})
    return tables[name]


def table_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([cell_text(value) for value in row])
    return out.getvalue()


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def tables_xlsx(tables: Sequence[Table]) -> bytes:
    """One sheet per table, the header in bold. Text is written as text and numbers as
    numbers: nothing in a cell can become a formula or a link."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False})
    bold = book.add_format({"bold": True})
    for table in tables:
        sheet = book.add_worksheet(table.name[:31])
        for column, key in enumerate(table.columns):
            sheet.write_string(0, column, key, bold)
        for r, row in enumerate(table.rows, start=1):
            for column, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(r, column, value)
                elif isinstance(value, int | float):
                    sheet.write_number(r, column, value)
                else:
                    sheet.write_string(r, column, str(value))
        sheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue()
