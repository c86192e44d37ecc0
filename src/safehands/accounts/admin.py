from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from safehands.accounts.models import ApiToken, OidcIdentity, User


@admin.register(User)
class SafehandsUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("Programme", {"fields": ("is_programme_admin",)}))
    list_display = ("username", "email", "first_name", "last_name", "is_programme_admin")
    list_filter = ("is_programme_admin", "is_staff", "is_active")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")


@admin.register(OidcIdentity)
class OidcIdentityAdmin(admin.ModelAdmin):
    """Single sign-on links; deleting one lets the account be linked again at next sign-on."""

    list_display = ("user", "issuer", "subject", "linked_at")
    readonly_fields = ("user", "issuer", "subject", "linked_at")
    search_fields = ("user__username", "subject")
