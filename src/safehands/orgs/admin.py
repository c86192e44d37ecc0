from django.contrib import admin

from safehands.orgs.models import Membership, OrgUnit


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    """Browse only: the tree changes through the import so paths and the audit stay right."""

    list_display = ("code", "name", "kind", "parent", "depth", "is_active")
    list_filter = ("kind", "depth", "is_active")
    search_fields = ("code", "name", "name_nb", "path")
    readonly_fields = ("code", "name", "name_nb", "kind", "parent", "path", "depth")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "org_unit", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "org_unit__code", "org_unit__name")
    readonly_fields = ("user", "org_unit", "role", "created_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
