"""Editing the catalogue in the Django admin: programme administrators only, every save audited.

Nothing can be deleted (retire an item instead); codes cannot change once set, because data
and imports refer to them; bundle-compliance elements follow the YAML.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from safehands.catalogue.models import (
    BOOKKEEPING,
    ActionPlan,
    ActionPlanArea,
    Aim,
    BundleElement,
    CatalogueItem,
    Measure,
    Programme,
    Recommendation,
    TargetArea,
)
from safehands.catalogue.services import catalogue_item_save
from safehands.orgs.access import can

BOOKKEEPING_FIELDS = tuple(f for f in BOOKKEEPING if f != "id")


class CatalogueItemAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "confidence", "locally_edited", "is_retired")
    list_filter = ("confidence", "origin", "locally_edited", "is_retired")
    search_fields = ("code", "name", "name_nb")

    # Django's staff flag opens the admin; the catalogue rights come from the one
    # permission function, like everywhere else.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return can(request.user, "catalogue.view")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, "catalogue.view")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, "catalogue.edit")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can(request.user, "catalogue.edit")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return BOOKKEEPING_FIELDS + (("code",) if obj is not None else ())

    def save_model(self, request: HttpRequest, obj: CatalogueItem, form: Any,
                   change: bool) -> None:
        catalogue_item_save(actor=request.user, item=obj, source="web")


@admin.register(Programme)
class ProgrammeAdmin(CatalogueItemAdmin):
    list_display = ("code", "name", "country", "version", "confidence", "is_retired")


@admin.register(Aim)
class AimAdmin(CatalogueItemAdmin):
    list_display = ("code", "name", "programme", "confidence", "locally_edited", "is_retired")


@admin.register(TargetArea)
class TargetAreaAdmin(CatalogueItemAdmin):
    list_display = ("number", "code", "name", "name_nb", "confidence", "locally_edited",
                    "is_retired")
    list_filter = ("programme", *CatalogueItemAdmin.list_filter)


@admin.register(BundleElement)
class BundleElementAdmin(CatalogueItemAdmin):
    list_display = ("code", "name", "target_area", "confidence", "locally_edited", "is_retired")
    list_filter = ("target_area", *CatalogueItemAdmin.list_filter)


@admin.register(Measure)
class MeasureAdmin(CatalogueItemAdmin):
    list_display = ("code", "name", "kind", "value_type", "chart", "is_default", "confidence",
                    "locally_edited", "is_retired")
    list_filter = ("target_area", "kind", "value_type", "is_default",
                   *CatalogueItemAdmin.list_filter)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return (*super().get_readonly_fields(request, obj), "compliance_elements")


@admin.register(ActionPlan)
class ActionPlanAdmin(CatalogueItemAdmin):
    list_display = ("code", "name", "programme", "period_start", "period_end", "confidence",
                    "is_retired")


@admin.register(ActionPlanArea)
class ActionPlanAreaAdmin(CatalogueItemAdmin):
    list_display = ("number", "code", "name", "plan", "confidence", "locally_edited",
                    "is_retired")
    list_filter = ("plan", *CatalogueItemAdmin.list_filter)


@admin.register(Recommendation)
class RecommendationAdmin(CatalogueItemAdmin):
    list_display = ("number", "code", "name", "area", "confidence", "locally_edited",
                    "is_retired")
    list_filter = ("area__plan", *CatalogueItemAdmin.list_filter)
