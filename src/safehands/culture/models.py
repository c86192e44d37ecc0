"""Safety-culture surveys in the database.

Instrument -> ResponseScale, Scale, Item: an instrument as data (packaged SAQ and SOPS
Hospital 2.0 structures with demo wording, official wording imported by licensed
organisations, or local instruments defined by programme administrators).

SurveyRound -> RoundUnit (the per-unit code for the round link), Invitation (single-use
links), Response (anonymous answers), ActionNote (what a unit keeps and improves).

Anonymity by construction: a Response has a random UUID key, no timestamp, no user and no
reference to an Invitation; an Invitation only records *that* it was used, never when. See
`services.response_submit` and docs/culture.md.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from safehands.culture import instruments as schema

METHOD_CHOICES = [("saq", "SAQ"), ("sops", "SOPS")]
WORDING_CHOICES = [("demo", _("Demo wording (not the official items)")),
                   ("official", _("Official wording (licensed)")),
                   ("local", _("Local instrument"))]
ORIGIN_CHOICES = [("package", _("Packaged")), ("local", _("Defined locally"))]
CONFIDENCE_CHOICES = [("V", _("Verified")), ("M", _("To be confirmed")),
                      ("?", _("Uncertain"))]


def _nb(en: str, nb: str) -> str:
    return nb if nb and (get_language() or "en").startswith("nb") else en


class Instrument(models.Model):
    code = models.CharField(max_length=60, unique=True)
    version = models.CharField(max_length=40, default="1")
    name = models.CharField(max_length=300)
    name_nb = models.CharField(max_length=300, blank=True)
    method = models.CharField(max_length=10, choices=METHOD_CHOICES)
    wording = models.CharField(max_length=10, choices=WORDING_CHOICES, default="demo")
    origin = models.CharField(max_length=10, choices=ORIGIN_CHOICES, default="package")
    source = models.TextField(blank=True)
    confidence = models.CharField(max_length=1, choices=CONFIDENCE_CHOICES, default="?")
    positive_threshold = models.FloatField(default=75.0)
    mature_pct = models.FloatField(default=60.0)
    positive_values = models.JSONField(default=list)
    negative_values = models.JSONField(default=list)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return _nb(self.name, self.name_nb)

    def spec(self) -> schema.InstrumentSpec:
        """The plain form `safehands.culture.scoring` works on."""
        items = {}
        for item in self.items.select_related("scale", "response_scale"):
            rs = item.response_scale
            items[item.code] = schema.ItemSpec(
                code=item.code, scale=item.scale.code if item.scale else None,
                reverse=item.reverse, values=frozenset(rs.values()),
                not_applicable=rs.not_applicable)
        return schema.InstrumentSpec(
            code=self.code, method=self.method,
            scales=tuple(self.scales.values_list("code", flat=True)), items=items,
            positive_threshold=self.positive_threshold, mature_pct=self.mature_pct,
            positive=frozenset(self.positive_values), negative=frozenset(self.negative_values))


class ResponseScale(models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE,
                                   related_name="response_scales")
    code = models.CharField(max_length=40)
    options = models.JSONField(help_text="[{value, label, label_nb}, ...]")
    not_applicable = models.IntegerField(null=True, blank=True)
    not_applicable_label = models.CharField(max_length=200, blank=True)
    not_applicable_label_nb = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["instrument", "code"],
                                               name="culture_response_scale_unique")]

    def __str__(self) -> str:
        return f"{self.instrument_id}:{self.code}"

    def values(self) -> list[int]:
        return [o["value"] for o in self.options]

    def choices(self) -> list[tuple[int, str]]:
        listed = [(o["value"], _nb(o["label"], o.get("label_nb", ""))) for o in self.options]
        if self.not_applicable is not None:
            listed.append((self.not_applicable,
                           _nb(self.not_applicable_label, self.not_applicable_label_nb)))
        return listed



class Scale(models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="scales")
    code = models.CharField(max_length=60)
    name = models.CharField(max_length=300)
    name_nb = models.CharField(max_length=300, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["instrument", "order"]
        constraints = [models.UniqueConstraint(fields=["instrument", "code"],
                                               name="culture_scale_unique")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return _nb(self.name, self.name_nb)


class Item(models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(max_length=40)
    scale = models.ForeignKey(Scale, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="items")
    response_scale = models.ForeignKey(ResponseScale, on_delete=models.PROTECT)
    reverse = models.BooleanField(default=False)
    text = models.TextField()
    text_nb = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["instrument", "order"]
        constraints = [models.UniqueConstraint(fields=["instrument", "code"],
                                               name="culture_item_unique")]

    def __str__(self) -> str:
        return self.code

    @property
    def display_text(self) -> str:
        return _nb(self.text, self.text_nb)



class ProgrammeSurveySettings(models.Model):
    """Per-programme survey settings: today, the minimum number of respondents shown."""

    programme = models.OneToOneField("catalogue.Programme", on_delete=models.CASCADE,
                                     related_name="survey_settings")
    min_respondents = models.PositiveSmallIntegerField(default=5)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(min_respondents__gte=1),
                                              name="culture_settings_min_respondents")]

    def __str__(self) -> str:
        return f"survey settings {self.programme_id}"


class RoundStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class SurveyRound(models.Model):
    title = models.CharField(max_length=200)
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="rounds")
    root = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT,
                             related_name="survey_rounds")
    programme = models.ForeignKey("catalogue.Programme", null=True, blank=True,
                                  on_delete=models.PROTECT)
    opens_on = models.DateField()
    closes_on = models.DateField()
    status = models.CharField(max_length=10, choices=RoundStatus.choices,
                              default=RoundStatus.OPEN)
    min_respondents = models.PositiveSmallIntegerField(default=5)
    link_token = models.CharField(max_length=64, unique=True)
    reminders_sent = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-opens_on", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(closes_on__gte=models.F("opens_on")),
                                   name="culture_round_dates_in_order"),
            models.CheckConstraint(condition=models.Q(min_respondents__gte=1),
                                   name="culture_round_min_respondents"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN


class RoundUnit(models.Model):
    """A unit taking part, with the code its staff type after the round link."""

    survey_round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE,
                                     related_name="units")
    org_unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    join_code = models.CharField(max_length=20)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey_round", "org_unit"],
                                    name="culture_round_unit_unique"),
            models.UniqueConstraint(fields=["survey_round", "join_code"],
                                    name="culture_round_unit_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.survey_round_id}:{self.org_unit_id}"


class Invitation(models.Model):
    """A single-use link. Only a hash of its token is stored; `used` has no date."""

    survey_round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE,
                                     related_name="invitations")
    org_unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    recipient = models.CharField(max_length=254, blank=True)
    used = models.BooleanField(default=False)
    # No per-invitation reminder count: "reminded, then used" would tell which answers came
    # after a reminder (PostgreSQL row transaction ids order answers). The round counts.

    def __str__(self) -> str:
        return f"invitation {self.pk}"


class Response(models.Model):
    """One anonymous set of answers: no user, no invitation, no time; a random key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey_round = models.ForeignKey(SurveyRound, on_delete=models.PROTECT,
                                     related_name="responses")
    org_unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    answers = models.JSONField(help_text="{item code: answer}; missing items are absent.")

    def __str__(self) -> str:
        return f"response {self.pk}"


class ActionNote(models.Model):
    """A unit's action plan after a round: what to keep doing, what to improve."""

    survey_round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE,
                                     related_name="action_notes")
    org_unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    keep = models.TextField(blank=True)
    improve = models.TextField(blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["survey_round", "org_unit"],
                                               name="culture_action_note_unique")]

    def __str__(self) -> str:
        return f"action plan {self.survey_round_id}:{self.org_unit_id}"
