"""Programme administrators edit instruments, elements and tactics in the admin; every save is
audited and marked as a local edit, so a reload of the packaged YAML keeps it. Nothing is
deleted (retire instead): assessments and actions refer to these rows."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from safehands.assessment.models import ContentItem, Element, Instrument, Resource, Tactic
from safehands.assessment.services import content_item_save
from safehands.orgs.access import can


class ContentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "confidence", "locally_edited", "is_retired")
    list_filter = ("confidence", "locally_edited", "is_retired")
    search_fields = ("code", "name", "name_nb")
    readonly_fields = ("locally_edited", "updated_at")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can(request.user, "catalogue.view")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, "catalogue.view")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, "catalogue.edit")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # content comes from the package; edit or retire it here

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return (*self.readonly_fields, "code")

    def save_model(self, request: HttpRequest, obj: ContentItem, form: Any,
                   change: bool) -> None:
        content_item_save(actor=request.user, item=obj, source="web")


@admin.register(Instrument)
class InstrumentAdmin(ContentAdmin):
    list_display = ("code", "name", "action_plan", "version", "confidence", "is_retired")


@admin.register(Element)
class ElementAdmin(ContentAdmin):
    list_display = ("code", "name", "area", "confidence", "locally_edited", "is_retired")
    list_filter = ("instrument", *ContentAdmin.list_filter)
    filter_horizontal = ("recommendations",)


class ResourceInline(admin.TabularInline):
    model = Resource
    extra = 0

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, "catalogue.edit")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, "catalogue.edit")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, "catalogue.edit")


@admin.register(Tactic)
class TacticAdmin(ContentAdmin):
    list_display = ("code", "name", "recommendation", "area", "confidence", "locally_edited")
    inlines = [ResourceInline]
