"""Browse-only admin of events, without their free text: reading a report is need-to-know
and logged, which the report's own page does; the admin shows only what a count would."""

from django.contrib import admin

from safehands.core.admin_views import ReadOnlyAdmin
from safehands.events.models import Event, EventDeadline, EventTransition

METADATA = ("reference", "org_unit", "category", "event_type", "outcome", "reached_patient",
            "status", "source", "occurred_at", "reported_at", "closed_at")




@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = METADATA
    list_filter = ("status", "category", "outcome", "source")
    list_select_related = ("org_unit",)
    search_fields = ("reference", "org_unit__code")
    fields = METADATA


@admin.register(EventTransition)
class EventTransitionAdmin(ReadOnlyAdmin):
    list_display = ("event", "from_status", "to_status", "actor", "at")
    fields = ("event", "from_status", "to_status", "actor", "at")


@admin.register(EventDeadline)
class EventDeadlineAdmin(ReadOnlyAdmin):
    list_display = ("event", "code", "due_at", "met_at")
