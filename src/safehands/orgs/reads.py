"""The read log's front door: every read of patient-level or free-text data calls
`record_read` once per request, after the permission check has passed.

It lives beside the permission function because "unusual" is a question about the tree:
a read is usual when the reader holds a role inside the organisation that owns the data (the
highest trust, municipality, hospital, nursing home, home-care service or unit above it, or
the unit itself when it is a region or the nation). It is flagged unusual when the only role
that allows it was granted higher up (a regional or national role reading a ward's records),
when the reader is a programme administrator reading through such a role, or when a
superuser reads without any role on the unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import models
from django.http import HttpRequest

from safehands.audit.models import ReadEvent, UnusualReason
from safehands.audit.services import read_event_create
from safehands.orgs.access import user_grants
from safehands.orgs.models import PATH_SEPARATOR, OrgKind, OrgUnit, path_prefixes

# Kinds of unit that own data: everything below the regional health authority.
OWNING_KINDS = frozenset({
    OrgKind.TRUST, OrgKind.MUNICIPALITY, OrgKind.HOSPITAL, OrgKind.NURSING_HOME,
    OrgKind.HOME_CARE, OrgKind.UNIT,
})


def owning_organisation_path(unit: OrgUnit) -> str:
    """The path of the highest data-owning unit at or above `unit` (itself if none is)."""
    kinds = dict(OrgUnit.objects.filter(path__in=path_prefixes(unit.path))
                 .values_list("path", "kind"))
    for prefix in path_prefixes(unit.path):
        if kinds.get(prefix) in OWNING_KINDS:
            return prefix
    return unit.path


def unusual_read(user: Any, unit: OrgUnit) -> tuple[str, str]:
    """(reason, code of the unit whose role allowed it) for an unusual read; ("", "") if not."""
    covering = sorted((path for path, _rank in user_grants(user) if unit.path.startswith(path)),
                      key=len)
    owner = owning_organisation_path(unit)
    if any(path.startswith(owner) for path in covering):
        return "", ""
    if covering:
        nearest = covering[-1].rstrip(PATH_SEPARATOR).rsplit(PATH_SEPARATOR, 1)[-1]
        if getattr(user, "is_programme_admin", False):
            return UnusualReason.PROGRAMME_ADMIN, nearest
        return UnusualReason.ABOVE_ORGANISATION, nearest
    if getattr(user, "is_superuser", False):
        return UnusualReason.SUPERUSER, ""
    # authorize() let someone through without a role: say so rather than hide it.
    return UnusualReason.ABOVE_ORGANISATION, ""


def client_address(request: HttpRequest) -> str | None:
    """The caller's address: REMOTE_ADDR, or behind a declared TLS proxy the address the
    proxy appended last to X-Forwarded-For (the earlier entries are the client's own say)."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR") or None


def record_read(
    *,
    actor: Any,
    unit: OrgUnit,
    kind: str,
    purpose: str,
    objects: Sequence[models.Model],
    where: str = "",
    source: str = "web",
    client_address: str | None = None,
) -> ReadEvent:
    """Log one read of `objects` (data of `unit`) by `actor`: one insert, whatever the count."""
    reason, granted_at = unusual_read(actor, unit)
    return read_event_create(
        actor=actor, kind=kind, purpose=purpose, org_path=unit.path, objects=objects,
        where=where, source=source, client_address=client_address, unusual_reason=reason,
        granted_at=granted_at)


def record_request_read(
    request: HttpRequest,
    *,
    actor: Any,
    unit: OrgUnit,
    kind: str,
    purpose: str,
    objects: Sequence[models.Model],
    source: str = "web",
) -> ReadEvent:
    """`record_read` for a page or endpoint: the path and the caller's address from the
    request. Pages and API endpoints call this; commands call `record_read`."""
    return record_read(actor=actor, unit=unit, kind=kind, purpose=purpose, objects=objects,
                       where=request.get_full_path(), source=source,
                       client_address=client_address(request))
