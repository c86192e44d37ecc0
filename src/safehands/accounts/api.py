"""Who am I: the caller's identity and roles, for integrations checking their token."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

router = Router(tags=["accounts"])


class MembershipOut(Schema):
    org_unit: str
    role: str


class MeOut(Schema):
    username: str
    full_name: str
    is_programme_admin: bool
    memberships: list[MembershipOut]


@router.get("", response=MeOut, summary="The caller and their roles")
def me_api(request: HttpRequest) -> dict:
    # Any signed-in caller may read their own identity; there is no org unit to check.
    user = request.auth
    return {
        "username": user.username,
        "full_name": user.get_full_name(),
        "is_programme_admin": user.is_programme_admin,
        "memberships": [
            {"org_unit": code, "role": role}
            for code, role in user.memberships.values_list("org_unit__code", "role")
        ],
    }
