"""Template context shared by every page: the user's places in the tree for navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from safehands.orgs.queries import org_units_top_permitted


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_org_units": org_units_top_permitted(user=user, permission="org.view")[:12]}
