"""Admin: instruments and rounds to look at; the minimum-respondent setting to change.

Changes go through the services (validation, audit). Responses and invitations are not in
the admin at all: nobody needs to browse them, and invitations hold e-mail addresses.
"""

from __future__ import annotations

from django.contrib import admin

from safehands.culture.models import Instrument, Item, ProgrammeSurveySettings, SurveyRound
from safehands.culture.services import programme_min_respondents_set


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ItemInline(admin.TabularInline):
    model = Item
    fields = ["code", "scale", "reverse", "response_scale", "text", "text_nb"]
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Instrument)
class InstrumentAdmin(ReadOnly):
    list_display = ["code", "name", "method", "wording", "origin", "confidence"]
    inlines = [ItemInline]


@admin.register(SurveyRound)
class SurveyRoundAdmin(ReadOnly):
    list_display = ["title", "root", "instrument", "opens_on", "closes_on", "status",
                    "min_respondents"]
    exclude = ["link_token"]


@admin.register(ProgrammeSurveySettings)
class ProgrammeSurveySettingsAdmin(admin.ModelAdmin):
    list_display = ["programme", "min_respondents"]

    def save_model(self, request, obj, form, change) -> None:
        programme_min_respondents_set(programme=obj.programme, value=obj.min_respondents,
                                      actor=request.user, source="web")
