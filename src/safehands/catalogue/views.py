"""Catalogue pages: read-only, for any signed-in user. Thin: ask, query, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from safehands.catalogue.queries import (
    action_plan_get,
    action_plan_list,
    aim_list,
    bundle_element_list,
    measure_list,
    programme_get,
    programme_list,
    target_area_get,
    target_area_list,
)
from safehands.orgs.access import authorize, can


@login_required
def programme_list_view(request: HttpRequest) -> HttpResponse:
    authorize(request.user, "catalogue.view")
    return render(request, "catalogue/programme_list.html", {
        "programmes": programme_list(),
        "plans": action_plan_list(),
        "can_edit": can(request.user, "catalogue.edit"),
    })


@login_required
def programme_detail(request: HttpRequest, code: str) -> HttpResponse:
    authorize(request.user, "catalogue.view")
    programme = programme_get(code=code)
    return render(request, "catalogue/programme_detail.html", {
        "programme": programme,
        "aims": aim_list(programme=programme),
        "target_areas": target_area_list(programme=programme),
        "plans": action_plan_list(programme=programme),
    })


@login_required
def target_area_detail(request: HttpRequest, code: str) -> HttpResponse:
    authorize(request.user, "catalogue.view")
    area = target_area_get(code=code)
    return render(request, "catalogue/target_area_detail.html", {
        "area": area,
        "programme": area.programme,
        "bundle_elements": bundle_element_list(target_area=area),
        "measures": measure_list(target_area=area),
    })


@login_required
def action_plan_list_view(request: HttpRequest) -> HttpResponse:
    authorize(request.user, "catalogue.view")
    return render(request, "catalogue/action_plan_list.html", {"plans": action_plan_list()})


@login_required
def action_plan_detail(request: HttpRequest, code: str) -> HttpResponse:
    authorize(request.user, "catalogue.view")
    plan = action_plan_get(code=code)
    return render(request, "catalogue/action_plan_detail.html", {"plan": plan})
