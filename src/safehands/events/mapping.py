"""Mapping files: how to read another incident system's export (Synergi, Datix, a
spreadsheet) as Safehands report rows. A mapping renames columns, maps values (unit names to
codes, types, outcomes, statuses, a near-miss column read the right way round), gives date
formats, the time zone, the encoding and the delimiter, and defaults for absent columns. Two
ship with the package (`data/mappings/synergi.yaml` and `datix.yaml`); the comments of
`synergi.yaml` document every key.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from django.utils.translation import gettext_lazy as _

from safehands.core.errors import DomainError
from safehands.events.content import OUTCOME_ORDER, taxonomy
from safehands.events.models import (
    Status,
)

REPORT_COLUMNS = ("reference", "occurred_at", "reported_at", "org_code", "event_type",
                  "outcome", "reached_patient", "description", "status")
FIELDS = (*REPORT_COLUMNS, "near_miss")
OPTIONAL = ("reached_patient", "near_miss")
DATE_FIELDS = ("occurred_at", "reported_at")
BOOLEAN_FIELDS = ("reached_patient", "near_miss")
SHIPPED_MAPPINGS = ("synergi", "datix")
DEFAULT_TIMEZONE = "Europe/Oslo"
DELIMITERS = (",", ";", "\t", "|")
ORG_LOOKUPS = ("code", "name")
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "ja", "j", "t"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "nei", "f"})
MAPPING_UNKNOWN = _("There is no mapping '{value}': give a YAML file, or one of {shipped}.")
MAPPING_UNREADABLE = _("{file}: not a YAML mapping file ({reason}).")
MAPPING_INVALID = _("{file}: {key}: {problem}")
FILE_NOT_TEXT = _("{file}: not {encoding} text ({reason} at byte {start}); save it as UTF-8, "
                  "or say the file's encoding in the mapping (encoding: cp1252).")


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


def norm(value: Any) -> str:
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


def bool_word(value: str) -> bool | None:
    word = norm(value)
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
    elif name in BOOLEAN_FIELDS and value and bool_word(value) is None:
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
            mapped[norm(source_value)] = ours
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


