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

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehands.audit.services import AuditEntry, audit_record, audit_record_bulk
from safehands.catalogue.models import TargetArea
from safehands.core.bulk import bulk_change, bulk_insert
from safehands.core.errors import Conflict
from safehands.events.content import taxonomy
from safehands.events.import_rows import (
    CHANGE_LIMIT,
    KEY_DUPLICATE,
    NOT_AN_IMPORT,
    Change,
    ImportRow,
    ImportSummary,
    RowChecker,
    read_rows,
)
from safehands.events.mapping import (
    DEFAULT_MAPPING,
    Mapping,
)
from safehands.events.models import (
    OPEN_STATUSES,
    Event,
    EventDeadline,
    EventSource,
    EventTransition,
    ReporterKind,
    Status,
)
from safehands.orgs.models import PATH_SEPARATOR, OrgUnit
from safehands.orgs.services import ImportProblem

BATCH = 2000
ANALYZE_FROM = 50_000  # rows created
CHANGED_MEANWHILE = _("Reports of these units were changed while the file was being imported; "
                      "nothing was imported. Run the import again.")
IMPORTED_NOTE = "Imported from {file}."

Progress = Callable[[str, int, int], None]



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
    columns, rows = read_rows(text, mapping, summary)
    if columns is None:
        return summary
    summary.rows = total = len(rows)
    checker = RowChecker(mapping, actor, {u.code: u for u in OrgUnit.objects.all()})
    reports: dict[tuple[int, str], ImportRow] = {}
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
    to_create: list[ImportRow] = []
    to_update: list[tuple[ImportRow, dict[str, Any], Change]] = []
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


def _write(to_create: list[ImportRow], to_update: list[tuple[ImportRow, dict[str, Any], Change]],
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


