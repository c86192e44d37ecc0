"""Data-value files: CSV, JSON and FHIR R4 MeasureReport bundles. Pure Python, no Django.

All three carry the same records — org_unit, measure, period, numerator, denominator, value,
comment — so a file exported in one format imports back to exactly the same values, and
numbers are written so they read back to the same float (`rules.format_number`).

An export for someone who may not enter data on some units carries their small counts blanked
and marked (`queries.values_suppressed`): CSV gains a last column `suppressed` ("yes" on such
rows; the column is there only when a row is suppressed), a JSON record gains
`"suppressed": true`, and a FHIR report marks the missing count with the data-absent-reason
"masked". A file without suppressed rows is exactly the plain format. Reading accepts the
marks and turns each suppressed row into a conflict: it has no count to import.

Reading never raises on bad content: it returns the records it could read and one
`Conflict` per problem (row, field, value, message), so an import can report everything at
once. Rows are numbered as people count them: CSV line numbers (the header is line 1),
JSON list positions from 1, FHIR bundle entries from 1.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from safehands.core.csvtext import CsvReader
from safehands.core.tables import csv_writer, unescape_cell
from safehands.measurement import periods
from safehands.measurement.rules import format_number

FORMATS = ("csv", "json", "fhir")
COLUMNS = ("org_unit", "measure", "period", "numerator", "denominator", "value", "comment")
REQUIRED_COLUMNS = ("org_unit", "measure", "period")
MARK_COLUMN = "suppressed"

# Canonical URLs for FHIR: the measure and the org unit are named by their Safehands codes.
FHIR_MEASURE_BASE = "https://safehands.no/fhir/Measure/"
FHIR_ORG_SYSTEM = "https://safehands.no/fhir/org-unit"
FHIR_COMMENT_URL = "https://safehands.no/fhir/StructureDefinition/data-value-comment"
FHIR_ABSENT_URL = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
FHIR_MASKED = {"extension": [{"url": FHIR_ABSENT_URL, "valueCode": "masked"}]}

UNKNOWN_FORMAT = "Unknown format {fmt!r}; use csv, json or fhir."
MISSING_COLUMNS = "The header lacks the column(s) {columns}; expected {expected}."
UNKNOWN_COLUMNS = "Unknown column(s) {columns}; expected {expected}."
RAGGED_ROW = "This line has {found} cells; the header has {expected}."
BAD_JSON = "Not valid JSON: {error}."
JSON_NOT_LIST = "The file must hold a JSON list of records."
JSON_NOT_OBJECT = "Each record must be a JSON object."
BAD_FHIR = "{what}"
FHIR_NOT_BUNDLE = "The file must hold a FHIR Bundle (resourceType 'Bundle')."
FHIR_NOT_MEASURE_REPORT = "Each entry must be a MeasureReport, not {found!r}."
FHIR_NOT_SUMMARY = "Only summary MeasureReports are read, not type {found!r}."
FHIR_NO_MEASURE = "measure must be a canonical URL starting with " + FHIR_MEASURE_BASE + "."
FHIR_NO_REPORTER = "reporter.identifier must have system " + FHIR_ORG_SYSTEM + " and a value."
FHIR_BAD_PERIOD = "period start {start!r} and end {end!r} are not one reporting period."
FHIR_BAD_POPULATION = "population code {code!r} is unknown; use numerator or denominator."
FHIR_BAD_NUMBER = "{value!r} is not a number."
SUPPRESSED_ROW = ("This row was suppressed in the export (a small count of a unit the "
                  "exporting user does not report for): it has no count to import.")


@dataclass(frozen=True)
class Conflict:
    row: int
    field: str
    value: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Record:
    """One data value as read from a file: codes and numbers not yet checked."""

    row: int
    org_unit: str
    measure: str
    period: str
    numerator: Any = None
    denominator: Any = None
    value: Any = None
    comment: str = ""


@dataclass
class ReadResult:
    records: list[Record] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)


def read(text: str, fmt: str) -> ReadResult:
    if fmt == "csv":
        return _read_csv(text)
    if fmt == "json":
        return _read_json(text)
    if fmt == "fhir":
        return _read_fhir(text)
    raise ValueError(UNKNOWN_FORMAT.format(fmt=fmt))


@dataclass
class RowsResult:
    """Rows as tuples (row, org_unit, measure, period, numerator, denominator, value,
    comment): the import's fast path, a few times lighter than `Record`s."""

    rows: list[tuple]
    conflicts: list[Conflict]


def read_rows(text: str, fmt: str) -> RowsResult:
    if fmt == "csv":
        return _read_csv_rows(text)
    result = read(text, fmt)
    return RowsResult([(r.row, r.org_unit, r.measure, r.period, r.numerator, r.denominator,
                        r.value, r.comment) for r in result.records], result.conflicts)


def _read_csv_rows(text: str) -> RowsResult:
    reader = CsvReader(text)
    header = next(reader, None)
    if header is None or [h.strip() for h in header] != list(COLUMNS):
        # Anything but the standard header: the general reader words the problems.
        result = _read_csv(text)
        return RowsResult([(r.row, r.org_unit, r.measure, r.period, r.numerator,
                            r.denominator, r.value, r.comment) for r in result.records],
                          result.conflicts)
    conflicts = []
    rows = []
    width = len(COLUMNS)
    previous = reader.line_num
    for values in reader:
        line, previous = previous + 1, reader.line_num  # a record's first line
        if len(values) == width:
            rows.append((line, values[0].strip(), values[1].strip(), values[2].strip(),
                         values[3], values[4], values[5], unescape_cell(values[6])))
        elif values:
            conflicts.append(Conflict(line, "row", ",".join(values), RAGGED_ROW.format(
                found=len(values), expected=width)))
    return RowsResult(rows, conflicts)


def write(rows: list[dict[str, Any]], fmt: str) -> str:
    """rows: dicts with the COLUMNS keys, numbers as float or None."""
    if fmt == "csv":
        return _write_csv(rows)
    if fmt == "json":
        return _write_json(rows)
    if fmt == "fhir":
        return _write_fhir(rows)
    raise ValueError(UNKNOWN_FORMAT.format(fmt=fmt))


# --- CSV -----------------------------------------------------------------------------------

def _read_csv(text: str) -> ReadResult:
    result = ReadResult()
    reader = CsvReader(text)
    header = next(reader, None)
    if header is None:
        result.conflicts.append(Conflict(1, "header", "", MISSING_COLUMNS.format(
            columns=", ".join(REQUIRED_COLUMNS), expected=", ".join(COLUMNS))))
        return result
    header = [h.strip() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS and c != MARK_COLUMN]
    if missing or unknown:
        message = (MISSING_COLUMNS.format(columns=", ".join(missing), expected=", ".join(COLUMNS))
                   if missing else UNKNOWN_COLUMNS.format(columns=", ".join(unknown),
                                                          expected=", ".join(COLUMNS)))
        result.conflicts.append(Conflict(1, "header", ",".join(header), message))
        return result
    width = len(header)
    previous = reader.line_num
    for cells in reader:
        line, previous = previous + 1, reader.line_num  # a record's first line
        if not cells:
            continue
        if len(cells) != width:
            result.conflicts.append(Conflict(line, "row", ",".join(cells), RAGGED_ROW.format(
                found=len(cells), expected=width)))
            continue
        cell = dict(zip(header, cells, strict=True))
        if cell.get(MARK_COLUMN, "").strip():
            result.conflicts.append(Conflict(line, MARK_COLUMN, cell[MARK_COLUMN],
                                             SUPPRESSED_ROW))
            continue
        result.records.append(Record(
            row=line, org_unit=cell["org_unit"].strip(), measure=cell["measure"].strip(),
            period=cell["period"].strip(), numerator=cell.get("numerator"),
            denominator=cell.get("denominator"), value=cell.get("value"),
            comment=unescape_cell(cell.get("comment", ""))))
    return result


def _write_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    marked = any(row.get(MARK_COLUMN) for row in rows)
    writer.writerow((*COLUMNS, MARK_COLUMN) if marked else COLUMNS)
    for row in rows:
        cells = [row["org_unit"], row["measure"], row["period"],
                 format_number(row["numerator"]), format_number(row["denominator"]),
                 format_number(row["value"]), row["comment"]]
        if marked:
            cells.append("yes" if row.get(MARK_COLUMN) else "")
        writer.writerow(cells)
    return out.getvalue()


# --- JSON ----------------------------------------------------------------------------------

def _read_json(text: str) -> ReadResult:
    result = ReadResult()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        result.conflicts.append(Conflict(error.lineno, "file", "", BAD_JSON.format(
            error=error.msg)))
        return result
    if not isinstance(data, list):
        result.conflicts.append(Conflict(0, "file", "", JSON_NOT_LIST))
        return result
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            result.conflicts.append(Conflict(number, "record", str(item)[:80], JSON_NOT_OBJECT))
            continue
        if item.get(MARK_COLUMN):
            result.conflicts.append(Conflict(number, MARK_COLUMN, str(item[MARK_COLUMN]),
                                             SUPPRESSED_ROW))
            continue
        unknown = [k for k in item if k not in COLUMNS and k != MARK_COLUMN]
        if unknown:
            result.conflicts.append(Conflict(number, unknown[0], str(item[unknown[0]]),
                                             UNKNOWN_COLUMNS.format(columns=", ".join(unknown),
                                                                    expected=", ".join(COLUMNS))))
            continue
        result.records.append(Record(
            row=number, org_unit=str(item.get("org_unit") or "").strip(),
            measure=str(item.get("measure") or "").strip(),
            period=str(item.get("period") or "").strip(), numerator=item.get("numerator"),
            denominator=item.get("denominator"), value=item.get("value"),
            comment=str(item.get("comment") or "")))
    return result


def _json_number(number: float | None) -> int | float | None:
    if number is None:
        return None
    return int(number) if number.is_integer() and abs(number) < 1e15 else number


def _write_json(rows: list[dict[str, Any]]) -> str:
    records = [{
        "org_unit": r["org_unit"], "measure": r["measure"], "period": r["period"],
        "numerator": _json_number(r["numerator"]), "denominator": _json_number(r["denominator"]),
        "value": _json_number(r["value"]), "comment": r["comment"],
        **({MARK_COLUMN: True} if r.get(MARK_COLUMN) else {}),
    } for r in rows]
    return json.dumps(records, ensure_ascii=False, indent=1) + "\n"


# --- FHIR R4 MeasureReport -----------------------------------------------------------------

def _fhir_report(row: dict[str, Any]) -> dict[str, Any]:
    period = periods.parse(row["period"])
    group: dict[str, Any] = {}
    population = []
    # A suppressed row lost its count: the numerator of a ratio (the denominator is still
    # there), else the value. FHIR marks a withheld element with data-absent-reason "masked".
    masked = bool(row.get(MARK_COLUMN))
    masked_numerator = masked and row["denominator"] is not None
    for code in ("numerator", "denominator"):
        coding = {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/measure-population",
            "code": code}]}
        if row[code] is not None:
            population.append({"code": coding, "count": _json_number(row[code])})
        elif code == "numerator" and masked_numerator:
            population.append({"code": coding, "_count": FHIR_MASKED})
    if population:
        group["population"] = population
    if row["value"] is not None:
        group["measureScore"] = {"value": _json_number(row["value"])}
    elif masked and not masked_numerator:
        group["measureScore"] = dict(FHIR_MASKED)
    report: dict[str, Any] = {
        "resourceType": "MeasureReport",
        "status": "complete",
        "type": "summary",
        "measure": FHIR_MEASURE_BASE + row["measure"],
        "reporter": {"identifier": {"system": FHIR_ORG_SYSTEM, "value": row["org_unit"]}},
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "group": [group],
    }
    if row["comment"]:
        report["extension"] = [{"url": FHIR_COMMENT_URL, "valueString": row["comment"]}]
    return report


def _write_fhir(rows: list[dict[str, Any]]) -> str:
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": _fhir_report(r)} for r in rows]}
    return json.dumps(bundle, ensure_ascii=False, indent=1) + "\n"


def _period_key(start: str, end: str) -> str | None:
    """The period key whose dates are exactly start..end, or None."""
    from datetime import date

    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except (TypeError, ValueError):
        return None
    for frequency in periods.FREQUENCIES:
        period = periods.parse(first, frequency=frequency)
        if period.start == first and period.end == last:
            return period.key
    return None


def _read_fhir(text: str) -> ReadResult:
    result = ReadResult()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        result.conflicts.append(Conflict(error.lineno, "file", "", BAD_JSON.format(
            error=error.msg)))
        return result
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        result.conflicts.append(Conflict(0, "resourceType", str(
            data.get("resourceType") if isinstance(data, dict) else type(data).__name__),
            FHIR_NOT_BUNDLE))
        return result
    for number, entry in enumerate(data.get("entry") or [], start=1):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        record = _fhir_record(number, resource, result.conflicts)
        if record is not None:
            result.records.append(record)
    return result


def _fhir_record(number: int, resource: Any, conflicts: list[Conflict]) -> Record | None:
    def bad(field_name: str, value: Any, message: str) -> None:
        conflicts.append(Conflict(number, field_name, "" if value is None else str(value),
                                  message))

    if not isinstance(resource, dict) or resource.get("resourceType") != "MeasureReport":
        found = resource.get("resourceType") if isinstance(resource, dict) else resource
        bad("resourceType", found, FHIR_NOT_MEASURE_REPORT.format(found=found))
        return None
    if resource.get("type") != "summary":
        bad("type", resource.get("type"), FHIR_NOT_SUMMARY.format(found=resource.get("type")))
        return None
    measure_url = resource.get("measure")
    if not isinstance(measure_url, str) or not measure_url.startswith(FHIR_MEASURE_BASE):
        bad("measure", measure_url, FHIR_NO_MEASURE)
        return None
    identifier = (resource.get("reporter") or {}).get("identifier") or {}
    if identifier.get("system") != FHIR_ORG_SYSTEM or not identifier.get("value"):
        bad("reporter", identifier.get("value"), FHIR_NO_REPORTER)
        return None
    period = resource.get("period") or {}
    key = _period_key(period.get("start"), period.get("end"))
    if key is None:
        bad("period", f"{period.get('start')}..{period.get('end')}", FHIR_BAD_PERIOD.format(
            start=period.get("start"), end=period.get("end")))
        return None
    record = Record(row=number, org_unit=str(identifier["value"]),
                    measure=measure_url[len(FHIR_MEASURE_BASE):], period=key)
    groups = resource.get("group") or [{}]
    group = groups[0] if isinstance(groups[0], dict) else {}
    if _masked(group.get("measureScore")) or any(
            _masked(p.get("_count")) for p in group.get("population") or []
            if isinstance(p, dict)):
        bad(MARK_COLUMN, "masked", SUPPRESSED_ROW)
        return None
    for population in group.get("population") or []:
        codings = ((population.get("code") or {}).get("coding") or [{}])
        code = codings[0].get("code")
        if code not in ("numerator", "denominator"):
            bad("population", code, FHIR_BAD_POPULATION.format(code=code))
            return None
        setattr(record, code, population.get("count"))
    if "measureScore" in group:
        record.value = (group.get("measureScore") or {}).get("value")
    for extension in resource.get("extension") or []:
        if isinstance(extension, dict) and extension.get("url") == FHIR_COMMENT_URL:
            record.comment = str(extension.get("valueString") or "")
    return record


def _masked(element: Any) -> bool:
    """Whether a FHIR element carries the data-absent-reason "masked"."""
    if not isinstance(element, dict):
        return False
    return any(isinstance(e, dict) and e.get("url") == FHIR_ABSENT_URL
               and e.get("valueCode") == "masked" for e in element.get("extension") or [])
