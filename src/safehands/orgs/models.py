"""The organisation tree and who may do what in it.

The tree carries a materialised path of codes (`NO/HSO/OUS/`), so "this unit and everything
below it" is one indexed prefix match on every database.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgKind(models.TextChoices):
    NATIONAL = "national", _("National")
    REGION = "region", _("Regional health authority")
    TRUST = "trust", _("Health trust")
    MUNICIPALITY = "municipality", _("Municipality")
    HOSPITAL = "hospital", _("Hospital")
    NURSING_HOME = "nursing_home", _("Nursing home")
    HOME_CARE = "home_care", _("Home-care service")
    UNIT = "unit", _("Unit")


class Role(models.TextChoices):
    VIEWER = "viewer", _("Viewer")
    REPORTER = "reporter", _("Reporter")
    COORDINATOR = "coordinator", _("Coordinator")
    ADMIN = "admin", _("Administrator")


# A higher role includes everything a lower one may do.
ROLE_RANK: dict[str, int] = {
    Role.VIEWER: 1, Role.REPORTER: 2, Role.COORDINATOR: 3, Role.ADMIN: 4,
}

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$"
PATH_SEPARATOR = "/"


def path_prefixes(path: str) -> list[str]:
    """The paths of a unit and every unit above it, from the root down."""
    parts = [p for p in path.split(PATH_SEPARATOR) if p]
    return [PATH_SEPARATOR.join(parts[:i]) + PATH_SEPARATOR for i in range(1, len(parts) + 1)]


class OrgUnit(models.Model):
    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    name_nb = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20, choices=OrgKind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=800, unique=True)
    depth = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(parent__isnull=True, depth=0)
                | models.Q(parent__isnull=False, depth__gt=0),
                name="orgunit_depth_matches_parent",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def display_name(self, language: str = "en") -> str:
        return self.name_nb if language == "nb" and self.name_nb else self.name

    def is_within(self, other: OrgUnit) -> bool:
        """True when this unit is `other` or lies below it."""
        return self.path.startswith(other.path)


class Membership(models.Model):
    """A role for a user over an org unit and its whole subtree."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "org_unit"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.role} · {self.org_unit.code}"


class RoleReview(models.Model):
    """An administrator's confirmation that the roles granted on a unit were reviewed and are
    still needed (Normen: access rights are reviewed at set intervals)."""

    org_unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="role_reviews")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField()
    memberships = models.PositiveIntegerField(help_text="Roles granted on the unit then.")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-reviewed_at", "-id"]
        indexes = [models.Index(fields=["org_unit", "reviewed_at"], name="role_review_latest")]

    def __str__(self) -> str:
        return f"{self.org_unit.code} reviewed {self.reviewed_at:%Y-%m-%d}"
