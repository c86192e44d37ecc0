"""Org tree and caller endpoints. Each parses, asks the permission function, calls one query."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from safehands.orgs.access import authorize
from safehands.orgs.models import OrgUnit
from safehands.orgs.queries import org_unit_children, org_unit_get, org_unit_list

router = Router(tags=["organisations"])
me_router = Router(tags=["accounts"])


class OrgUnitOut(Schema):
    code: str
    name: str
    name_nb: str
    kind: str
    parent_code: str | None
    path: str
    depth: int

    @staticmethod
    def resolve_parent_code(unit: OrgUnit) -> str | None:
        return unit.parent.code if unit.parent_id else None


@router.get("/", response=list[OrgUnitOut], summary="Org units you may see")
def org_unit_list_api(request: HttpRequest, under: str | None = None) -> list[OrgUnit]:
    """Every org unit the caller may see, in tree order; `under` limits it to one subtree."""
    anchor = None
    if under:
        anchor = org_unit_get(code=under)
        authorize(request.auth, "org.view", anchor)
    return list(org_unit_list(user=request.auth, under=anchor))


@router.get("/{code}", response=OrgUnitOut, summary="One org unit")
def org_unit_detail_api(request: HttpRequest, code: str) -> OrgUnit:
    unit = org_unit_get(code=code)
    authorize(request.auth, "org.view", unit)
    return unit


@router.get("/{code}/children", response=list[OrgUnitOut], summary="Units right below one")
def org_unit_children_api(request: HttpRequest, code: str) -> list[OrgUnit]:
    unit = org_unit_get(code=code)
    authorize(request.auth, "org.view", unit)
    return list(org_unit_children(unit=unit).select_related("parent"))

class MembershipOut(Schema):
    org_unit: str
    role: str


class MeOut(Schema):
    username: str
    full_name: str
    is_programme_admin: bool
    memberships: list[MembershipOut]


@me_router.get("", response=MeOut, summary="The caller and their roles")
def me_api(request: HttpRequest) -> dict:
    user = request.auth
    authorize(user, "self.view")
    return {
        "username": user.username,
        "full_name": user.get_full_name(),
        "is_programme_admin": user.is_programme_admin,
        "memberships": [
            {"org_unit": code, "role": role}
            for code, role in user.memberships.order_by("org_unit__path").values_list(
                "org_unit__code", "role")
        ],
    }
