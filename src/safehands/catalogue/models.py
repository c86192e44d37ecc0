"""The programme catalogue in the database: loaded from the packaged YAML, edited in the admin.

Programme -> Aim, TargetArea -> BundleElement, Measure; Programme -> ActionPlan ->
ActionPlanArea -> Recommendation. Every item has a stable `code`, its `source` and its
`confidence`, and the bookkeeping that lets a reload respect local edits:

- `origin`: "package" for items that came from the YAML, "local" for items added in the admin
  (a reload never touches local items);
- `locally_edited`: a programme administrator changed the item; a reload leaves it as it is
  unless `--force`;
- `is_retired`: the item has left the YAML (or was retired by hand). Items are never deleted,
  because measures and assessments elsewhere refer to them.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from safehands.catalogue import schema

CONFIDENCE_CHOICES = [
    ("V", _("Verified")),
    ("M", _("Background knowledge, to be confirmed")),
    ("?", _("Uncertain, to be confirmed")),
]
SETTING_LABELS = {
    "hospital": _("Hospital"),
    "emergency_department": _("Emergency department"),
    "nursing_home": _("Nursing home"),
    "home_care": _("Home care"),
    "general_practice": _("General practice"),
    "mental_health_inpatient": _("Mental health inpatient unit"),
    "substance_use_treatment": _("Substance-use treatment"),
}
KIND_CHOICES = [("process", _("Process")), ("outcome", _("Outcome")),
                ("balancing", _("Balancing"))]
VALUE_TYPE_CHOICES = [
    ("proportion", _("Proportion")),
    ("rate", _("Rate")),
    ("count", _("Count")),
    ("continuous", _("Continuous")),
    ("time_between", _("Time between events")),
    ("cases_between", _("Cases between events")),
]
DIRECTION_CHOICES = [("higher_is_better", _("Higher is better")),
                     ("lower_is_better", _("Lower is better"))]
# Chart names as the SPC literature writes them (Provost & Murray 2011); P' and U' are
# Laney's charts for large subgroups.
CHART_LABELS = {
    "run": _("Run chart"), "i": "I", "mr": "MR", "xbar": "X̄", "s": "S", "t": "T", "p": "P",
    "pp": "P′", "c": "C", "u": "U", "up": "U′", "g": "G",
}
CHART_CHOICES = [(c, CHART_LABELS[c]) for c in schema.CHARTS]
FREQUENCY_CHOICES = [("weekly", _("Weekly")), ("monthly", _("Monthly")),
                     ("quarterly", _("Quarterly"))]
AREA_KIND_CHOICES = [("principle", _("Principle")), ("foundational_area", _("Foundational area"))]
ORIGIN_CHOICES = [("package", _("Packaged catalogue")), ("local", _("Added locally"))]

# The fields that record the load itself rather than content; never compared or audited as edits.
BOOKKEEPING = ("id", "origin", "locally_edited", "created_at", "updated_at")

SETTING_UNKNOWN = "Unknown setting {value!r}; use one of {allowed}."


def _localised(item: models.Model, field: str) -> str:
    """The Norwegian text when the active language is Norwegian and there is one."""
    language = (get_language() or "").lower()
    if language.startswith(("nb", "no", "nn")):
        text = getattr(item, f"{field}_nb", "")
        if text:
            return text
    return getattr(item, field)


class CatalogueItem(models.Model):
    KIND = ""

    code = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=300)
    name_nb = models.CharField("name (Norwegian)", max_length=300)
    description = models.TextField(blank=True)
    description_nb = models.TextField("description (Norwegian)", blank=True)
    source = models.CharField(max_length=500)
    confidence = models.CharField(max_length=1, choices=CONFIDENCE_CHOICES)
    note = models.TextField(blank=True, help_text="Caveats about the facts behind this item.")
    position = models.PositiveIntegerField(default=0, help_text="Order among its siblings.")
    origin = models.CharField(max_length=10, choices=ORIGIN_CHOICES, default="local")
    locally_edited = models.BooleanField(
        default=False,
        help_text="Changed by a programme administrator; a reload keeps it unless forced.",
    )
    is_retired = models.BooleanField(
        default=False, help_text="No longer in the catalogue; kept because data may refer to it."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return f"{self.code}: {self.name}"

    @property
    def to_be_confirmed(self) -> bool:
        return self.confidence in schema.TO_BE_CONFIRMED

    @property
    def display_name(self) -> str:
        return _localised(self, "name")

    @property
    def display_description(self) -> str:
        return _localised(self, "description")


def _confidence_check(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=models.Q(confidence__in=schema.CONFIDENCES), name=f"{name}_confidence_valid"
    )


class Programme(CatalogueItem):
    KIND = "programme"

    version = models.CharField(max_length=40, help_text="Version of the catalogue content.")
    country = models.CharField(max_length=2)
    file_name = models.CharField(max_length=200, blank=True)

    class Meta(CatalogueItem.Meta):
        constraints = [_confidence_check("catalogue_programme")]


class Aim(CatalogueItem):
    KIND = "aim"

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="aims")

    class Meta(CatalogueItem.Meta):
        constraints = [_confidence_check("catalogue_aim")]


class TargetArea(CatalogueItem):
    KIND = "target_area"

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="target_areas"
    )
    number = models.PositiveSmallIntegerField()
    settings = models.JSONField(
        default=list, help_text=f"Care settings, any of: {', '.join(schema.SETTINGS)}."
    )

    class Meta(CatalogueItem.Meta):
        ordering = ["number", "code"]
        constraints = [_confidence_check("catalogue_targetarea")]

    def clean(self) -> None:
        if not isinstance(self.settings, list) or not self.settings:
            raise ValidationError({"settings": "List at least one care setting."})
        for value in self.settings:
            if value not in schema.SETTINGS:
                raise ValidationError({"settings": SETTING_UNKNOWN.format(
                    value=value, allowed=", ".join(schema.SETTINGS))})

    @property
    def setting_labels(self) -> list[str]:
        return [str(SETTING_LABELS.get(s, s)) for s in self.settings]


class BundleElement(CatalogueItem):
    KIND = "bundle_element"

    target_area = models.ForeignKey(
        TargetArea, on_delete=models.PROTECT, related_name="bundle_elements"
    )

    class Meta(CatalogueItem.Meta):
        constraints = [_confidence_check("catalogue_bundleelement")]


class Measure(CatalogueItem):
    KIND = "measure"

    target_area = models.ForeignKey(TargetArea, on_delete=models.PROTECT, related_name="measures")
    kind = models.CharField(max_length=12, choices=KIND_CHOICES)
    value_type = models.CharField(max_length=16, choices=VALUE_TYPE_CHOICES)
    numerator = models.TextField(help_text="What is counted or measured.")
    numerator_nb = models.TextField("numerator (Norwegian)", blank=True)
    denominator = models.TextField(blank=True, help_text="For proportions and rates only.")
    denominator_nb = models.TextField("denominator (Norwegian)", blank=True)
    unit = models.CharField(max_length=40, blank=True)
    multiplier = models.FloatField(default=1)
    direction = models.CharField(max_length=20, choices=DIRECTION_CHOICES)
    chart = models.CharField(max_length=5, choices=CHART_CHOICES)
    frequency = models.CharField(max_length=10, choices=FREQUENCY_CHOICES, default="monthly")
    sampling = models.TextField()
    sampling_nb = models.TextField("sampling (Norwegian)", blank=True)
    sample_size = models.PositiveIntegerField(
        null=True, blank=True, help_text="Suggested sample per period; empty means a local choice."
    )
    target_value = models.FloatField(null=True, blank=True)
    target_note = models.TextField(blank=True)
    target_source = models.CharField(max_length=500, blank=True)
    target_confidence = models.CharField(max_length=1, choices=CONFIDENCE_CHOICES, blank=True)
    is_default = models.BooleanField(
        help_text="The definition was written by Safehands, not taken from the programme."
    )
    compliance_elements = models.ManyToManyField(
        BundleElement, blank=True, related_name="compliance_measures",
        help_text="A bundle-compliance measure counts a case only when all of these are done.",
    )

    class Meta(CatalogueItem.Meta):
        constraints = [
            _confidence_check("catalogue_measure"),
            models.CheckConstraint(condition=models.Q(multiplier__gt=0),
                                   name="catalogue_measure_multiplier_positive"),
            models.CheckConstraint(condition=models.Q(kind__in=schema.KINDS),
                                   name="catalogue_measure_kind_valid"),
            models.CheckConstraint(condition=models.Q(value_type__in=schema.VALUE_TYPES),
                                   name="catalogue_measure_value_type_valid"),
            models.CheckConstraint(condition=models.Q(chart__in=schema.CHARTS),
                                   name="catalogue_measure_chart_valid"),
            models.CheckConstraint(
                condition=models.Q(target_value__isnull=True) | ~models.Q(target_source=""),
                name="catalogue_measure_target_has_source",
            ),
        ]

    def clean(self) -> None:
        problems = schema.measure_problems(
            kind=self.kind,
            value_type=self.value_type,
            denominator=self.denominator or "",
            unit=self.unit or "",
            chart=self.chart,
            multiplier=self.multiplier or 1,
            target_value=self.target_value,
            # Compliance elements are many-to-many: set after saving, checked by the loader.
            is_bundle_compliance=bool(self.pk) and self.compliance_elements.exists(),
        )
        errors: dict[str, list[str]] = {}
        for field, message in problems:
            field = {"target.value": "target_value"}.get(field, field)
            if field == "compliance_elements":
                field = "kind"
            errors.setdefault(field, []).append(message)
        if self.target_value is not None and not self.target_source:
            errors.setdefault("target_source", []).append("A target needs its source.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_bundle_compliance(self) -> bool:
        return bool(self.compliance_elements.all())  # uses the prefetched list when there is one

    @property
    def display_numerator(self) -> str:
        return _localised(self, "numerator")

    @property
    def display_denominator(self) -> str:
        return _localised(self, "denominator")

    @property
    def display_sampling(self) -> str:
        return _localised(self, "sampling")


class ActionPlan(CatalogueItem):
    KIND = "action_plan"

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="action_plans"
    )
    period_start = models.PositiveSmallIntegerField()
    period_end = models.PositiveSmallIntegerField(null=True, blank=True)
    areas_are = models.CharField(max_length=20, choices=AREA_KIND_CHOICES)

    class Meta(CatalogueItem.Meta):
        constraints = [
            _confidence_check("catalogue_actionplan"),
            models.CheckConstraint(
                condition=models.Q(period_end__isnull=True)
                | models.Q(period_end__gte=models.F("period_start")),
                name="catalogue_actionplan_period_ordered",
            ),
        ]


class ActionPlanArea(CatalogueItem):
    KIND = "action_plan_area"

    plan = models.ForeignKey(ActionPlan, on_delete=models.PROTECT, related_name="areas")
    number = models.PositiveSmallIntegerField()

    class Meta(CatalogueItem.Meta):
        ordering = ["number", "code"]
        constraints = [_confidence_check("catalogue_actionplanarea")]


class Recommendation(CatalogueItem):
    KIND = "recommendation"

    area = models.ForeignKey(
        ActionPlanArea, on_delete=models.PROTECT, related_name="recommendations"
    )
    number = models.PositiveSmallIntegerField()

    class Meta(CatalogueItem.Meta):
        ordering = ["number", "code"]
        constraints = [_confidence_check("catalogue_recommendation")]


# In load order: parents before children.
MODELS: tuple[type[CatalogueItem], ...] = (
    Programme, Aim, TargetArea, BundleElement, Measure, ActionPlan, ActionPlanArea,
    Recommendation,
)
