"""Reads the reporting pages need: where a reporter works, finding a place by name, and a
signed-in reporter's own reports. Never writes."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from safehands.events.models import Event
from safehands.orgs.models import Membership, OrgKind, OrgUnit

# The places a patient or relative knows by name; a ward is found by its handlers at triage.
PUBLIC_KINDS = (OrgKind.HOSPITAL, OrgKind.MUNICIPALITY, OrgKind.NURSING_HOME,
                OrgKind.HOME_CARE)
OWN_UNITS_LIMIT = 60
SEARCH_LIMIT = 25


def reporter_units(*, actor: Any) -> list[OrgUnit]:
    """The active units where the reporter has a role, and those below them: offered first,
    so that a nurse on her own ward chooses it in one tap."""
    paths = list(Membership.objects.filter(user=actor).values_list("org_unit__path",
                                                                   flat=True))
    if not paths:
        return []
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return list(OrgUnit.objects.filter(condition, is_active=True).select_related("parent")
                .order_by("path")[:OWN_UNITS_LIMIT])


def unit_search(*, text: str, kinds: tuple[str, ...] = (),
                limit: int = SEARCH_LIMIT) -> list[OrgUnit]:
    """Active units whose name (English or Norwegian) or code contains the text."""
    text = (text or "").strip()
    if len(text) < 2:
        return []
    units = OrgUnit.objects.filter(
        Q(name__icontains=text) | Q(name_nb__icontains=text) | Q(code__iexact=text),
        is_active=True)
    if kinds:
        units = units.filter(kind__in=kinds)
    return list(units.select_related("parent").order_by("name", "path")[:limit])


def unit_for_report(*, code: str, kinds: tuple[str, ...] = ()) -> OrgUnit | None:
    """The active unit a form names by code, or None."""
    units = OrgUnit.objects.filter(code=(code or "").strip(), is_active=True)
    if kinds:
        units = units.filter(kind__in=kinds)
    return units.select_related("parent").first()


def own_report_list(*, actor: Any) -> QuerySet[Event]:
    """The signed-in user's own reports that carry their name (never the anonymous ones,
    which nothing ties to them)."""
    return Event.objects.filter(reporter=actor, reporter__isnull=False).select_related(
        "org_unit").order_by("-reported_at", "-id")
