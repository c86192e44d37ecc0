"""Org-tree import: all or nothing, a clear message per bad row, audited changes."""

from __future__ import annotations

import pytest

from safehands.audit.models import AuditEvent
from safehands.core.errors import AccessDenied
from safehands.orgs.models import Membership, OrgUnit
from safehands.orgs.services import (
    ROOT_NEEDS_SUPERUSER,
    membership_grant,
    membership_revoke,
    org_units_import,
)

HEADER = "code,name,kind,parent_code\n"


def problems(summary):
    return [(p.row, p.field, p.message) for p in summary.problems]


def test_import_builds_paths_and_depths(tree):
    assert tree["W1"].path == "NO/R1/T1/H1/W1/"
    assert tree["W1"].depth == 4
    assert tree["NO"].parent is None


def test_reimporting_the_same_file_changes_nothing(tree):
    from tests.conftest import TREE_CSV

    before = AuditEvent.objects.count()
    summary = org_units_import(text=TREE_CSV, actor=None)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 12)
    assert AuditEvent.objects.count() == before


def test_unknown_parent_names_row_and_field_and_changes_nothing(tree):
    text = HEADER + "W9,Ward Nine,unit,H1\nW8,Ward Eight,unit,NOPE\n"
    summary = org_units_import(text=text, actor=None)
    assert problems(summary) == [
        (3, "parent_code", "Parent 'NOPE' is neither in the file nor in the database.")]
    assert not OrgUnit.objects.filter(code="W9").exists()


def test_duplicate_codes_in_the_file_are_refused(db):
    text = HEADER + "NO,Norway,national,\nA,A,region,NO\nA,Again,region,NO\n"
    summary = org_units_import(text=text, actor=None)
    assert problems(summary) == [
        (4, "code", "Code 'A' appears more than once in the file (first on row 3).")]
    assert OrgUnit.objects.count() == 0


def test_a_cycle_is_refused_and_named(tree):
    text = HEADER + "X1,X one,unit,X2\nX2,X two,unit,X1\n"
    summary = org_units_import(text=text, actor=None)
    assert problems(summary)[0] == (
        2, "parent_code", "Parent 'X2' would make a cycle: X1 → X2 → X1.")
    assert not OrgUnit.objects.filter(code__in=["X1", "X2"]).exists()


def test_moving_a_unit_under_its_own_child_is_a_cycle(tree):
    summary = org_units_import(text=HEADER + "H1,Hospital One,hospital,W1\n", actor=None)
    assert problems(summary)[0][1] == "parent_code"
    assert "cycle" in problems(summary)[0][2]
    tree["H1"].refresh_from_db()
    assert tree["H1"].parent.code == "T1"


def test_bad_kind_bad_code_and_empty_name_are_all_reported_at_once(tree):
    text = HEADER + "ok-1,,unit,H1\nbad code,Bad,unit,H1\nW7,Ward,ward,H1\n"
    summary = org_units_import(text=text, actor=None)
    fields = [(row, field) for row, field, _ in problems(summary)]
    assert fields == [(2, "name"), (3, "code"), (4, "kind")]
    assert "is not an org-unit kind" in problems(summary)[2][2]


def test_missing_columns_are_named(db):
    summary = org_units_import(text="code,name\nA,B\n", actor=None)
    assert problems(summary) == [
        (1, "kind,parent_code",
         "The file lacks the column(s) kind, parent_code; it needs code, name, kind, "
         "parent_code.")]


def test_second_root_is_refused(tree):
    summary = org_units_import(text=HEADER + "SE,Sweden,national,\n", actor=None)
    assert "second root" in problems(summary)[0][2]


def test_moving_a_unit_moves_its_subtree_paths(tree):
    summary = org_units_import(text=HEADER + "H1,Hospital One,hospital,T2\n", actor=None)
    assert not summary.problems and summary.updated == 1
    ward = OrgUnit.objects.get(code="W1")
    assert ward.path == "NO/R2/T2/H1/W1/"
    assert AuditEvent.objects.filter(action="orgs.org_unit.move", object_repr="Ward One").exists()


def test_dry_run_counts_but_changes_nothing(tree):
    summary = org_units_import(text=HEADER + "W9,Ward Nine,unit,H1\n", actor=None, dry_run=True)
    assert summary.created == 1 and summary.as_dict()["status"] == "dry_run"
    assert not OrgUnit.objects.filter(code="W9").exists()


def test_every_change_is_audited_with_before_and_after(tree, make_user):
    admin = make_user("t1admin", ("T1", "admin"))
    org_units_import(text=HEADER + "W1,Ward One (renamed),unit,H1\n", actor=admin)
    event = AuditEvent.objects.get(action="orgs.org_unit.update")
    assert event.actor_username == "t1admin"
    assert event.before["name"] == "Ward One"
    assert event.after["name"] == "Ward One (renamed)"
    assert event.org_path == "NO/R1/T1/H1/W1/"


def test_an_actor_may_import_only_under_units_they_administer(tree, make_user):
    admin = make_user("t1admin", ("T1", "admin"))
    text = HEADER + "W9,Ward Nine,unit,H1\nW10,Ward Ten,unit,H2\n"
    summary = org_units_import(text=text, actor=admin)
    assert problems(summary) == [(3, "parent_code", "You do not have access to this org unit.")]
    assert not OrgUnit.objects.filter(code="W9").exists()


def test_only_a_superuser_creates_or_changes_the_root(tree, make_user):
    admin = make_user("natadmin", ("NO", "admin"))
    summary = org_units_import(text=HEADER + "NO,Norge,national,\n", actor=admin)
    assert problems(summary)[0][2] == ROOT_NEEDS_SUPERUSER


def test_membership_grant_replaces_role_and_is_audited(tree, make_user):
    admin = make_user("r1admin", ("R1", "admin"))
    nurse = make_user("nurse")
    membership_grant(user=nurse, org_unit=tree["W1"], role="viewer", actor=admin)
    membership_grant(user=nurse, org_unit=tree["W1"], role="reporter", actor=admin)
    assert Membership.objects.get(user=nurse).role == "reporter"
    events = AuditEvent.objects.filter(action="orgs.membership.grant").order_by("id")
    assert [e.after["role"] for e in events] == ["viewer", "reporter"]
    assert events[1].before["role"] == "viewer"


def test_membership_grant_needs_admin_on_the_unit(tree, make_user):
    coordinator = make_user("coord", ("R1", "coordinator"))
    with pytest.raises(AccessDenied):
        membership_grant(user=make_user("n"), org_unit=tree["W1"], role="viewer",
                         actor=coordinator)
    assert not Membership.objects.filter(user__username="n").exists()


def test_membership_revoke_removes_access(tree, make_user):
    from safehands.orgs.access import can

    nurse = make_user("nurse", ("W1", "reporter"))
    assert can(nurse, "org.view", tree["W1"])
    membership_revoke(membership=nurse.memberships.get(), actor=None, source="cli")
    assert not can(nurse, "org.view", tree["W1"])
    assert AuditEvent.objects.filter(action="orgs.membership.revoke").count() == 1
