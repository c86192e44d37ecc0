"""Writes on the org tree and memberships: validated, atomic and audited."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from safehands.audit.services import audit_record, snapshot
from safehands.core.csvtext import csv_open, csv_unreadable
from safehands.core.errors import DomainError
from safehands.core.tables import csv_writer, unescape_cell
from safehands.orgs.access import authorize, forget_grants
from safehands.orgs.models import (
    CODE_PATTERN,
    PATH_SEPARATOR,
    Membership,
    OrgKind,
    OrgUnit,
    Role,
    RoleReview,
)
from safehands.orgs.signals import org_units_moved

ORG_CSV_COLUMNS = ("code", "name", "kind", "parent_code")
ORG_CSV_OPTIONAL = ("name_nb",)

IMPORT_MISSING_COLUMNS = "The file lacks the column(s) {columns}; it needs {required}."
IMPORT_EMPTY = "The file has no rows."
CODE_INVALID = (
    "'{value}' is not a valid code: use 1-40 letters, digits, '.', '_' or '-', "
    "starting with a letter or digit."
)
CODE_DUPLICATE = "Code '{value}' appears more than once in the file (first on row {first})."
NAME_MISSING = "The name is empty."
KIND_INVALID = "'{value}' is not an org-unit kind; use one of {kinds}."
PARENT_UNKNOWN = "Parent '{value}' is neither in the file nor in the database."
PARENT_CYCLE = "Parent '{value}' would make a cycle: {cycle}."
ROOT_EXISTS = "A row without parent_code would make a second root; the tree has '{root}'."
ROOT_KIND = "Only a national unit can be a root (it has no parent_code)."
MOVE_ROOT = "The root unit '{value}' cannot be given a parent."
IMPORT_INVALID = "Nothing was imported: the file has {count} problem(s)."
MEMBERSHIP_ROLE_INVALID = "'{value}' is not a role; use one of {roles}."


@dataclass(frozen=True)
class ImportProblem:
    row: int
    field: str
    value: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "value": self.value, "message": self.message}


@dataclass
class OrgImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    problems: list[ImportProblem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": "invalid" if self.problems else ("dry_run" if self.dry_run else "applied"),
            "dry_run": self.dry_run,
            "counts": {"created": self.created, "updated": self.updated,
                       "unchanged": self.unchanged},
            "problems": [p.as_dict() for p in self.problems],
        }


@dataclass(frozen=True)
class _Row:
    number: int
    code: str
    name: str
    name_nb: str
    kind: str
    parent_code: str


def _read_rows(text: str) -> tuple[list[_Row], list[ImportProblem]]:
    reader = csv.DictReader(csv_open(text))
    rows = []
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in ORG_CSV_COLUMNS if c not in header]
        if missing:
            return [], [ImportProblem(1, ",".join(missing), "", IMPORT_MISSING_COLUMNS.format(
                columns=", ".join(missing), required=", ".join(ORG_CSV_COLUMNS)))]
        reader.fieldnames = header
        # Row numbers count the header as row 1, as a spreadsheet shows them.
        for number, raw in enumerate(reader, start=2):
            def get(name: str, raw: dict = raw) -> str:
                return unescape_cell((raw.get(name) or "").strip())

            rows.append(_Row(number, get("code"), get("name"), get("name_nb"), get("kind"),
                             get("parent_code")))
    except csv.Error as error:
        return [], [ImportProblem(reader.line_num, "", "",
                                  csv_unreadable(error, reader.line_num))]
    if not rows:
        return [], [ImportProblem(1, "", "", IMPORT_EMPTY)]
    return rows, []


def _check_rows(rows: list[_Row], existing: dict[str, OrgUnit]) -> list[ImportProblem]:
    problems: list[ImportProblem] = []
    first_row: dict[str, int] = {}
    kinds = ", ".join(OrgKind.values)
    for row in rows:
        if not re.match(CODE_PATTERN, row.code):
            problems.append(ImportProblem(row.number, "code", row.code,
                                          CODE_INVALID.format(value=row.code)))
        elif row.code in first_row:
            problems.append(ImportProblem(row.number, "code", row.code, CODE_DUPLICATE.format(
                value=row.code, first=first_row[row.code])))
        else:
            first_row[row.code] = row.number
        if not row.name:
            problems.append(ImportProblem(row.number, "name", "", NAME_MISSING))
        if row.kind not in OrgKind.values:
            problems.append(ImportProblem(row.number, "kind", row.kind,
                                          KIND_INVALID.format(value=row.kind, kinds=kinds)))
    if problems:
        return problems

    parents = {code: (u.parent.code if u.parent_id else "") for code, u in existing.items()}
    parents.update({row.code: row.parent_code for row in rows})
    roots = [code for code, parent in parents.items() if not parent]
    stored_root = next((c for c, u in existing.items() if u.parent_id is None), None)
    for row in rows:
        if not row.parent_code:
            if stored_root and stored_root != row.code:
                problems.append(ImportProblem(row.number, "parent_code", "",
                                              ROOT_EXISTS.format(root=stored_root)))
            elif row.kind != OrgKind.NATIONAL:
                problems.append(ImportProblem(row.number, "parent_code", "", ROOT_KIND))
            continue
        if row.code == stored_root:
            problems.append(ImportProblem(row.number, "parent_code", row.parent_code,
                                          MOVE_ROOT.format(value=row.code)))
            continue
        if row.parent_code not in parents:
            problems.append(ImportProblem(row.number, "parent_code", row.parent_code,
                                          PARENT_UNKNOWN.format(value=row.parent_code)))
            continue
        chain, code = [row.code], row.parent_code
        while code and code not in chain and code in parents:
            chain.append(code)
            code = parents[code]
        if code in chain:
            cycle = " → ".join([*chain[chain.index(code):], code])
            problems.append(ImportProblem(row.number, "parent_code", row.parent_code,
                                          PARENT_CYCLE.format(value=row.parent_code, cycle=cycle)))
    if not problems and len(roots) > 1:
        for row in rows:
            if not row.parent_code and row.code != roots[0]:
                problems.append(ImportProblem(row.number, "parent_code", "",
                                              ROOT_EXISTS.format(root=roots[0])))
    return problems


def _paths(parents: dict[str, str]) -> dict[str, str]:
    paths: dict[str, str] = {}

    def path_of(code: str) -> str:
        if code not in paths:
            parent = parents[code]
            paths[code] = (path_of(parent) if parent else "") + code + PATH_SEPARATOR
        return paths[code]

    for code in parents:
        path_of(code)
    return paths


ROOT_NEEDS_SUPERUSER = "Only a system administrator can create or change the root unit."


def _check_edit_rights(
    actor: Any, changes: list[tuple[_Row, OrgUnit | None]], parents: dict[str, str],
    existing: dict[str, OrgUnit],
) -> list[ImportProblem]:
    """The actor needs org.edit on each changed unit and on the stored unit it goes under."""
    problems = []
    for row, unit in changes:
        if not row.parent_code and not actor.is_superuser:
            problems.append(ImportProblem(row.number, "parent_code", "", ROOT_NEEDS_SUPERUSER))
            continue
        anchor = row.parent_code
        while anchor and anchor not in existing:
            anchor = parents[anchor]
        for checked, field_name in ((existing.get(anchor), "parent_code"), (unit, "code")):
            if checked is None:
                continue
            try:
                authorize(actor, "org.edit", checked)
            except DomainError as denied:
                problems.append(ImportProblem(row.number, field_name, checked.code,
                                              denied.message))
                break
    return problems


def org_units_import(
    *, text: str, actor: Any, dry_run: bool = False, source: str = "import",
    filename: str = "",
) -> OrgImportSummary:
    """Create or update org units from CSV text, all or nothing.

    `actor` None means the operator on the server's command line. Any other actor needs the
    org.edit permission on every unit they create, change or move a unit under.
    """
    rows, problems = _read_rows(text)
    summary = OrgImportSummary(dry_run=dry_run)
    if problems:
        summary.problems = problems
        return summary
    existing = {u.code: u for u in OrgUnit.objects.select_related("parent")}
    summary.problems = _check_rows(rows, existing)
    if summary.problems:
        return summary

    parents = {code: (u.parent.code if u.parent_id else "") for code, u in existing.items()}
    parents.update({row.code: row.parent_code for row in rows})
    paths = _paths(parents)
    changes: list[tuple[_Row, OrgUnit | None]] = []
    for row in rows:
        unit = existing.get(row.code)
        if unit is None:
            summary.created += 1
        elif (unit.name, unit.name_nb, unit.kind, parents[row.code], unit.path) != (
            row.name, row.name_nb, row.kind, unit.parent.code if unit.parent_id else "",
            paths[row.code],
        ):
            summary.updated += 1
        else:
            summary.unchanged += 1
            continue
        changes.append((row, unit))
    if actor is not None:
        summary.problems = _check_edit_rights(actor, changes, parents, existing)
        if summary.problems:
            summary.created = summary.updated = summary.unchanged = 0
            return summary
    if dry_run or not changes:
        return summary

    moved = sorted(code for code, unit in existing.items() if unit.path != paths[code])
    with transaction.atomic():
        by_code = dict(existing)
        # Parents first, so every foreign key points at a saved row.
        for row, unit in sorted(changes, key=lambda c: paths[c[0].code].count(PATH_SEPARATOR)):
            before = snapshot(unit) if unit else None
            unit = unit or OrgUnit(code=row.code)
            unit.name, unit.name_nb, unit.kind = row.name, row.name_nb, row.kind
            unit.parent = by_code.get(row.parent_code) if row.parent_code else None
            unit.path = paths[row.code]
            unit.depth = paths[row.code].count(PATH_SEPARATOR) - 1
            unit.save()
            by_code[row.code] = unit
            audit_record(
                actor=actor, action="orgs.org_unit." + ("update" if before else "create"),
                target=unit, org_path=unit.path, before=before, after=snapshot(unit),
                source=source,
            )
        # Units below a moved unit keep their parent but get a new path.
        for code, unit in existing.items():
            if unit.path != paths[code] and code not in {r.code for r, _ in changes}:
                before = snapshot(unit, ["path", "depth"])
                unit.path = paths[code]
                unit.depth = paths[code].count(PATH_SEPARATOR) - 1
                unit.save(update_fields=["path", "depth"])
                audit_record(actor=actor, action="orgs.org_unit.move", target=unit,
                             org_path=unit.path, before=before,
                             after=snapshot(unit, ["path", "depth"]), source=source)
        if moved:
            org_units_moved.send(sender=OrgUnit, codes=moved)
    return summary


@transaction.atomic
def membership_grant(
    *, user: Any, org_unit: OrgUnit, role: str, actor: Any, source: str = "web"
) -> Membership:
    """Give `user` a role over `org_unit` and its subtree (replacing an earlier role there)."""
    if role not in Role.values:
        raise DomainError(MEMBERSHIP_ROLE_INVALID.format(value=role, roles=", ".join(Role.values)),
                          {"field": "role"})
    if actor is not None:
        authorize(actor, "membership.manage", org_unit)
    membership = Membership.objects.filter(user=user, org_unit=org_unit).first()
    before = snapshot(membership) if membership else None
    if membership is None:
        membership = Membership(user=user, org_unit=org_unit)
    membership.role = role
    membership.save()
    forget_grants(user)
    audit_record(actor=actor, action="orgs.membership.grant", target=membership,
                 org_path=org_unit.path, before=before, after=snapshot(membership), source=source)
    return membership


@transaction.atomic
def membership_revoke(*, membership: Membership, actor: Any, source: str = "web") -> None:
    if actor is not None:
        authorize(actor, "membership.manage", membership.org_unit)
    before = snapshot(membership)
    audit_record(actor=actor, action="orgs.membership.revoke", target=membership,
                 org_path=membership.org_unit.path, before=before, source=source)
    membership.delete()
    forget_grants(membership.user)


@transaction.atomic
def role_review_record(*, org_unit: OrgUnit, actor: Any, note: str = "",
                       source: str = "web") -> RoleReview:
    """Record that the roles granted on the unit were reviewed; it starts the next interval."""
    authorize(actor, "membership.manage", org_unit)
    review = RoleReview.objects.create(
        org_unit=org_unit, reviewed_by=actor, reviewed_at=timezone.now(),
        memberships=Membership.objects.filter(org_unit=org_unit).count(),
        note=(note or "").strip()[:2000])
    audit_record(actor=actor, action="orgs.roles.reviewed", target=org_unit,
                 org_path=org_unit.path, after=snapshot(review, ["memberships", "note"]),
                 source=source)
    return review


def role_review_reminders_send(*, due: list[Any], reviewers: Any,
                               base_url: str = "") -> int:
    """Mail each reviewer the units whose roles are due for review; one mail per person.

    `reviewers(unit)` names who reviews a unit (its administrators, or the nearest above).
    Returns the number of mails sent; a reviewer without an address is skipped and counted
    in the audit row, so that an operator can see who was not reached.
    """
    from django.core.mail import send_mail

    by_person: dict[Any, list[Any]] = {}
    for status in due:
        for person in reviewers(status.unit):
            by_person.setdefault(person, []).append(status)
    sent, unreachable = 0, []
    for person, statuses in sorted(by_person.items(), key=lambda item: item[0].username):
        if not person.email:
            unreachable.append(person.username)
            continue
        lines = [f"- {s.unit.name} ({s.unit.code}): {s.memberships} role(s), due "
                 f"{s.due_on:%Y-%m-%d} {base_url}/orgs/{s.unit.code}/" for s in statuses]
        send_mail(
            "Safehands: roles due for review",
            "The roles granted on these units are due for review. Open each unit, withdraw "
            "the roles nobody needs any more, and confirm the review on the page:\n\n"
            + "\n".join(lines) + "\n", None, [person.email])
        sent += 1
    audit_record(actor=None, action="orgs.roles.reminded", object_type="orgs.rolereview",
                 after={"units": [s.unit.code for s in due][:500], "mails": sent,
                        "unreachable": unreachable}, source="cli")
    return sent


def org_csv_rows(units: Iterable[OrgUnit]) -> str:
    """The tree as import-ready CSV text (the same columns the import reads)."""
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow([*ORG_CSV_COLUMNS, *ORG_CSV_OPTIONAL])
    for unit in units:
        writer.writerow([unit.code, unit.name, unit.kind,
                         unit.parent.code if unit.parent_id else "", unit.name_nb])
    return out.getvalue()
