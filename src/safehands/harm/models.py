"""Global Trigger Tool data: teams, their populations, samples, two-stage reviews and harms.

Stays are identified only by a pseudonymous stay id from the hospital's own systems: no names,
no national identity numbers are ever stored here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from safehands.orgs.models import OrgUnit

DEFAULT_EXCLUDED_SERVICES = ["psychiatry", "paediatrics", "rehabilitation"]


def _default_excluded_services() -> list[str]:
    return list(DEFAULT_EXCLUDED_SERVICES)


class GttTeam(models.Model):
    """A GTT team and the one sampling population (an org unit) it reviews."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200, blank=True)
    population = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="gtt_teams")
    sample_size = models.PositiveSmallIntegerField(default=10)
    period_days = models.PositiveSmallIntegerField(default=14)
    excluded_services = models.JSONField(default=_default_excluded_services)
    trigger_variant = models.CharField(max_length=40, default="ihi")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(sample_size__gte=1), name="gttteam_sample_size"),
            models.CheckConstraint(condition=Q(period_days__gte=1), name="gttteam_period_days"),
        ]

    def __str__(self) -> str:
        return self.name or self.code


class MemberRole(models.TextChoices):
    PRIMARY_REVIEWER = "primary_reviewer", _("Primary reviewer")
    PHYSICIAN = "physician", _("Physician")
    COORDINATOR = "coordinator", _("Coordinator")


class GttMember(models.Model):
    team = models.ForeignKey(GttTeam, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="gtt_memberships")
    role = models.CharField(max_length=20, choices=MemberRole.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user", "role"],
                                               name="gttmember_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.role} · {self.team.code}"


class ReviewPeriod(models.Model):
    """A sampling period (by default two weeks); records are reviewed and then locked."""

    team = models.ForeignKey(GttTeam, on_delete=models.CASCADE, related_name="periods")
    start = models.DateField()
    end = models.DateField()
    locked_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["team", "start"]
        constraints = [
            models.UniqueConstraint(fields=["team", "start"], name="reviewperiod_unique"),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")),
                                   name="reviewperiod_end_after_start"),
            models.CheckConstraint(
                condition=Q(locked_at__isnull=True, locked_by__isnull=True)
                | Q(locked_at__isnull=False, locked_by__isnull=False),
                name="reviewperiod_locked_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team.code} {self.start:%Y-%m-%d}–{self.end:%Y-%m-%d}"

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class DischargeUpload(models.Model):
    team = models.ForeignKey(GttTeam, on_delete=models.CASCADE, related_name="uploads")
    filename = models.CharField(max_length=300, blank=True)
    rows = models.PositiveIntegerField()
    eligible = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return f"{self.team.code} discharge list {self.filename} ({self.rows} rows)"


class Stay(models.Model):
    """One row of a discharge list: a pseudonymous stay, never a person's identity."""

    team = models.ForeignKey(GttTeam, on_delete=models.CASCADE, related_name="stays")
    upload = models.ForeignKey(DischargeUpload, on_delete=models.CASCADE, related_name="stays")
    stay_id = models.CharField(max_length=64)
    admission_time = models.DateTimeField()
    discharge_time = models.DateTimeField()
    age = models.PositiveSmallIntegerField()
    service = models.CharField(max_length=100, blank=True)
    eligible = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "stay_id"], name="stay_unique"),
            models.CheckConstraint(condition=Q(discharge_time__gte=models.F("admission_time")),
                                   name="stay_discharge_after_admission"),
        ]
        indexes = [models.Index(fields=["team", "discharge_time"])]

    def __str__(self) -> str:
        return f"{self.team.code}/{self.stay_id}"


class SampleDraw(models.Model):
    """The random draw for one period: the seed makes it reproducible; `eligible` is the
    population size used to weight the national estimate."""

    period = models.OneToOneField(ReviewPeriod, on_delete=models.CASCADE, related_name="draw")
    seed = models.BigIntegerField()
    eligible = models.PositiveIntegerField()
    sample_size = models.PositiveSmallIntegerField()
    drawn_at = models.DateTimeField(auto_now_add=True)
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return f"{self.period} sample (seed {self.seed})"


class RecordStatus(models.TextChoices):
    TO_REVIEW = "to_review", _("To review")
    SCREENED = "screened", _("Screened")
    CONFIRMED = "confirmed", _("Confirmed")


class ReviewRecord(models.Model):
    """A sampled (or imported) stay under review. Belongs to the period of its discharge."""

    team = models.ForeignKey(GttTeam, on_delete=models.CASCADE, related_name="records")
    period = models.ForeignKey(ReviewPeriod, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="records")
    stay_id = models.CharField(max_length=64)
    admission_date = models.DateField()
    discharge_date = models.DateField()
    patient_days = models.DecimalField(max_digits=8, decimal_places=2)
    status = models.CharField(max_length=20, choices=RecordStatus.choices,
                              default=RecordStatus.TO_REVIEW)
    source = models.CharField(max_length=20, default="sample")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["team", "discharge_date", "stay_id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "stay_id"], name="reviewrecord_unique"),
            models.CheckConstraint(condition=Q(patient_days__gte=0),
                                   name="reviewrecord_patient_days"),
            models.CheckConstraint(condition=Q(discharge_date__gte=models.F("admission_date")),
                                   name="reviewrecord_dates"),
        ]
        indexes = [models.Index(fields=["team", "discharge_date"])]

    def __str__(self) -> str:
        return f"{self.team.code}/{self.stay_id}"


class PrimaryReview(models.Model):
    """Stage 1: one primary reviewer's independent screening of one record."""

    record = models.ForeignKey(ReviewRecord, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+")
    triggers = models.JSONField(default=list)
    candidate_events = models.TextField(blank=True)
    candidate_count = models.PositiveSmallIntegerField(default=0)
    minutes = models.PositiveSmallIntegerField()
    saved_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "reviewer"],
                                               name="primaryreview_unique")]

    def __str__(self) -> str:
        return f"{self.record} screened by {self.reviewer}"


class Severity(models.TextChoices):
    E = "E", _("E: temporary harm, intervention needed")
    F = "F", _("F: temporary harm, hospital stay started or prolonged")
    G = "G", _("G: lasting harm")
    H = "H", _("H: intervention to sustain life")
    I = "I", _("I: contributed to death")  # noqa: E741 - the GTT category's own name


class AdverseEvent(models.Model):
    """Stage 2: an adverse event confirmed by the team's physician."""

    record = models.ForeignKey(ReviewRecord, on_delete=models.CASCADE, related_name="events")
    severity = models.CharField(max_length=1, choices=Severity.choices)
    harm_type = models.CharField(max_length=40)
    harm_type_text = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    triggers = models.JSONField(default=list)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["record", "id"]
        constraints = [models.CheckConstraint(condition=Q(severity__in=["E", "F", "G", "H", "I"]),
                                              name="adverseevent_severity_e_to_i")]

    def __str__(self) -> str:
        return f"{self.record} {self.severity} {self.harm_type}"
