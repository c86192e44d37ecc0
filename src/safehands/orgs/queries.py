"""Reads of the org tree. Never writes; every listing is already filtered by access."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Min, QuerySet
from django.utils import timezone

from safehands.core.errors import NotFound
from safehands.orgs.access import PERMISSIONS, can, org_units_permitted, user_grants
from safehands.orgs.models import (
    PATH_SEPARATOR,
    ROLE_RANK,
    Membership,
    OrgUnit,
    Role,
    RoleReview,
    path_prefixes,
)

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


@dataclass(frozen=True)
class RoleReviewStatus:
    unit: OrgUnit
    memberships: int
    last_review: RoleReview | None
    due_on: datetime.date

    @property
    def overdue(self) -> bool:
        return self.due_on <= timezone.localdate()


def _review_days(days: int | None) -> int:
    return days if days is not None else int(settings.SAFEHANDS_ROLE_REVIEW_DAYS)


def role_review_status(*, unit: OrgUnit, days: int | None = None) -> RoleReviewStatus | None:
    """When the roles granted on this unit are next due for review; None without roles.

    A unit never reviewed is due from its oldest role's grant date plus the interval."""
    granted = Membership.objects.filter(org_unit=unit).aggregate(n=Count("id"),
                                                                 first=Min("created_at"))
    if not granted["n"]:
        return None
    last = RoleReview.objects.filter(org_unit=unit).select_related("reviewed_by").first()
    since = last.reviewed_at if last else granted["first"]
    due = timezone.localtime(since).date() + datetime.timedelta(days=_review_days(days))
    return RoleReviewStatus(unit=unit, memberships=granted["n"], last_review=last, due_on=due)


def role_reviews_due(*, days: int | None = None,
                     today: datetime.date | None = None) -> list[RoleReviewStatus]:
    """Every unit with roles whose review is due by `today`, oldest first: three queries."""
    today = today or timezone.localdate()
    interval = datetime.timedelta(days=_review_days(days))
    granted = {row["org_unit"]: row for row in Membership.objects.values("org_unit").annotate(
        n=Count("id"), first=Min("created_at"))}
    reviewed = dict(RoleReview.objects.filter(org_unit__in=granted).values("org_unit")
                    .annotate(last=Max("reviewed_at")).values_list("org_unit", "last"))
    due_ids = {}
    for unit_id, row in granted.items():
        due = timezone.localtime(reviewed.get(unit_id) or row["first"]).date() + interval
        if due <= today:
            due_ids[unit_id] = due
    units = OrgUnit.objects.in_bulk(list(due_ids))
    latest = {r.org_unit_id: r for r in RoleReview.objects.filter(org_unit__in=due_ids)
              .select_related("reviewed_by").order_by("org_unit", "-reviewed_at")}
    return sorted((RoleReviewStatus(unit=units[pk], memberships=granted[pk]["n"],
                                    last_review=latest.get(pk), due_on=due)
                   for pk, due in due_ids.items()), key=lambda s: (s.due_on, s.unit.code))


def role_reviewers(*, unit: OrgUnit) -> list[Any]:
    """Who is asked to review the roles of a unit: its administrators, or the nearest above."""
    by_path: dict[str, list[Any]] = {}
    for membership in Membership.objects.filter(
            org_unit__path__in=path_prefixes(unit.path), role=Role.ADMIN,
            user__is_active=True).select_related("user", "org_unit"):
        by_path.setdefault(membership.org_unit.path, []).append(membership.user)
    for prefix in reversed(path_prefixes(unit.path)):
        if prefix in by_path:
            return by_path[prefix]
    return []
