"""Patient-safety events: what was reported, how it was handled, and what was learned.

An event belongs to the org unit where it happened. Its free text is need-to-know (handlers of
that unit and its line); counts are open to viewers. The workflow's states are here; which
transitions are allowed, and to whom, lives in `workflow.py`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from safehands.assessment.models import Action
from safehands.catalogue.models import TargetArea
from safehands.orgs.models import OrgUnit


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    TRIAGED = "triaged", _("Triaged")
    INVESTIGATING = "investigating", _("Under investigation")
    ACTIONS_OPEN = "actions_open", _("Actions open")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    CLOSED = "closed", pgettext_lazy("event", "Closed")
    REJECTED = "rejected", _("Rejected")
    DUPLICATE = "duplicate", _("Duplicate")


OPEN_STATUSES = (Status.SUBMITTED, Status.TRIAGED, Status.INVESTIGATING, Status.ACTIONS_OPEN,
                 Status.AWAITING_APPROVAL)
# Rejected and duplicate reports are not events: counts and charts leave them out.
COUNTED_STATUSES = (*OPEN_STATUSES, Status.CLOSED)


class Outcome(models.TextChoices):
    NONE = "none", _("No harm")
    LOW = "low", _("Low harm")
    MODERATE = "moderate", _("Moderate harm")
    SEVERE = "severe", _("Severe harm")
    DEATH = "death", _("Death")


class ReporterKind(models.TextChoices):
    STAFF = "staff", _("Staff")
    PATIENT = "patient", _("Patient")
    RELATIVE = "relative", _("Relative")
    UNKNOWN = "unknown", _("Unknown")


class EventSource(models.TextChoices):
    FORM = "form", _("Staff form")
    PUBLIC = "public", _("Public form")
    IMPORT = "import", _("Import")
    API = "api", _("API")


class Event(models.Model):
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="events")
    reference = models.CharField(max_length=40)
    category = models.CharField(max_length=20)
    event_type = models.CharField(max_length=40)
    target_area = models.ForeignKey(TargetArea, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="events")
    occurred_at = models.DateTimeField()
    reported_at = models.DateTimeField()
    description = models.TextField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    outcome_reported = models.CharField(max_length=10, choices=Outcome.choices)
    reached_patient = models.BooleanField(null=True, blank=True,
                                          help_text="False: a near miss. Unknown: empty.")
    immediate_actions = models.TextField(blank=True)
    reporter_kind = models.CharField(max_length=10, choices=ReporterKind.choices,
                                     default=ReporterKind.STAFF)
    # Empty for anonymous and public reports: nothing here ties them to a person.
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="reported_events")
    anonymous = models.BooleanField(default=False)
    reporter_email = models.EmailField(blank=True, help_text="Where feedback is mailed, if given.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="handled_events")
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="duplicates")
    reason = models.TextField(blank=True, help_text="Why rejected, sent back or re-opened.")
    feedback = models.TextField(blank=True, help_text="Plain-language feedback to the reporter.")
    feedback_sent_at = models.DateTimeField(null=True, blank=True)
    followup_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    followup_expires_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    notification_reference = models.CharField(max_length=100, blank=True)
    triaged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=EventSource.choices,
                              default=EventSource.FORM)
    identity_numbers_masked = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-reported_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "reference"],
                                    name="event_reference_unique_per_unit"),
            models.CheckConstraint(condition=models.Q(occurred_at__lte=models.F("reported_at")),
                                   name="event_occurred_before_reported"),
        ]
        indexes = [
            models.Index(fields=["status", "org_unit"], name="event_queue"),
            models.Index(fields=["occurred_at"], name="event_occurred"),
            # The work queue's order: a page of the newest reports is a walk down one index.
            models.Index(fields=["-reported_at", "-id"], name="event_recent"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def near_miss(self) -> bool:
        return self.reached_patient is False

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class EventTransition(models.Model):
    """One step of the workflow: the history a handler and an auditor read."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.event_id}: {self.from_status or '-'} -> {self.to_status}"



class EventMessage(models.Model):
    """The conversation with the reporter, read through the follow-up link."""

    class Author(models.TextChoices):
        REPORTER = "reporter", pgettext_lazy("event", "Reporter")
        HANDLER = "handler", _("Handler")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="messages")
    author_kind = models.CharField(max_length=10, choices=Author.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.author_kind} on {self.event_id}"



class FactorStage(models.TextChoices):
    REPORTED = "reported", _("Seen by the reporter")
    INVESTIGATION = "investigation", _("Found in the investigation")


class EventFactor(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="factors")
    code = models.CharField(max_length=60)
    stage = models.CharField(max_length=15, choices=FactorStage.choices)

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["event", "code", "stage"],
                                               name="event_factor_unique")]

    def __str__(self) -> str:
        return self.code



class Investigation(models.Model):
    """A structured review (RCA² style) of one event."""

    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="investigation")
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    summary = models.TextField(blank=True, help_text="What happened, as the review found it.")
    went_well = models.TextField(blank=True)
    started_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Investigation of {self.event_id}"



class TimelineEntry(models.Model):
    investigation = models.ForeignKey(Investigation, on_delete=models.CASCADE,
                                      related_name="timeline")
    at = models.DateTimeField()
    what = models.TextField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.what[:60]



class CausalStatement(models.Model):
    """RCA² rule 1: a cause leads to an effect, which made the event more likely."""

    investigation = models.ForeignKey(Investigation, on_delete=models.CASCADE,
                                      related_name="causes")
    cause = models.TextField()
    effect = models.TextField()
    factor = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.cause[:60]



class EventAttachment(models.Model):
    """Kept in the database, so that backups and access rules cover it like the report."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name



class ActionStrength(models.TextChoices):
    STRONG = "strong", _("Strong")
    INTERMEDIATE = "intermediate", _("Intermediate")
    WEAK = "weak", _("Weak")


class EventAction(models.Model):
    """An action from an investigation: an item of the unit's action plan, with its strength."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="event_actions")
    action = models.OneToOneField(Action, on_delete=models.CASCADE, related_name="event_link")
    strength = models.CharField(max_length=12, choices=ActionStrength.choices)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.strength}: {self.action_id}"



class EventDeadline(models.Model):
    """A deadline from the taxonomy that an event started, and when it was met."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deadlines")
    code = models.CharField(max_length=40)
    due_at = models.DateTimeField()
    met_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["event", "code"],
                                               name="event_deadline_unique")]
        indexes = [models.Index(fields=["met_at", "due_at"], name="event_deadline_due")]

    def __str__(self) -> str:
        return self.code
