"""The audit trail: one row per change, written in the same transaction as the change;
and the read log: one row per read of patient-level or free-text data."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehands.core.errors import DomainError


class AuditEvent(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept as text so the trail survives the user's deletion or renaming.
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80, db_index=True)
    object_id = models.CharField(max_length=80, blank=True)
    object_repr = models.CharField(max_length=300, blank=True)
    # Materialised path of the org unit the change belongs to, for subtree filters.
    org_path = models.CharField(max_length=800, blank=True, db_index=True)
    source = models.CharField(max_length=20, default="web")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username or 'system'} {self.action}"


class ReadKind(models.TextChoices):
    """What kind of data a logged read showed."""

    GTT_RECORD = "gtt_record", _("GTT records (patient level)")
    SURVEY_RESPONSES = "survey_responses", _("Survey answers (respondent level)")
    SURVEY_RESULTS = "survey_results", _("Survey results and action-plan text")
    EVENT_REPORT = "event_report", _("Patient-safety event reports (free text)")


class ReadPurpose(models.TextChoices):
    """The page, export or endpoint a read came through: the why-context of the read."""

    GTT_PERIOD_REVIEW = "gtt_period_review", _("GTT review: the records of a period")
    GTT_RECORD_REVIEW = "gtt_record_review", _("GTT review: one record")
    GTT_RECORDS_API = "gtt_records_api", _("GTT records through the API")
    SURVEY_RESULTS = "survey_results", _("Survey results page")
    SURVEY_RESULTS_EXPORT = "survey_results_export", _("Survey results export (CSV)")
    SURVEY_RESULTS_API = "survey_results_api", _("Survey results through the API")
    SURVEY_RESPONSES_EXPORT = "survey_responses_export", _("Survey answers export (FHIR)")
    EVENT_HANDLING = "event_handling", _("Event handling: one report")
    EVENT_EXPORT = "event_export", _("Event report export (FHIR)")
    EVENTS_API = "events_api", _("Event reports through the API")
    ADMIN = "admin", _("Admin pages")


class UnusualReason(models.TextChoices):
    """Why a read is flagged: access from outside the organisation that owns the data."""

    ABOVE_ORGANISATION = "above_organisation", _(
        "Role granted above the organisation that owns the data")
    PROGRAMME_ADMIN = "programme_admin", _(
        "Programme administrator with a role above the organisation that owns the data")
    SUPERUSER = "superuser", _("Superuser without a role on the unit")


READ_LOG_APPEND_ONLY = "The read log is append-only: a row cannot be changed or deleted."


class ReadLogAppendOnly(DomainError):
    """Raised on any attempt to change or delete a read-log row outside the retention purge."""

    def __init__(self) -> None:
        super().__init__(READ_LOG_APPEND_ONLY)


class ReadEventQuerySet(models.QuerySet):
    """Refuses bulk changes: the only way rows leave is `purge_before` (retention)."""

    def update(self, **kwargs):
        raise ReadLogAppendOnly

    def delete(self):
        raise ReadLogAppendOnly

    def purge_before(self, cutoff) -> int:
        """Delete the rows read before `cutoff`; used only by the retention purge."""
        deleted, _per_model = models.QuerySet.delete(self.filter(at__lt=cutoff))
        return deleted


class ReadEvent(models.Model):
    """One read of patient-level or free-text data: who, what, when, where from and why.

    One row per request: a page that lists many records writes one row naming them all.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept as text so the log survives the user's deletion or renaming.
    actor_username = models.CharField(max_length=150, blank=True, db_index=True)
    kind = models.CharField(max_length=40, choices=ReadKind.choices)
    object_type = models.CharField(max_length=80)
    # The one record read; empty when the read listed several (they are in object_ids).
    object_id = models.CharField(max_length=80, blank=True)
    object_ids = models.JSONField(default=list)
    object_count = models.PositiveIntegerField(default=0)
    object_repr = models.TextField(blank=True)
    # Materialised path of the org unit the data belongs to, for subtree filters.
    org_path = models.CharField(max_length=800, db_index=True)
    purpose = models.CharField(max_length=40, choices=ReadPurpose.choices)
    # The page, export or endpoint (path and query) the read came through.
    where = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=20, default="web")
    client_address = models.GenericIPAddressField(null=True, blank=True)
    unusual = models.BooleanField(default=False, db_index=True)
    unusual_reason = models.CharField(max_length=40, blank=True,
                                      choices=UnusualReason.choices)
    # The unit whose role allowed the read, when that is what made it unusual.
    granted_at = models.CharField(max_length=40, blank=True)

    objects = ReadEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["org_path", "at"], name="audit_read_path_at")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unusual=False, unusual_reason="")
                | models.Q(unusual=True) & ~models.Q(unusual_reason=""),
                name="readevent_unusual_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username or 'system'} read {self.kind}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ReadLogAppendOnly
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ReadLogAppendOnly

    @property
    def org_code(self) -> str:
        """The code of the unit the data belongs to (the last part of its path)."""
        return self.org_path.rstrip("/").rsplit("/", 1)[-1]
