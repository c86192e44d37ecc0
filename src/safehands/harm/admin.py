"""Browse-only admin: every GTT change goes through the services, so it is checked and
audited (locks, seeds, two-stage review)."""

from django.contrib import admin

from safehands.harm.models import (
    AdverseEvent,
    GttMember,
    GttTeam,
    ReviewPeriod,
    ReviewRecord,
    SampleDraw,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(GttTeam)
class GttTeamAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "population", "sample_size", "period_days",
                    "trigger_variant")
    search_fields = ("code", "name", "population__code")


@admin.register(GttMember)
class GttMemberAdmin(ReadOnlyAdmin):
    list_display = ("team", "user", "role")
    list_filter = ("role",)


@admin.register(ReviewPeriod)
class ReviewPeriodAdmin(ReadOnlyAdmin):
    list_display = ("team", "start", "end", "locked_at", "locked_by")
    list_filter = ("team",)


@admin.register(SampleDraw)
class SampleDrawAdmin(ReadOnlyAdmin):
    list_display = ("period", "seed", "eligible", "sample_size", "drawn_at", "drawn_by")


@admin.register(ReviewRecord)
class ReviewRecordAdmin(ReadOnlyAdmin):
    list_display = ("team", "stay_id", "discharge_date", "patient_days", "status", "source")
    list_filter = ("team", "status", "source")
    search_fields = ("stay_id",)


@admin.register(AdverseEvent)
class AdverseEventAdmin(ReadOnlyAdmin):
    list_display = ("record", "severity", "harm_type", "harm_type_text")
    list_filter = ("severity", "harm_type")
