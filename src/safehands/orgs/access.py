"""The one permission function.

Every page, API endpoint, command and service asks `authorize` (or its yes/no twin `can`);
`org_units_permitted` applies the very same rule as a database filter for listings. A role
granted on an org unit holds for its whole subtree; a higher role includes the lower ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from safehands.core.errors import AccessDenied
from safehands.orgs.models import ROLE_RANK, Membership, OrgUnit, Role

# Says only that access is refused: naming the unit would tell someone outside it what exists.
NO_ACCESS_TO_UNIT = _("You do not have access to this org unit.")
NEEDS_ROLE = _("This needs the {role} role for {unit}.")
NEEDS_PROGRAMME_ADMIN = _("This needs programme-administrator rights.")
NEEDS_LOGIN = _("Please sign in first.")
UNKNOWN_PERMISSION = "Unknown permission {permission!r}."


@dataclass(frozen=True)
class Rule:
    """What a permission needs: a minimum role on the unit, or programme administration."""

    role: str | None = None
    programme_admin: bool = False
    description: str = ""


# The registry of permissions. Later capabilities add their own lines here.
PERMISSIONS: dict[str, Rule] = {
    "self.view": Rule(description="See your own identity, roles and start page (any signed-in "
                      "user)."),
    "catalogue.view": Rule(description="Browse the programme catalogue (any signed-in user)."),
    "catalogue.edit": Rule(programme_admin=True, description="Edit the programme catalogue."),
    "org.view": Rule(role=Role.VIEWER, description="See an org unit, its subtree and data."),
    "org.edit": Rule(role=Role.ADMIN, description="Create, rename or move org units."),
    "membership.view": Rule(role=Role.COORDINATOR, description="See who has access."),
    "membership.manage": Rule(role=Role.ADMIN, description="Grant and withdraw roles."),
    "audit.view": Rule(role=Role.COORDINATOR, description="Read the audit trail and the read "
                       "log of a subtree."),
    # Measurement
    "data.view": Rule(role=Role.VIEWER, description="Read measures, charts and roll-ups."),
    "data.enter": Rule(role=Role.REPORTER, description="Enter and import data values, audits "
                       "and annotations."),
    "enrolment.manage": Rule(role=Role.COORDINATOR, description="Enrol units in target areas, "
                             "set phase, aim and measures."),
    "period.lock": Rule(role=Role.COORDINATOR, description="Lock and unlock reporting periods."),
    # Harm (Global Trigger Tool)
    "gtt.view": Rule(role=Role.VIEWER, description="Read harm rates and GTT summaries."),
    "gtt.review": Rule(role=Role.REPORTER, description="Review records as a GTT team member."),
    "gtt.manage": Rule(role=Role.COORDINATOR, description="Run GTT teams, samples and periods."),
    # Safety culture
    "survey.results": Rule(role=Role.VIEWER, description="Read protected survey results."),
    "survey.manage": Rule(role=Role.COORDINATOR, description="Open, remind and close survey "
                          "rounds."),
    "survey.plan": Rule(role=Role.REPORTER, description="Record the unit's action plan after a "
                        "survey round."),
    # Self-assessment and action plans
    "assessment.view": Rule(role=Role.VIEWER, description="Read assessments and action plans."),
    "assessment.rate": Rule(role=Role.REPORTER, description="Rate an assessment as a team "
                            "member; work on actions."),
    "assessment.manage": Rule(role=Role.COORDINATOR, description="Start assessments, record "
                              "consensus, own the action plan."),
    # Patient-safety events
    "event.report": Rule(description="Report a patient-safety event (any signed-in user; the "
                         "public form needs no login)."),
    "event.view": Rule(role=Role.VIEWER, description="Read event counts, charts and analyses "
                       "(never a report's text)."),
    "event.handle": Rule(role=Role.COORDINATOR, description="Read reports in full, triage, "
                         "investigate and add actions (need-to-know: the unit and its line)."),
    "event.approve": Rule(role=Role.COORDINATOR, description="Approve the closing of a case, "
                          "send it back or re-open it."),
}


def _rule(permission: str) -> Rule:
    try:
        return PERMISSIONS[permission]
    except KeyError:
        raise ValueError(UNKNOWN_PERMISSION.format(permission=permission)) from None


def user_grants(user: Any) -> list[tuple[str, int]]:
    """(path, rank) of the user's memberships, cached on the user object for one request."""
    cached = getattr(user, "_safehands_grants", None)
    if cached is None:
        cached = [
            (path, ROLE_RANK[role])
            for path, role in Membership.objects.filter(user=user).values_list(
                "org_unit__path", "role"
            )
        ]
        user._safehands_grants = cached
    return cached


def forget_grants(user: Any) -> None:
    """Drop the cached grants after memberships change."""
    if hasattr(user, "_safehands_grants"):
        del user._safehands_grants


def _denial(user: Any, rule: Rule, org_unit: OrgUnit | None) -> str | None:
    """Why the user may not; None when they may. The single place the rule is decided."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NEEDS_LOGIN
    if user.is_superuser:
        return None
    if rule.programme_admin:
        return None if user.is_programme_admin else NEEDS_PROGRAMME_ADMIN
    if rule.role is None:
        return None
    if org_unit is None:
        raise ValueError("an org-scoped permission needs an org unit")
    needed = ROLE_RANK[rule.role]
    ranks = [rank for path, rank in user_grants(user) if org_unit.path.startswith(path)]
    if not ranks:
        return str(NO_ACCESS_TO_UNIT)
    if max(ranks) < needed:
        return NEEDS_ROLE.format(role=Role(rule.role).label.lower(), unit=org_unit.name)
    return None


def authorize(user: Any, permission: str, org_unit: OrgUnit | None = None) -> None:
    """Raise AccessDenied, with a message for people, unless the user may."""
    reason = _denial(user, _rule(permission), org_unit)
    if reason is not None:
        raise AccessDenied(
            reason,
            {"permission": permission, "org_unit": org_unit.code if org_unit else None},
        )


def can(user: Any, permission: str, org_unit: OrgUnit | None = None) -> bool:
    return _denial(user, _rule(permission), org_unit) is None


def org_units_permitted(user: Any, permission: str) -> QuerySet[OrgUnit]:
    """Every org unit on which `authorize(user, permission, unit)` would pass."""
    rule = _rule(permission)
    units = OrgUnit.objects.all()
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return units.none()
    if user.is_superuser or (rule.role is None and (
        not rule.programme_admin or user.is_programme_admin
    )):
        return units
    if rule.programme_admin:
        return units.none()
    needed = ROLE_RANK[rule.role]
    paths = [path for path, rank in user_grants(user) if rank >= needed]
    if not paths:
        return units.none()
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return units.filter(condition)
