from django.contrib import admin

from safehands.audit.models import AuditEvent, ReadEvent
from safehands.core.admin_views import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: the trail is evidence, so nobody edits or deletes it here."""

    list_display = ("at", "actor_username", "action", "object_type", "object_repr", "source")
    list_filter = ("action", "object_type", "source", "at")
    search_fields = ("actor_username", "object_repr", "object_id", "org_path")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]


@admin.register(ReadEvent)
class ReadEventAdmin(ReadOnlyAdmin):
    """Read-only: the read log is append-only for every role; rows leave only by the
    retention purge (`safehands audit purge-reads`)."""

    list_display = ("at", "actor_username", "kind", "purpose", "object_repr", "org_path",
                    "source", "unusual")
    list_filter = ("kind", "purpose", "source", "unusual", "at")
    search_fields = ("actor_username", "object_repr", "org_path")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in ReadEvent._meta.fields]
    actions = None
