"""Measurement data: enrolments, data values with their history, locks, annotations, audits.

Modelled on DHIS2's data layer (ECOSYSTEM §1): a data value is one number set for
(org unit, data element = measure, period), unique on that triple, with a comment, a
source and a version that counts its changes. Every change is kept:

- a value's creation is the row itself (version 1, `batch` says who, when and how);
- every later change writes a `DataValueHistory` row with the old and the new numbers;
- every write of any kind belongs to one `EntryBatch` (a form save, an import, an API call),
  which records who, when, from where, and what it did.

Local measures (those a unit adds for itself) are catalogue `Measure` rows with origin
"local", so a data value always points at one measure table.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from safehands.catalogue.models import BundleElement, Measure, TargetArea
from safehands.orgs.models import OrgUnit

PHASES = ("preparing", "testing", "implementing", "spreading", "sustaining")
PHASE_CHOICES = [
    ("preparing", _("Preparing")),
    ("testing", _("Testing")),
    ("implementing", _("Implementing")),
    ("spreading", _("Spreading")),
    ("sustaining", _("Sustaining")),
]
SOURCE_CHOICES = [("form", _("Form")), ("import", _("Import")), ("api", _("API")),
                  ("audit", _("Bundle audit")), ("system", _("System"))]
ANSWER_CHOICES = [("yes", _("Yes")), ("no", _("No")), ("na", _("Not applicable"))]


class Enrolment(models.Model):
    """A unit takes part in a target area."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="enrolments")
    target_area = models.ForeignKey(TargetArea, on_delete=models.PROTECT,
                                    related_name="enrolments")
    phase = models.CharField(max_length=20, choices=PHASE_CHOICES, default="preparing")
    started = models.DateField()
    ended = models.DateField(null=True, blank=True)
    aim_text = models.TextField(blank=True)
    target_value = models.FloatField(null=True, blank=True)
    target_date = models.DateField(null=True, blank=True)
    measures = models.ManyToManyField(Measure, blank=True, related_name="enrolments",
                                      help_text="The measures this unit reports.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["unit__path", "target_area__number"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "target_area"],
                                    name="measurement_enrolment_unique"),
            models.CheckConstraint(condition=Q(phase__in=PHASES),
                                   name="measurement_enrolment_phase_valid"),
            models.CheckConstraint(condition=Q(ended__isnull=True) | Q(ended__gte=F("started")),
                                   name="measurement_enrolment_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.unit.code} in {self.target_area.code}"


class EnrolmentPhase(models.Model):
    """The dated history of an enrolment's phase: one row per phase change."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="phases")
    phase = models.CharField(max_length=20, choices=PHASE_CHOICES)
    since = models.DateField()
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    set_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["enrolment", "since", "id"]
        constraints = [models.CheckConstraint(condition=Q(phase__in=PHASES),
                                              name="measurement_enrolmentphase_phase_valid")]

    def __str__(self) -> str:
        return f"{self.enrolment}: {self.phase} since {self.since}"


class BundleAdaptation(models.Model):
    """How a unit adapted one bundle element locally (IHI: adapt, keep the intent)."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE,
                                  related_name="adaptations")
    element = models.ForeignKey(BundleElement, on_delete=models.PROTECT, related_name="+")
    note = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enrolment", "element"],
                                               name="measurement_adaptation_unique")]

    def __str__(self) -> str:
        return f"{self.enrolment}: {self.element.code}"


class EntryBatch(models.Model):
    """One act of writing data: a form save, an import file, an API call, an audit."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_username = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=10, choices=SOURCE_CHOICES)
    file_name = models.CharField(max_length=300, blank=True)
    file_format = models.CharField(max_length=10, blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username or 'system'} {self.source}"


class DataValue(models.Model):
    """One reported number for (unit, measure, period)."""

    # No database-level foreign keys or single-column indexes on the three references: a
    # bulk import of a million values would spend most of its time in the per-row foreign-key
    # triggers and redundant index updates. Integrity holds without them: imports check every
    # code in the same transaction; org units, measures and batches are never deleted while
    # values point at them (PROTECT, enforced by Django); the unique (unit, measure, period)
    # and the (measure, period_start) indexes serve every lookup. docs/measurement.md.
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="data_values",
                             db_constraint=False, db_index=False)
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="data_values",
                                db_constraint=False, db_index=False)
    period = models.CharField(max_length=10, help_text="2025-03, 2025-W12 or 2025-Q1.")
    period_start = models.DateField(help_text="First day of the period, for ordering.")
    numerator = models.FloatField(null=True, blank=True)
    denominator = models.FloatField(null=True, blank=True)
    value = models.FloatField(null=True, blank=True)
    comment = models.TextField(blank=True)
    source = models.CharField(max_length=10, choices=SOURCE_CHOICES, default="form")
    version = models.PositiveIntegerField(default=1)
    batch = models.ForeignKey(EntryBatch, on_delete=models.PROTECT, related_name="+",
                              db_constraint=False, db_index=False,
                              help_text="The write that set the current numbers.")
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["unit__path", "measure__code", "period_start"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "measure", "period"],
                                    name="measurement_datavalue_unique"),
            models.CheckConstraint(condition=Q(numerator__isnull=True) | Q(numerator__gte=0),
                                   name="measurement_datavalue_numerator_nonnegative"),
            models.CheckConstraint(condition=Q(denominator__isnull=True) | Q(denominator__gte=0),
                                   name="measurement_datavalue_denominator_nonnegative"),
            models.CheckConstraint(condition=Q(value__isnull=True) | Q(value__gte=0),
                                   name="measurement_datavalue_value_nonnegative"),
            models.CheckConstraint(condition=Q(version__gte=1),
                                   name="measurement_datavalue_version_positive"),
        ]
        indexes = [models.Index(fields=["measure", "period_start"])]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.measure_id}/{self.period}"


class SubtreeTotal(models.Model):
    """Sums of the values reported strictly below a unit, per measure and period.

    Roll-ups and dashboards read these instead of summing thousands of values per view. A
    unit's own values are not in its total (each is one DataValue already), so the whole
    subtree is its SubtreeTotal plus its own values. Every write of data values recomputes
    the totals of the (measure, period) pairs it touched, in the same transaction
    (`measurement.totals`); a move in the org tree rebuilds them.
    """

    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=10)
    period_start = models.DateField()
    numerator = models.FloatField(help_text="Sum of the numerators (none counts as 0).")
    denominator = models.FloatField()
    value = models.FloatField()
    reporting = models.PositiveIntegerField(help_text="How many values were summed.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "measure", "period"],
                                    name="measurement_subtreetotal_unique"),
            models.CheckConstraint(condition=Q(reporting__gte=1),
                                   name="measurement_subtreetotal_reporting_positive"),
        ]
        indexes = [models.Index(fields=["measure", "period_start"])]

    def __str__(self) -> str:
        return f"below {self.unit_id}/{self.measure_id}/{self.period}"


class DataValueHistory(models.Model):
    """The numbers a value had before a change, and the numbers it got."""

    data_value = models.ForeignKey(DataValue, on_delete=models.CASCADE, related_name="history")
    version = models.PositiveIntegerField(help_text="The version this change produced.")
    batch = models.ForeignKey(EntryBatch, on_delete=models.PROTECT, related_name="+")
    old = models.JSONField()
    new = models.JSONField()

    class Meta:
        ordering = ["data_value", "version"]

    def __str__(self) -> str:
        return f"{self.data_value} v{self.version}"


class PeriodLock(models.Model):
    """Values of a subtree whose period starts in [start, end] are closed for change."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="period_locks")
    period = models.CharField(max_length=10)
    start = models.DateField()
    end = models.DateField()
    locked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    locked_at = models.DateTimeField(auto_now_add=True)
    unlocked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    unlocked_at = models.DateTimeField(null=True, blank=True)
    unlock_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-locked_at"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")),
                                   name="measurement_periodlock_ordered"),
            models.CheckConstraint(
                condition=(Q(unlocked_at__isnull=True) & Q(unlock_reason=""))
                | (Q(unlocked_at__isnull=False) & ~Q(unlock_reason="")),
                name="measurement_periodlock_unlock_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.period}"


class Annotation(models.Model):
    """A PDSA change or an event, drawn on the unit's charts (all its measures when blank)."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="annotations")
    measure = models.ForeignKey(Measure, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="annotations")
    date = models.DateField()
    text = models.CharField(max_length=300)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["unit", "date", "id"]

    def __str__(self) -> str:
        return f"{self.date}: {self.text}"


class BundleAudit(models.Model):
    """One sampled patient's bundle check for a period; no identifiers, a local reference."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="bundle_audits")
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="+")
    period = models.CharField(max_length=10)
    reference = models.CharField(max_length=40, help_text="A sample number, never a name.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["unit", "measure", "period", "reference"]
        constraints = [models.UniqueConstraint(fields=["unit", "measure", "period", "reference"],
                                               name="measurement_bundleaudit_unique")]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.measure_id}/{self.period}#{self.reference}"


class BundleAuditAnswer(models.Model):
    audit = models.ForeignKey(BundleAudit, on_delete=models.CASCADE, related_name="answers")
    element = models.ForeignKey(BundleElement, on_delete=models.PROTECT, related_name="+")
    answer = models.CharField(max_length=3, choices=ANSWER_CHOICES)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["audit", "element"],
                                    name="measurement_bundleauditanswer_unique"),
            models.CheckConstraint(condition=Q(answer__in=("yes", "no", "na")),
                                   name="measurement_bundleauditanswer_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.audit_id}/{self.element_id}: {self.answer}"
