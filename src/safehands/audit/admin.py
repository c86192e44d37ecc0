from django.contrib import admin

from safehands.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is evidence, so nobody edits or deletes it here."""

    list_display = ("at", "actor_username", "action", "object_type", "object_repr", "source")
    list_filter = ("action", "object_type", "source", "at")
    search_fields = ("actor_username", "object_repr", "object_id", "org_path")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
