"""Org-unit pages. Thin: ask the permission function, call queries, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from safehands.orgs.access import authorize, can
from safehands.orgs.queries import (
    membership_list,
    org_unit_ancestors,
    org_unit_children,
    org_unit_get,
    org_unit_subtree_count,
    org_units_top_permitted,
)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "orgs/home.html", {
        "top_units": org_units_top_permitted(user=request.user, permission="org.view"),
        "memberships": request.user.memberships.select_related("org_unit").order_by(
            "org_unit__path"),
    })


@login_required
def org_unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = org_unit_get(code=code)
    authorize(request.user, "org.view", unit)
    ancestors = [a for a in org_unit_ancestors(unit=unit) if can(request.user, "org.view", a)]
    show_members = can(request.user, "membership.view", unit)
    return render(request, "orgs/org_unit_detail.html", {
        "unit": unit,
        "ancestors": ancestors,
        "children": org_unit_children(unit=unit),
        "subtree_count": org_unit_subtree_count(unit=unit),
        "memberships": membership_list(unit=unit) if show_members else None,
    })
