"""Org-unit pages. Thin: ask the permission function, call queries, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safehands.core.errors import DomainError
from safehands.orgs.access import authorize, can
from safehands.orgs.models import Membership, Role
from safehands.orgs.queries import (
    membership_list,
    org_unit_ancestors,
    org_unit_children,
    org_unit_get,
    org_unit_subtree_count,
    org_units_top_permitted,
    role_review_status,
)
from safehands.orgs.services import membership_grant, membership_revoke, role_review_record


@login_required
def home(request: HttpRequest) -> HttpResponse:
    authorize(request.user, "self.view")
    return render(request, "orgs/home.html", {
        "top_units": org_units_top_permitted(user=request.user, permission="org.view"),
        "memberships": request.user.memberships.select_related("org_unit").order_by(
            "org_unit__path"),
    })


@login_required
def org_unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = org_unit_get(code=code)
    authorize(request.user, "org.view", unit)
    ancestors = org_unit_ancestors(unit=unit, user=request.user, permission="org.view")
    show_members = can(request.user, "membership.view", unit)
    may_manage = can(request.user, "membership.manage", unit)
    return render(request, "orgs/org_unit_detail.html", {
        "unit": unit,
        "ancestors": ancestors,
        "children": org_unit_children(unit=unit),
        "subtree_count": org_unit_subtree_count(unit=unit),
        "memberships": membership_list(unit=unit) if show_members else None,
        "role_review": role_review_status(unit=unit) if show_members else None,
        "may_manage": may_manage,
        "may_read_log": can(request.user, "audit.view", unit),
        "may_handle_events": can(request.user, "event.handle", unit),
        "may_view_events": can(request.user, "event.view", unit),
        "roles": Role.choices,
    })


@login_required
@require_POST
def membership_grant_view(request: HttpRequest, code: str) -> HttpResponse:
    unit = org_unit_get(code=code)
    authorize(request.user, "membership.manage", unit)
    username = request.POST.get("username", "").strip()
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        messages.error(request, _("There is no active user '%(name)s'.") % {"name": username})
    else:
        try:
            membership_grant(user=user, org_unit=unit, role=request.POST.get("role", ""),
                             actor=request.user, source="web")
            messages.success(request, _("%(user)s now has the role %(role)s here.") % {
                "user": user.get_username(), "role": Role(request.POST["role"]).label})
        except DomainError as error:
            messages.error(request, error.message)
    return redirect("orgs:detail", code=unit.code)


@login_required
@require_POST
def membership_revoke_view(request: HttpRequest, code: str, membership_id: int) -> HttpResponse:
    unit = org_unit_get(code=code)
    authorize(request.user, "membership.manage", unit)
    membership = Membership.objects.select_related("org_unit", "user").filter(
        pk=membership_id, org_unit=unit).first()
    if membership is None:
        messages.error(request, _("That role was already withdrawn."))
    else:
        membership_revoke(membership=membership, actor=request.user, source="web")
        messages.success(request, _("The role of %(user)s here was withdrawn.") % {
            "user": membership.user.get_username()})
    return redirect("orgs:detail", code=unit.code)


@login_required
@require_POST
def role_review_view(request: HttpRequest, code: str) -> HttpResponse:
    unit = org_unit_get(code=code)
    role_review_record(org_unit=unit, actor=request.user, note=request.POST.get("note", ""))
    messages.success(request, _("Recorded: the roles on %(unit)s were reviewed.") % {
        "unit": unit.name})
    return redirect("orgs:detail", code=unit.code)
