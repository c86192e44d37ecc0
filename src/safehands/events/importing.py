"""Import of event reports from other incident systems (Synergi, Datix, a spreadsheet).

One CSV row is one report. The default columns are `REPORT_COLUMNS`; a mapping file (YAML,
`mapping_load`) renames columns and maps values, so that an export from another system loads
without editing. Two mappings ship with the package (`data/mappings/synergi.yaml` and
`datix.yaml`); their comments document every key of the format.

The import is all or nothing: every row is checked first, every problem is named with its
row (the file's line number, the header being line 1) and field, and when there is any,
nothing is written. Re-importing the same file changes nothing: `reference` and the org unit
are the key, a row equal to the stored event leaves it alone, and a row that differs updates
it, audited with before and after. Writes go in bulk (one query for the stored keys, batched
inserts and updates, audit rows in batches) so that a national file of 100,000 reports stays
a matter of seconds.

Imported events have the source `import`, no reporter and no follow-up link (the reporter
used another system). Deadlines start only for events that are still open.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehands.audit.services import AuditEntry, audit_record, audit_record_bulk
from safehands.catalogue.models import TargetArea
from safehands.core.bulk import bulk_change, bulk_insert
from safehands.core.csvtext import csv_open, csv_unreadable
from safehands.core.errors import Conflict, DomainError
from safehands.core.tables import unescape_cell
from safehands.events.content import OUTCOME_ORDER, taxonomy
from safehands.events.models import (
    OPEN_STATUSES,
    Event,
    EventDeadline,
    EventSource,
    EventTransition,
    ReporterKind,
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
from safehands.orgs.models import PATH_SEPARATOR, OrgUnit
from safehands.orgs.services import ImportProblem

REPORT_COLUMNS = ("reference", "occurred_at", "reported_at", "org_code", "event_type",
                  "outcome", "reached_patient", "description", "status")
# `near_miss` is the inverse of `reached_patient`: systems that ask "was it a near miss?".
FIELDS = (*REPORT_COLUMNS, "near_miss")
OPTIONAL = ("reached_patient", "near_miss")
DATE_FIELDS = ("occurred_at", "reported_at")
BOOLEAN_FIELDS = ("reached_patient", "near_miss")
SHIPPED_MAPPINGS = ("synergi", "datix")
DEFAULT_TIMEZONE = "Europe/Oslo"
DELIMITERS = (",", ";", "\t", "|")
ORG_LOOKUPS = ("code", "name")
REFERENCE_LIMIT = 40
PROBLEM_LIMIT = 50
CHANGE_LIMIT = 50
BATCH = 2000
ANALYZE_FROM = 50_000  # rows created
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "ja", "j", "t"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "nei", "f"})

# Mapping files
MAPPING_UNKNOWN = _("There is no mapping '{value}': give a YAML file, or one of {shipped}.")
MAPPING_UNREADABLE = _("{file}: not a YAML mapping file ({reason}).")
MAPPING_INVALID = _("{file}: {key}: {problem}")
# Files
FILE_NOT_TEXT = _("{file}: not {encoding} text ({reason} at byte {start}); save it as UTF-8, "
                  "or say the file's encoding in the mapping (encoding: cp1252).")
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
CHANGED_MEANWHILE = _("Reports of these units were changed while the file was being imported; "
                      "nothing was imported. Run the import again.")
IMPORTED_NOTE = "Imported from {file}."

Progress = Callable[[str, int, int], None]


# --- Mappings -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    """Where a field comes from: the first of `headings` the file has (and, for a date, the
    column holding its time of day)."""

    headings: tuple[str, ...]
    time_headings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mapping:
    """How to read one system's export. Value-map keys are normalised by `_norm`."""

    name: str
    columns: dict[str, Source] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    date_formats: tuple[str, ...] = ()
    timezone: str = DEFAULT_TIMEZONE
    encoding: str = "utf-8"
    delimiter: str = "auto"
    org_lookup: tuple[str, ...] = ("code",)

    def source(self, name: str) -> Source:
        return self.columns.get(name) or Source((name,))


DEFAULT_MAPPING = Mapping(name="default columns")


class MappingInvalid(DomainError):
    """A mapping file that cannot be used; the message names the file and the key."""


def _norm(value: Any) -> str:
    return " ".join(str(value).split()).casefold()


class _TextLoader(yaml.SafeLoader):
    """YAML where only numbers are resolved: `Ja`, `no`, `on`, `2025-01-01` stay text, so a
    value map means what it says (plain YAML would read `no:` as false)."""


_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

MAPPING_KEYS = ("format_version", "name", "description", "encoding", "delimiter",
                "date_formats", "timezone", "org_lookup", "columns", "values", "defaults")


def _headings(value: Any, file: str, key: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(i, str | int) and str(i).strip() for i in items):
        raise MappingInvalid(MAPPING_INVALID.format(
            file=file, key=key, problem="give a column heading, or a list of headings"),
            {"file": file, "key": key})
    return tuple(str(i).strip() for i in items)


def _bool_word(value: str) -> bool | None:
    word = _norm(value)
    return True if word in TRUE_WORDS else False if word in FALSE_WORDS else None


def _check_value(name: str, value: str, file: str, key: str) -> None:
    """A value map's target, or a default, must be one of ours: a typo is caught here,
    once, not on every row."""
    problem = ""
    if name == "event_type" and value not in taxonomy().event_types:
        problem = f"'{value}' is not an event type; use one of {', '.join(taxonomy().event_types)}"
    elif name == "outcome" and value not in OUTCOME_ORDER:
        problem = f"'{value}' is not an outcome; use one of {', '.join(OUTCOME_ORDER)}"
    elif name == "status" and value not in Status.values:
        problem = f"'{value}' is not a status; use one of {', '.join(Status.values)}"
    elif name in BOOLEAN_FIELDS and value and _bool_word(value) is None:
        problem = f"'{value}' is not true or false"
    elif name in DATE_FIELDS and key.startswith("defaults"):
        problem = "a date cannot have a default; the file must give it"
    if problem:
        raise MappingInvalid(MAPPING_INVALID.format(file=file, key=key, problem=problem),
                             {"file": file, "key": key})


def mapping_parse(text: str, *, name: str = "mapping.yaml") -> Mapping:
    """A mapping from YAML text, checked key by key; `MappingInvalid` names file and key."""

    def invalid(key: str, problem: str) -> MappingInvalid:
        return MappingInvalid(MAPPING_INVALID.format(file=name, key=key, problem=problem),
                              {"file": name, "key": key})

    try:
        data = yaml.load(text, Loader=_TextLoader)  # a SafeLoader subclass
    except yaml.YAMLError as error:
        reason = str(getattr(error, "problem", "") or error).strip()
        mark = getattr(error, "problem_mark", None)
        if mark is not None:
            reason += f", line {mark.line + 1}"
        raise MappingInvalid(MAPPING_UNREADABLE.format(file=name, reason=reason),
                             {"file": name, "key": ""}) from None
    if not isinstance(data, dict):
        raise invalid("(file)", "the file must be a YAML mapping of keys to values")
    if data.get("format_version") != 1:
        raise invalid("format_version", "must be 1")
    for key in data:
        if key not in MAPPING_KEYS:
            raise invalid(str(key), f"unknown key; the keys are {', '.join(MAPPING_KEYS)}")

    columns: dict[str, Source] = {}
    raw_columns = data.get("columns") or {}
    if not isinstance(raw_columns, dict):
        raise invalid("columns", "must map our field names to the file's column headings")
    for target, spec in raw_columns.items():
        key = f"columns.{target}"
        if target not in FIELDS:
            raise invalid(key, f"unknown field; the fields are {', '.join(FIELDS)}")
        if isinstance(spec, dict):
            unknown = set(spec) - {"column", "time_column"}
            if unknown or "column" not in spec:
                raise invalid(key, "give `column` (and, for a date, `time_column`)")
            if "time_column" in spec and target not in DATE_FIELDS:
                raise invalid(f"{key}.time_column", "only a date has a time column")
            columns[target] = Source(
                _headings(spec["column"], name, f"{key}.column"),
                _headings(spec["time_column"], name, f"{key}.time_column")
                if "time_column" in spec else ())
        else:
            columns[target] = Source(_headings(spec, name, key))
    if "reached_patient" in columns and "near_miss" in columns:
        raise invalid("columns.near_miss", "give reached_patient or near_miss, not both")

    values: dict[str, dict[str, str]] = {}
    raw_values = data.get("values") or {}
    if not isinstance(raw_values, dict):
        raise invalid("values", "must map field names to maps of their values")
    for target, table in raw_values.items():
        key = f"values.{target}"
        if target not in FIELDS or target in ("reference", "description", *DATE_FIELDS):
            raise invalid(key, "values are mapped for org_code, event_type, outcome, status, "
                               "reached_patient and near_miss")
        if not isinstance(table, dict) or not table:
            raise invalid(key, "must map the file's values to ours")
        mapped: dict[str, str] = {}
        for source_value, ours in table.items():
            entry_key = f"{key}.{source_value}"
            if isinstance(ours, dict | list) or ours is None or not str(ours).strip():
                raise invalid(entry_key, "map to one value of ours")
            ours = str(ours).strip()
            _check_value(target, ours, name, entry_key)
            mapped[_norm(source_value)] = ours
        values[target] = mapped

    defaults: dict[str, str] = {}
    raw_defaults = data.get("defaults") or {}
    if not isinstance(raw_defaults, dict):
        raise invalid("defaults", "must map field names to the value used when the column is "
                                  "absent")
    for target, value in raw_defaults.items():
        key = f"defaults.{target}"
        if target not in FIELDS:
            raise invalid(key, f"unknown field; the fields are {', '.join(FIELDS)}")
        if isinstance(value, dict | list) or value is None:
            raise invalid(key, "give one value")
        value = str(value).strip()
        _check_value(target, value, name, key)
        defaults[target] = value

    formats = data.get("date_formats") or []
    if isinstance(formats, str):
        formats = [formats]
    if not isinstance(formats, list):
        raise invalid("date_formats", "give a list of formats such as '%d.%m.%Y %H:%M'")
    for index, fmt in enumerate(formats):
        key = f"date_formats[{index}]"
        if not isinstance(fmt, str) or "%" not in fmt:
            raise invalid(key, "a format such as '%d.%m.%Y %H:%M' (Python strptime codes)")
        sample = datetime(2024, 11, 23, 17, 45)
        try:
            datetime.strptime(sample.strftime(fmt), fmt)
        except ValueError:
            raise invalid(key, f"'{fmt}' cannot read back the dates it writes") from None

    zone = str(data.get("timezone") or DEFAULT_TIMEZONE)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid("timezone", f"'{zone}' is not a time zone such as Europe/Oslo") from None

    encoding = str(data.get("encoding") or "utf-8")
    if encoding != "auto":
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise invalid("encoding", f"'{encoding}' is not an encoding; use utf-8, cp1252 "
                                      "or auto") from None

    delimiter = str(data.get("delimiter") or "auto")
    if delimiter in ("\\t", "tab"):
        delimiter = "\t"
    if delimiter != "auto" and delimiter not in DELIMITERS:
        raise invalid("delimiter", "use auto, ',', ';', tab or '|'")

    lookup = data.get("org_lookup") or ["code"]
    lookup = [lookup] if isinstance(lookup, str) else lookup
    if not isinstance(lookup, list) or not lookup or any(i not in ORG_LOOKUPS for i in lookup):
        raise invalid("org_lookup", "a list of code and/or name")

    return Mapping(name=name, columns=columns, values=values, defaults=defaults,
                   date_formats=tuple(formats), timezone=zone, encoding=encoding,
                   delimiter=delimiter, org_lookup=tuple(lookup))


def mapping_load(spec: str | Path | None) -> Mapping:
    """A shipped mapping by name (`synergi`, `datix`), a user's YAML file by path, or the
    default columns for None."""
    if spec is None or str(spec) == "":
        return DEFAULT_MAPPING
    text_spec = str(spec)
    if text_spec in SHIPPED_MAPPINGS:
        text = resources.files("safehands.events").joinpath(
            "data", "mappings", f"{text_spec}.yaml").read_text(encoding="utf-8")
        return mapping_parse(text, name=f"{text_spec}.yaml")
    path = Path(spec)
    if not path.is_file():
        raise MappingInvalid(MAPPING_UNKNOWN.format(value=text_spec,
                                                    shipped=", ".join(SHIPPED_MAPPINGS)),
                             {"file": text_spec, "key": ""})
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise MappingInvalid(MAPPING_UNREADABLE.format(
            file=path.name, reason=f"not UTF-8 text at byte {error.start}"),
            {"file": path.name, "key": ""}) from None
    return mapping_parse(text, name=path.name)


def text_decode(data: bytes, mapping: Mapping | None = None, *, file: str = "REPORTS.csv"
                ) -> str:
    """The file's text in the mapping's encoding (`auto`: UTF-8, else Windows-1252, the
    two encodings spreadsheets save CSV in); a byte-order mark is dropped."""
    encoding = (mapping or DEFAULT_MAPPING).encoding
    if encoding == "auto":
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return data.decode("cp1252", errors="replace")
    try:
        return data.decode("utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding)
    except UnicodeDecodeError as error:
        raise DomainError(FILE_NOT_TEXT.format(file=file, encoding=encoding, reason=error.reason,
                                               start=error.start),
                          {"file": file, "row": 0, "field": ""}) from None


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
class _Columns:
    """Column positions of the fields this file has; constant values for the absent ones."""

    index: dict[str, int]
    time_index: dict[str, int]
    constant: dict[str, str]


def _resolve_columns(header: list[str], mapping: Mapping) -> tuple[_Columns, list[str]]:
    positions = {}
    for i, heading in enumerate(header):
        positions.setdefault(_norm(heading), i)
    found = _Columns({}, {}, {})
    missing = []
    for name in FIELDS:
        source = mapping.source(name)
        hit = next((positions[_norm(h)] for h in source.headings if _norm(h) in positions),
                   None)
        if hit is not None and not (name == "near_miss" and "reached_patient" in found.index):
            found.index[name] = hit
            times = [positions[_norm(h)] for h in source.time_headings if _norm(h) in positions]
            if times:
                found.time_index[name] = times[0]
        elif name in mapping.defaults:
            found.constant[name] = mapping.defaults[name]
        elif name not in OPTIONAL:
            missing.append(source.headings[0] if name in mapping.columns else name)
    return found, missing


def _read(text: str, mapping: Mapping, summary: ImportSummary
          ) -> tuple[_Columns | None, list[tuple[int, list[str]]]]:
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
class _Report:
    row: int
    unit: OrgUnit
    reference: str
    values: dict[str, Any]


_TIME = re.compile(r"^(\d{1,2})[:.]?(\d{2})(?:[:.](\d{2}))?$")


class _Checker:
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
                for name in {_norm(unit.name), _norm(unit.name_nb)} - {""}:
                    self.by_name.setdefault(name, []).append(unit)
        self.org_cache: dict[str, OrgUnit | str] = {}
        self.permitted: dict[int, bool] = {}

    def mapped(self, name: str, value: str) -> str:
        table = self.mapping.values.get(name)
        if table:
            return table.get(_norm(value), value)
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
            named = self.by_name.get(_norm(value), [])
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
        verdict = _bool_word(self.mapped(name, value))
        if verdict is None:
            return BOOLEAN_INVALID.format(value=value)
        return verdict

    def row(self, number: int, cells: list[str], columns: _Columns, summary: ImportSummary
            ) -> _Report | None:
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
        return _Report(number, unit, reference, {
            "event_type": event_type, "occurred_at": occurred_at,
            "reported_at": times["reported_at"], "description": description,
            "outcome": outcome, "reached_patient": reached, "status": status,
            "identity_numbers_masked": masked})


# --- Writing ------------------------------------------------------------------------------

COMPARED = ("event_type", "occurred_at", "reported_at", "description", "outcome",
            "reached_patient", "status")
AUDITED = ("reference", "event_type", "outcome", "status", "reached_patient", "occurred_at",
           "reported_at", "source")


def _batches(items: list) -> Iterable[list]:
    size = BATCH
    for start in range(0, len(items), size):
        yield items[start:start + size]


class _Deadlines:
    """The taxonomy's deadlines an imported event starts: none once it is closed, rejected or
    a duplicate; for an event past triage, none that triage meets (it happened elsewhere)."""

    def __init__(self, units: dict[str, OrgUnit]) -> None:
        self.rules = taxonomy().deadlines
        self.units = units
        self.kinds: dict[int, set[str]] = {}

    def kinds_above(self, unit: OrgUnit) -> set[str]:
        """As `services.kinds_above`, from the units already loaded."""
        kinds = self.kinds.get(unit.pk)
        if kinds is None:
            codes = [c for c in unit.path.split(PATH_SEPARATOR) if c]
            kinds = self.kinds[unit.pk] = {self.units[c].kind for c in codes
                                           if c in self.units}
        return kinds

    def wanted(self, unit: OrgUnit, values: dict[str, Any]) -> dict[str, datetime]:
        status = values["status"]
        if status not in OPEN_STATUSES:
            return {}
        kinds = self.kinds_above(unit)
        return {rule.code: values["reported_at"] + timedelta(hours=rule.within_hours)
                for rule in self.rules
                if rule.applies(outcome=values["outcome"], kinds_above=kinds)
                and not (rule.met_by == "triaged" and status != Status.SUBMITTED)}


def _target_areas(types: set[str]) -> dict[str, int | None]:
    codes = {t: taxonomy().event_types[t].target_area for t in types}
    ids = dict(TargetArea.objects.filter(code__in={c for c in codes.values() if c})
               .values_list("code", "id"))
    return {t: ids.get(code) if code else None for t, code in codes.items()}


def _audit_values(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime | date) else v
            for k, v in values.items()}


def events_import(text: str, mapping: Mapping | None = None, *, actor: Any = None,
                  dry_run: bool = False, source: str = "cli", file: str = "REPORTS.csv",
                  progress: Progress | None = None) -> ImportSummary:
    """Check every row of an export, then create and update events all together or not at all.

    `actor` None means the server operator on the command line; any other actor needs the
    coordinator's `event.handle` on the unit of every row. Problems go in the summary (none
    is raised); with any of them, or with `dry_run`, nothing is written.
    """
    mapping = mapping or DEFAULT_MAPPING
    report = progress or (lambda stage, done, total: None)
    summary = ImportSummary(dry_run=dry_run)
    columns, rows = _read(text, mapping, summary)
    if columns is None:
        return summary
    summary.rows = total = len(rows)
    checker = _Checker(mapping, actor, {u.code: u for u in OrgUnit.objects.all()})
    reports: dict[tuple[int, str], _Report] = {}
    for done, (number, cells) in enumerate(rows, start=1):
        found = checker.row(number, cells, columns, summary)
        if found is not None:
            key = (found.unit.pk, found.reference)
            first = reports.get(key)
            if first is not None:
                summary.add(ImportProblem(number, "reference", found.reference,
                                          KEY_DUPLICATE.format(reference=found.reference,
                                                               org=found.unit.code,
                                                               first=first.row)))
            else:
                reports[key] = found
        if done % 5000 == 0:
            report("check", done, total)
    report("check", total, total)
    if summary.problem_count:
        return summary

    # One query for everything stored under the same keys.
    unit_ids = {unit_id for unit_id, _reference in reports}
    stored: dict[tuple[int, str], dict[str, Any]] = {}
    for row in Event.objects.filter(org_unit_id__in=unit_ids).values(
            "id", "org_unit_id", "reference", "source", "version", *COMPARED).iterator(
            chunk_size=5000):
        key = (row["org_unit_id"], row["reference"])
        if key in reports:
            stored[key] = row
    to_create: list[_Report] = []
    to_update: list[tuple[_Report, dict[str, Any], Change]] = []
    for key, found in reports.items():
        old = stored.get(key)
        summary.identity_numbers_masked += found.values["identity_numbers_masked"]
        if old is None:
            to_create.append(found)
            continue
        if old["source"] != EventSource.IMPORT:
            summary.add(ImportProblem(found.row, "reference", found.reference,
                                      NOT_AN_IMPORT.format(reference=found.reference,
                                                           org=found.unit.code)))
            continue
        changed = [f for f in COMPARED if old[f] != found.values[f]]
        if not changed:
            summary.unchanged += 1
            continue
        change = Change(found.row, found.unit.code, found.reference,
                        before=_audit_values({f: old[f] for f in changed}),
                        after=_audit_values({f: found.values[f] for f in changed}))
        to_update.append((found, old, change))
        if len(summary.changes) < CHANGE_LIMIT:
            summary.changes.append(change)
    if summary.problem_count:
        summary.identity_numbers_masked = summary.unchanged = 0
        summary.changes = []
        return summary
    summary.created, summary.updated = len(to_create), len(to_update)
    if dry_run or not (to_create or to_update):
        return summary
    try:
        with transaction.atomic():
            _write(to_create, to_update, actor=actor, source=source, file=file,
                   units=checker.by_code, report=report)
            audit_record(actor=actor, action="events.import", object_type="events.event",
                         object_repr=file[:300],
                         after={"file": file, "mapping": mapping.name, "rows": summary.rows,
                                "created": summary.created, "updated": summary.updated,
                                "unchanged": summary.unchanged,
                                "identity_numbers_masked": summary.identity_numbers_masked,
                                "units": sorted({r.unit.code for r in reports.values()})[:200]},
                         source=source)
    except IntegrityError:
        raise Conflict(CHANGED_MEANWHILE, {"field": "reference"}) from None
    if summary.created > ANALYZE_FROM and connection.vendor == "postgresql":
        # Fresh statistics, or the planner takes the grown tables for empty ones.
        with connection.cursor() as cursor:
            for model in (Event, EventTransition, EventDeadline):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
    report("write", total, total)
    return summary


def _write(to_create: list[_Report], to_update: list[tuple[_Report, dict[str, Any], Change]],
           *, actor: Any, source: str, file: str, units: dict[str, OrgUnit],
           report: Progress) -> None:
    now = timezone.now()
    types = taxonomy().event_types
    areas = _target_areas({r.values["event_type"] for r in to_create}
                          | {r.values["event_type"] for r, _old, _change in to_update})
    deadlines = _Deadlines(units)
    user = actor if getattr(actor, "is_authenticated", False) else None
    user_id = user.pk if user is not None else None
    note = IMPORTED_NOTE.format(file=file)
    total = len(to_create) + len(to_update)
    done = 0

    for batch in _batches(to_create):
        rows = [{
            "org_unit_id": r.unit.pk, "reference": r.reference,
            "category": types[r.values["event_type"]].group,
            "target_area_id": areas[r.values["event_type"]],
            "outcome_reported": r.values["outcome"], "reporter_kind": ReporterKind.UNKNOWN,
            "reporter_id": None, "anonymous": False, "source": EventSource.IMPORT,
            **r.values} for r in batch]
        ids = bulk_insert(Event, rows)
        bulk_insert(EventTransition, [
            {"event_id": pk, "from_status": "", "to_status": row["status"],
             "actor_id": user_id, "note": note, "at": row["reported_at"]}
            for pk, row in zip(ids, rows, strict=True)])
        bulk_insert(EventDeadline, [
            {"event_id": pk, "code": code, "due_at": due, "met_at": None}
            for pk, r in zip(ids, batch, strict=True)
            for code, due in deadlines.wanted(r.unit, r.values).items()])
        audit_record_bulk(actor=actor, source=source, entries=[
            AuditEntry(action="event.imported", object_type="events.event",
                       object_id=str(pk), object_repr=r.reference, org_path=r.unit.path,
                       after=_audit_values({f: row[f] for f in AUDITED}))
            for pk, r, row in zip(ids, batch, rows, strict=True)])
        done += len(batch)
        report("write", done, total)

    for batch in _batches(to_update):
        bulk_change(Event, [
            {"pk": old["id"], "category": types[r.values["event_type"]].group,
             "target_area_id": areas[r.values["event_type"]],
             "outcome_reported": r.values["outcome"], "version": old["version"] + 1,
             "updated_at": now, **r.values} for r, old, _change in batch],
            [*COMPARED, "category", "target_area_id", "outcome_reported",
             "identity_numbers_masked", "version", "updated_at"])
        bulk_insert(EventTransition, [
            {"event_id": old["id"], "from_status": old["status"],
             "to_status": r.values["status"], "actor_id": user_id, "note": note, "at": now}
            for r, old, _change in batch if old["status"] != r.values["status"]])
        # Deadlines follow the new status and outcome: unmet ones no longer due go, new
        # ones start; met ones stay as history.
        ids = [old["id"] for _report, old, _change in batch]
        existing: dict[int, dict[str, EventDeadline]] = {}
        for deadline in EventDeadline.objects.filter(event_id__in=ids):
            existing.setdefault(deadline.event_id, {})[deadline.code] = deadline
        drop, add = [], []
        for r, old, _change in batch:
            wanted = deadlines.wanted(r.unit, r.values)
            have = existing.get(old["id"], {})
            drop += [d.pk for code, d in have.items() if code not in wanted and d.met_at is None]
            add += [{"event_id": old["id"], "code": code, "due_at": due, "met_at": None}
                    for code, due in wanted.items() if code not in have]
        EventDeadline.objects.filter(pk__in=drop).delete()
        bulk_insert(EventDeadline, add)
        audit_record_bulk(actor=actor, source=source, entries=[
            AuditEntry(action="event.import_updated", object_type="events.event",
                       object_id=str(old["id"]), object_repr=r.reference,
                       org_path=r.unit.path, before=change.before, after=change.after)
            for r, old, change in batch])
        done += len(batch)
        report("write", done, total)
