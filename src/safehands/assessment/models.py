"""Self-assessment and action plans in the database.

Content (loaded from the packaged YAML, edited by programme administrators in the admin):
Instrument -> Element; Tactic -> Resource. Elements and tactics point at the catalogue's
ActionPlanArea and Recommendation rows by foreign key; nothing of the catalogue is copied.

Work (done by teams): Assessment of an org unit with an instrument -> TeamMember, Rating
(one per member and element; `value` NULL means "unsure"), Consensus (the agreed score per
element); Action (the unit's action plan, optionally linked to an assessment, a tactic, a
recommendation, an area, a target area or a measure).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehands.catalogue.models import (
    CONFIDENCE_CHOICES,
    ActionPlan,
    ActionPlanArea,
    Measure,
    Recommendation,
    TargetArea,
    _localised,
)
from safehands.orgs.models import OrgUnit

LEVEL_CHOICES = [
    ("board_leaders", _("Board and leaders")),
    ("managers", _("Managers")),
    ("clinicians_staff", _("Clinicians and staff")),
    ("patients_families", _("Patients and families")),
    ("regional_national", _("Regional and national bodies")),
]
RESOURCE_KIND_CHOICES = [
    ("toolkit", _("Toolkit")), ("measure", _("Measure")), ("case_example", _("Case example")),
    ("training", _("Training")), ("guidance", _("Guidance")), ("safehands", _("In Safehands")),
]
SCALE_LABELS = {1: _("Beginning"), 2: _("Making progress"), 3: _("Significant impact"),
                4: _("Exemplary")}
UNSURE_LABEL = _("Unsure")


class ContentItem(models.Model):
    """Packaged content with its source, confidence and the local-edit bookkeeping."""

    code = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=300)
    name_nb = models.CharField("name (Norwegian)", max_length=300, blank=True)
    source = models.CharField(max_length=500)
    confidence = models.CharField(max_length=1, choices=CONFIDENCE_CHOICES)
    position = models.PositiveIntegerField(default=0)
    locally_edited = models.BooleanField(
        default=False, help_text="Changed by a programme administrator; a reload keeps it.")
    is_retired = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return f"{self.code}: {self.name}"

    @property
    def display_name(self) -> str:
        return _localised(self, "name")

    @property
    def to_be_confirmed(self) -> bool:
        return self.confidence in ("M", "?")


class Instrument(ContentItem):
    KIND = "instrument"

    action_plan = models.ForeignKey(ActionPlan, on_delete=models.PROTECT,
                                    related_name="instruments")
    version = models.CharField(max_length=40)
    description = models.TextField(blank=True)
    scale = models.JSONField(default=list, help_text="Steps 1-4: value, label, label_nb.")
    unsure_label = models.CharField(max_length=60, default="Unsure")
    unsure_label_nb = models.CharField(max_length=60, default="Usikker")


class Element(ContentItem):
    KIND = "element"

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="elements")
    area = models.ForeignKey(ActionPlanArea, on_delete=models.PROTECT,
                             related_name="assessment_elements")
    criteria = models.TextField(help_text="Criteria to consider, one per line.")
    criteria_nb = models.TextField("criteria (Norwegian)", blank=True,
                                   help_text="One per line; empty shows the English criteria.")
    recommendations = models.ManyToManyField(Recommendation, blank=True,
                                             related_name="assessment_elements")

    @property
    def criteria_list(self) -> list[str]:
        """The criteria in the active language (Norwegian when there is a translation)."""
        text = _localised(self, "criteria")
        return [line.strip() for line in text.splitlines() if line.strip()]


class Tactic(ContentItem):
    KIND = "tactic"

    recommendation = models.ForeignKey(Recommendation, null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="tactics")
    area = models.ForeignKey(ActionPlanArea, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="tactics")
    description = models.TextField(blank=True)
    levels = models.JSONField(default=list, help_text="Any of: " + ", ".join(
        code for code, _label in LEVEL_CHOICES))

    class Meta(ContentItem.Meta):
        constraints = [models.CheckConstraint(
            condition=Q(recommendation__isnull=True, area__isnull=False)
            | Q(recommendation__isnull=False, area__isnull=True),
            name="assessment_tactic_one_target")]

    @property
    def level_labels(self) -> list[str]:
        labels = dict(LEVEL_CHOICES)
        return [str(labels.get(level, level)) for level in self.levels]


class Resource(models.Model):
    tactic = models.ForeignKey(Tactic, on_delete=models.CASCADE, related_name="resources")
    title = models.CharField(max_length=300)
    kind = models.CharField(max_length=20, choices=RESOURCE_KIND_CHOICES)
    link = models.URLField(blank=True)
    note = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class Assessment(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="assessments")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT,
                                   related_name="assessments")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    started_at = models.DateTimeField(default=timezone.now)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True)
                | Q(status="closed", closed_at__isnull=False),
                name="assessment_closed_has_date"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.org_unit.code})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class TeamMember(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="assessment_memberships")
    profession = models.CharField(max_length=100, blank=True,
                                  help_text="e.g. nurse, physician, patient adviser")
    invited_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["invited_at", "id"]
        constraints = [models.UniqueConstraint(fields=["assessment", "user"],
                                               name="assessment_member_once")]

    def __str__(self) -> str:
        return f"{self.user} in {self.assessment_id}"


_ON_SCALE = Q(value__isnull=True) | Q(value__gte=1, value__lte=4)


class Rating(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="ratings")
    element = models.ForeignKey(Element, on_delete=models.PROTECT, related_name="ratings")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="assessment_ratings")
    value = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty = unsure.")
    comment = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "element", "rater"],
                                    name="assessment_rating_once"),
            models.CheckConstraint(condition=_ON_SCALE, name="assessment_rating_on_scale"),
        ]

    def __str__(self) -> str:
        return f"{self.rater_id} on {self.element_id}: {self.value or 'unsure'}"


class Consensus(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE,
                                   related_name="consensus")
    element = models.ForeignKey(Element, on_delete=models.PROTECT, related_name="+")
    value = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty = unsure.")
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "element"],
                                    name="assessment_consensus_once"),
            models.CheckConstraint(condition=_ON_SCALE, name="assessment_consensus_on_scale"),
        ]

    def __str__(self) -> str:
        return f"agreed on {self.element_id}: {self.value or 'unsure'}"


class Action(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="actions")
    what = models.CharField(max_length=500)
    owner = models.CharField(max_length=200, help_text="Who is responsible (name or role).")
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    assessment = models.ForeignKey(Assessment, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="actions")
    tactic = models.ForeignKey(Tactic, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="actions")
    recommendation = models.ForeignKey(Recommendation, null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="actions")
    plan_area = models.ForeignKey(ActionPlanArea, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="actions")
    target_area = models.ForeignKey(TargetArea, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="assessment_actions")
    measure = models.ForeignKey(Measure, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="assessment_actions")
    note = models.TextField(blank=True, help_text="Where the action came from, and anything else.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [models.CheckConstraint(
            condition=Q(status="done", completed_on__isnull=False) | ~Q(status="done"),
            name="assessment_action_done_has_date")]

    def __str__(self) -> str:
        return self.what

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return (self.due_date is not None and self.due_date < today
                and self.status in (self.Status.PLANNED, self.Status.IN_PROGRESS))
