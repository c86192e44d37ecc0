"""Browse-only admin: every GTT change goes through the services, so it is checked and
audited (locks, seeds, two-stage review)."""

from collections import defaultdict

from django.contrib import admin

from safehands.audit.models import ReadKind, ReadPurpose
from safehands.core.admin_views import ReadOnlyAdmin
from safehands.harm.models import (
    AdverseEvent,
    GttMember,
    GttTeam,
    ReviewPeriod,
    ReviewRecord,
    SampleDraw,
)
from safehands.orgs.reads import record_request_read


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


class ReadLoggedAdmin(ReadOnlyAdmin):
    """Patient-level records: a list or a record shown in the admin writes the read log, as
    the GTT pages do (one row per unit of the records shown)."""

    population_path = "team__population"

    def _population(self, obj):
        for part in self.population_path.split("__"):
            obj = getattr(obj, part)
        return obj

    def _log(self, request, objects) -> None:
        by_unit = defaultdict(list)
        for obj in objects:
            by_unit[self._population(obj)].append(obj)
        for unit, shown in by_unit.items():
            record_request_read(request, actor=request.user, unit=unit,
                                kind=ReadKind.GTT_RECORD, purpose=ReadPurpose.ADMIN,
                                objects=shown)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if response.status_code == 200 and changelist is not None:
            self._log(request, changelist.result_list)
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        shown = (getattr(response, "context_data", None) or {}).get("original")
        if response.status_code == 200 and shown is not None:
            self._log(request, [shown])
        return response


@admin.register(ReviewRecord)
class ReviewRecordAdmin(ReadLoggedAdmin):
    list_display = ("team", "stay_id", "discharge_date", "patient_days", "status", "source")
    list_filter = ("team", "status", "source")
    list_select_related = ("team__population",)
    search_fields = ("stay_id",)


@admin.register(AdverseEvent)
class AdverseEventAdmin(ReadLoggedAdmin):
    list_display = ("record", "severity", "harm_type", "harm_type_text")
    list_filter = ("severity", "harm_type")
    list_select_related = ("record__team__population",)
    population_path = "record__team__population"
