"""Reads of the org tree. Never writes; every listing is already filtered by access."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from safehands.core.errors import NotFound
from safehands.orgs.access import PERMISSIONS, can, org_units_permitted, user_grants
from safehands.orgs.models import PATH_SEPARATOR, ROLE_RANK, Membership, OrgUnit

ORG_UNIT_UNKNOWN = "There is no org unit with code '{code}'."


def org_unit_get(*, code: str) -> OrgUnit:
    unit = OrgUnit.objects.select_related("parent").filter(code=code).first()
    if unit is None:
        raise NotFound(ORG_UNIT_UNKNOWN.format(code=code), {"code": code})
    return unit


def org_unit_list(*, user: Any, permission: str = "org.view",
                  under: OrgUnit | None = None) -> QuerySet[OrgUnit]:
    units = org_units_permitted(user, permission).select_related("parent")
    if under is not None:
        units = units.filter(path__startswith=under.path)
    return units.order_by("path")


def org_units_top_permitted(*, user: Any, permission: str = "org.view") -> QuerySet[OrgUnit]:
    """The highest units the user may reach: where their navigation starts."""
    if user.is_superuser or PERMISSIONS[permission].role is None:
        return OrgUnit.objects.filter(parent__isnull=True)
    needed = ROLE_RANK[PERMISSIONS[permission].role]
    paths = sorted({path for path, rank in user_grants(user) if rank >= needed})
    tops = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
    return OrgUnit.objects.filter(path__in=tops).order_by("path")


def org_unit_children(*, unit: OrgUnit) -> QuerySet[OrgUnit]:
    return unit.children.order_by("name")


def org_unit_ancestors(*, unit: OrgUnit, user: Any = None,
                       permission: str | None = None) -> list[OrgUnit]:
    """From the root down to the parent, in one query.

    With a user and a permission, only the ancestors that user may open with it: breadcrumbs
    must not lead a unit's team to pages that refuse them.
    """
    codes = unit.path.rstrip(PATH_SEPARATOR).split(PATH_SEPARATOR)[:-1]
    found = {u.code: u for u in OrgUnit.objects.filter(code__in=codes)}
    ancestors = [found[c] for c in codes if c in found]
    if permission is not None:
        ancestors = [a for a in ancestors if can(user, permission, a)]
    return ancestors


def org_unit_subtree_count(*, unit: OrgUnit) -> int:
    return OrgUnit.objects.filter(path__startswith=unit.path).count() - 1


def membership_list(*, unit: OrgUnit) -> QuerySet[Membership]:
    """Memberships that reach this unit: on it or on any of its ancestors."""
    prefixes = []
    path = ""
    for code in unit.path.rstrip(PATH_SEPARATOR).split(PATH_SEPARATOR):
        path += code + PATH_SEPARATOR
        prefixes.append(path)
    return (
        Membership.objects.filter(org_unit__path__in=prefixes)
        .select_related("user", "org_unit")
        .order_by("org_unit__path", "user__username")
    )
