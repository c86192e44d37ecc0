"""Reading and checking an import file's rows: the columns found (through the mapping), each
row turned into a report's values or into problems naming its row and field, and the summary
that collects both. Nothing here writes; `importing` applies what passed.
"""


from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehands.core.csvtext import csv_open, csv_unreadable
from safehands.core.errors import DomainError
from safehands.core.tables import unescape_cell
from safehands.events.content import OUTCOME_ORDER, taxonomy
from safehands.events.mapping import (
    DATE_FIELDS,
    DELIMITERS,
    FIELDS,
    OPTIONAL,
    REPORT_COLUMNS,
    Mapping,
    bool_word,
    norm,
)
from safehands.events.models import (
    Status,
)
from safehands.events.services import (
    CLOCK_SKEW,
    EARLIEST,
    check_description,
    check_event_type,
    check_occurred,
    check_outcome,
)
from safehands.orgs.access import can
from safehands.orgs.models import OrgUnit
from safehands.orgs.services import ImportProblem

REFERENCE_LIMIT = 40
PROBLEM_LIMIT = 50
CHANGE_LIMIT = 50

# Files
COLUMNS_MISSING = _("The file lacks the column(s) {columns}; it needs {required}, or a mapping "
                    "(--mapping) that names its columns or gives defaults.")
FILE_EMPTY = _("The file has no rows.")
# Rows
VALUE_MISSING = _("The {field} is empty.")
REFERENCE_TOO_LONG = _("The reference '{value}' is longer than {limit} characters.")
ORG_UNKNOWN = _("'{value}' is not an org unit{how}; map it to a code in the mapping's "
                "values.org_code.")
ORG_AMBIGUOUS = _("'{value}' is the name of more than one org unit ({codes}); map it to a code "
                  "in the mapping's values.org_code.")
ORG_NOT_PERMITTED = _("You may not import reports for {unit}: you need the coordinator role "
                      "there.")
STATUS_UNKNOWN = _("'{value}' is not a status; use one of {allowed}.")
DATE_INVALID = _("'{value}' is not a date or date and time (use YYYY-MM-DD HH:MM{formats}).")
TIME_INVALID = _("'{value}' is not a time of day (use HH:MM).")
REPORTED_IN_FUTURE = _("The time it was reported ({value}) is in the future.")
BOOLEAN_INVALID = _("'{value}' is not true or false (use true or false, or leave it empty for "
                    "unknown).")
KEY_DUPLICATE = _("Reference '{reference}' of {org} appears more than once in the file "
                  "(first on row {first}).")
NOT_AN_IMPORT = _("Reference '{reference}' of {org} is a report made in Safehands, not an "
                  "imported one; an import does not change it.")


# --- Summary ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    """A stored event the import changes: which fields, from what to what."""

    row: int
    org_code: str
    reference: str
    before: dict[str, Any]
    after: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "org_code": self.org_code, "reference": self.reference,
                "fields": sorted(self.after)}


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: int = 0
    identity_numbers_masked: int = 0
    dry_run: bool = False
    problem_count: int = 0
    problems: list[ImportProblem] = field(default_factory=list)  # the first PROBLEM_LIMIT
    changes: list[Change] = field(default_factory=list)  # the first CHANGE_LIMIT updates

    @property
    def status(self) -> str:
        return "invalid" if self.problem_count else ("dry_run" if self.dry_run else "applied")

    def add(self, problem: ImportProblem) -> None:
        self.problem_count += 1
        if len(self.problems) < PROBLEM_LIMIT:
            # Put into words now, in the language of the request that asked.
            self.problems.append(ImportProblem(problem.row, problem.field, problem.value,
                                               str(problem.message)))

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "dry_run": self.dry_run, "rows": self.rows,
                "counts": {"created": self.created, "updated": self.updated,
                           "unchanged": self.unchanged},
                "identity_numbers_masked": self.identity_numbers_masked,
                "problem_count": self.problem_count,
                "problems": [p.as_dict() for p in self.problems],
                "changes": [c.as_dict() for c in self.changes]}


# --- Reading ------------------------------------------------------------------------------

def _delimiter(text: str, mapping: Mapping) -> str:
    if mapping.delimiter != "auto":
        return mapping.delimiter
    header = csv_open(text).readline()
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


@dataclass
class Columns:
    """Column positions of the fields this file has; constant values for the absent ones."""

    index: dict[str, int]
    time_index: dict[str, int]
    constant: dict[str, str]


def _resolve_columns(header: list[str], mapping: Mapping) -> tuple[Columns, list[str]]:
    positions = {}
    for i, heading in enumerate(header):
        positions.setdefault(norm(heading), i)
    found = Columns({}, {}, {})
    missing = []
    for name in FIELDS:
        source = mapping.source(name)
        hit = next((positions[norm(h)] for h in source.headings if norm(h) in positions),
                   None)
        if hit is not None and not (name == "near_miss" and "reached_patient" in found.index):
            found.index[name] = hit
            times = [positions[norm(h)] for h in source.time_headings if norm(h) in positions]
            if times:
                found.time_index[name] = times[0]
        elif name in mapping.defaults:
            found.constant[name] = mapping.defaults[name]
        elif name not in OPTIONAL:
            missing.append(source.headings[0] if name in mapping.columns else name)
    return found, missing


def read_rows(text: str, mapping: Mapping, summary: ImportSummary
          ) -> tuple[Columns | None, list[tuple[int, list[str]]]]:
    reader = csv.reader(csv_open(text), delimiter=_delimiter(text, mapping))
    rows: list[tuple[int, list[str]]] = []
    try:
        header = next(reader, None)
        if header is None:
            summary.add(ImportProblem(1, "", "", FILE_EMPTY))
            return None, []
        columns, missing = _resolve_columns(header, mapping)
        if missing:
            required = ", ".join(n for n in REPORT_COLUMNS if n not in OPTIONAL)
            summary.add(ImportProblem(1, ",".join(missing), "", COLUMNS_MISSING.format(
                columns=", ".join(missing), required=required)))
            return None, []
        line = reader.line_num
        for cells in reader:
            start, line = line + 1, reader.line_num
            if any(c.strip() for c in cells):
                rows.append((start, cells))
    except csv.Error as error:
        summary.add(ImportProblem(reader.line_num, "", "",
                                  csv_unreadable(error, reader.line_num)))
        return None, []
    if not rows:
        summary.add(ImportProblem(1, "", "", FILE_EMPTY))
        return None, []
    return columns, rows


# --- Checking -----------------------------------------------------------------------------

@dataclass
class ImportRow:
    row: int
    unit: OrgUnit
    reference: str
    values: dict[str, Any]


_TIME = re.compile(r"^(\d{1,2})[:.]?(\d{2})(?:[:.](\d{2}))?$")


class RowChecker:
    """Everything rows are checked against, fetched once; verdicts on repeated values cached."""

    def __init__(self, mapping: Mapping, actor: Any, units: dict[str, OrgUnit]) -> None:
        self.mapping = mapping
        self.actor = actor
        self.zone = ZoneInfo(mapping.timezone)
        self.now = timezone.now()
        self.latest = self.now + CLOCK_SKEW
        self.types = taxonomy().event_types
        self.statuses = frozenset(Status.values)
        self.by_code = units
        self.by_name: dict[str, list[OrgUnit]] = {}
        if "name" in mapping.org_lookup:
            for unit in units.values():
                for name in {norm(unit.name), norm(unit.name_nb)} - {""}:
                    self.by_name.setdefault(name, []).append(unit)
        self.org_cache: dict[str, OrgUnit | str] = {}
        self.permitted: dict[int, bool] = {}

    def mapped(self, name: str, value: str) -> str:
        table = self.mapping.values.get(name)
        if table:
            return table.get(norm(value), value)
        return value

    def org(self, raw: str) -> OrgUnit | str:
        """The unit, or the message saying why there is none."""
        cached = self.org_cache.get(raw)
        if cached is not None:
            return cached
        value = self.mapped("org_code", raw)
        unit: OrgUnit | str | None = None
        if "code" in self.mapping.org_lookup or value != raw:
            unit = self.by_code.get(value)
        if unit is None and "name" in self.mapping.org_lookup:
            named = self.by_name.get(norm(value), [])
            if len(named) == 1:
                unit = named[0]
            elif named:
                unit = ORG_AMBIGUOUS.format(value=value,
                                            codes=", ".join(sorted(u.code for u in named)))
        if unit is None:
            how = {("code",): " code", ("name",): " name"}.get(self.mapping.org_lookup,
                                                               " code or name")
            unit = ORG_UNKNOWN.format(value=value, how=how)
        if isinstance(unit, OrgUnit) and self.actor is not None:
            allowed = self.permitted.get(unit.pk)
            if allowed is None:
                allowed = self.permitted[unit.pk] = can(self.actor, "event.handle", unit)
            if not allowed:
                unit = ORG_NOT_PERMITTED.format(unit=unit.name)
        self.org_cache[raw] = unit
        return unit

    def when(self, value: str, time_value: str) -> datetime | str:
        parsed: datetime | None = None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            for fmt in self.mapping.date_formats:
                try:
                    parsed = datetime.strptime(value, fmt)
                    break
                except ValueError:
                    continue
        if parsed is None:
            formats = "".join(f" or {f}" for f in self.mapping.date_formats)
            return DATE_INVALID.format(value=value, formats=formats)
        if time_value and parsed.tzinfo is None and parsed.time() == time():
            match = _TIME.match(time_value)
            hour, minute, second = (int(match.group(1)), int(match.group(2)),
                                    int(match.group(3) or 0)) if match else (99, 0, 0)
            if hour > 23 or minute > 59 or second > 59:
                return TIME_INVALID.format(value=time_value)
            parsed = datetime.combine(parsed.date(), time(hour, minute, second))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=self.zone)
        # In UTC, as the database gives it back: a local time in a daylight-saving gap or
        # fold never compares equal across zones (PEP 495), and re-imports would differ.
        return parsed.astimezone(UTC)

    def boolean(self, name: str, value: str) -> bool | str | None:
        if not value:
            return None
        verdict = bool_word(self.mapped(name, value))
        if verdict is None:
            return BOOLEAN_INVALID.format(value=value)
        return verdict

    def row(self, number: int, cells: list[str], columns: Columns, summary: ImportSummary
            ) -> ImportRow | None:
        """The row's report, or None after adding its problems to the summary."""
        size = len(cells)

        def cell(name: str) -> str:
            if name in columns.constant:
                return columns.constant[name]
            index = columns.index.get(name)
            # A file Safehands wrote has an apostrophe before formula-like cells.
            return unescape_cell(cells[index].strip()) if index is not None and index < size \
                else ""

        bad = False

        def problem(name: str, value: str, message: str) -> None:
            nonlocal bad
            bad = True
            summary.add(ImportProblem(number, name, value, message))

        reference = cell("reference")
        if not reference:
            problem("reference", "", VALUE_MISSING.format(field="reference"))
        elif len(reference) > REFERENCE_LIMIT:
            problem("reference", reference, REFERENCE_TOO_LONG.format(value=reference,
                                                                     limit=REFERENCE_LIMIT))
        raw_org = cell("org_code")
        unit = self.org(raw_org) if raw_org else VALUE_MISSING.format(field="org_code")
        if isinstance(unit, str):
            problem("org_code", raw_org, unit)

        times: dict[str, datetime] = {}
        for name in DATE_FIELDS:
            value = cell(name)
            index = columns.time_index.get(name)
            time_value = cells[index].strip() if index is not None and index < size else ""
            if not value:
                problem(name, "", VALUE_MISSING.format(field=name))
                continue
            parsed = self.when(value, time_value)
            if isinstance(parsed, str):
                problem(name, value, parsed)
            else:
                times[name] = parsed
        if "reported_at" in times and times["reported_at"] > self.now + CLOCK_SKEW:
            problem("reported_at", cell("reported_at"), REPORTED_IN_FUTURE.format(
                value=timezone.localtime(times["reported_at"]).strftime("%Y-%m-%d %H:%M")))
            del times["reported_at"]
        occurred_at = None
        if "occurred_at" in times:
            occurred, reported = times["occurred_at"], times.get("reported_at", self.now)
            if EARLIEST <= occurred <= self.latest and occurred <= reported + CLOCK_SKEW:
                occurred_at = min(occurred, reported)  # as check_occurred, without wording
            else:
                try:
                    occurred_at = check_occurred(occurred, reported)
                except DomainError as error:
                    problem("occurred_at", cell("occurred_at"), error.message)

        raw_type = cell("event_type")
        event_type = self.mapped("event_type", raw_type)
        if not raw_type:
            problem("event_type", "", VALUE_MISSING.format(field="event_type"))
        elif event_type not in self.types:
            try:
                check_event_type(event_type)
            except DomainError as error:
                problem("event_type", raw_type, error.message)
        raw_outcome = cell("outcome")
        outcome = self.mapped("outcome", raw_outcome)
        if not raw_outcome:
            problem("outcome", "", VALUE_MISSING.format(field="outcome"))
        elif outcome not in OUTCOME_ORDER:
            try:
                check_outcome(outcome)
            except DomainError as error:
                problem("outcome", raw_outcome, error.message)
        raw_status = cell("status")
        status = self.mapped("status", raw_status)
        if not raw_status:
            problem("status", "", VALUE_MISSING.format(field="status"))
        elif status not in self.statuses:
            problem("status", raw_status, STATUS_UNKNOWN.format(
                value=raw_status, allowed=", ".join(Status.values)))

        if "near_miss" in columns.index or "near_miss" in columns.constant:
            name = "near_miss"
            verdict = self.boolean(name, cell(name))
            reached = None if verdict is None or isinstance(verdict, str) else not verdict
        else:
            name = "reached_patient"
            verdict = self.boolean(name, cell(name))
            reached = verdict
        if isinstance(verdict, str):
            problem(name, cell(name), verdict)

        description, masked = "", 0
        try:
            description, masked = check_description(cell("description"))
        except DomainError as error:
            problem("description", "", error.message)
        if bad:
            return None
        return ImportRow(number, unit, reference, {
            "event_type": event_type, "occurred_at": occurred_at,
            "reported_at": times["reported_at"], "description": description,
            "outcome": outcome, "reached_patient": reached, "status": status,
            "identity_numbers_masked": masked})


