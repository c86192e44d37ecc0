"""The shapes of the handler's forms: which fields, of which kind, with which choices.

Forms check only shape (a date is a date, a choice is one of the list); every rule of the
programme (a reason is needed to reject, feedback before approval, the file's kind and size)
stays in the services, whose messages the views put back on the field they name.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from safehands.assessment.models import Action
from safehands.events.content import taxonomy
from safehands.events.models import ActionStrength, Outcome, Status
from safehands.events.queries import STATUS_ALL, STATUS_OPEN

YES_NO_UNKNOWN = (("", _("Not known")), ("yes", _("Yes")), ("no", _("No (a near miss)")))
FILE_REQUIRED = _("Choose a file to attach.")


def _type_choices() -> list[tuple[str, str]]:
    return [(code, term.label) for code, term in taxonomy().event_types.items()]


def _factor_choices() -> list[tuple[str, str]]:
    return [(code, term.label) for code, term in taxonomy().factors.items()]


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)
    event_type = forms.ChoiceField(label=_("Type of event"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    outcome = forms.ChoiceField(label=pgettext_lazy("event", "Outcome"), required=False)
    unit = forms.CharField(label=_("Unit (code)"), required=False, max_length=40)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)
    q = forms.CharField(label=_("Reference contains"), required=False, max_length=40)
    page = forms.IntegerField(label=_("Page"), required=False, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            (STATUS_OPEN, _("Open (not closed)")), (STATUS_ALL, _("All")), *Status.choices]
        self.fields["event_type"].choices = [("", _("All types")), *_type_choices()]
        self.fields["category"].choices = [("", _("All categories")), *[
            (code, term.label) for code, term in taxonomy().categories.items()]]
        self.fields["outcome"].choices = [("", _("All outcomes")), *Outcome.choices]


class VersionedForm(forms.Form):
    """Every workflow step carries the version the handler saw, so that a second handler's
    step on a changed report is refused instead of overwriting it."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    note = forms.CharField(label=_("Note (for the history)"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class TriageForm(VersionedForm):
    handler = forms.ChoiceField(label=_("Handled by"), required=False)
    event_type = forms.ChoiceField(label=_("Type of event"))
    outcome = forms.ChoiceField(label=_("Outcome (degree of harm)"), choices=Outcome.choices)
    reached_patient = forms.ChoiceField(label=_("Did it reach the patient?"),
                                        choices=YES_NO_UNKNOWN, required=False)

    def __init__(self, *args: Any, handlers: list[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["handler"].choices = [
            (str(u.pk), u.get_full_name() or u.get_username()) for u in handlers]
        self.fields["event_type"].choices = _type_choices()


class ReasonForm(VersionedForm):
    """Reject, send back and re-open: the reason is what the history shows."""

    note = forms.CharField(label=_("Reason"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class DuplicateForm(VersionedForm):
    duplicate_of = forms.CharField(label=_("Reference of the report it repeats"),
                                   required=False, max_length=40)


class FeedbackForm(VersionedForm):
    """Ask for approval (and approve): the feedback is what the reporter will read."""

    feedback = forms.CharField(
        label=_("Feedback to the reporter"), required=False, max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("In plain language: what was found, and what is being done so that it "
                    "does not happen again. No names, no patient details."))


class NotifyForm(forms.Form):
    reference = forms.CharField(label=_("Reference of the notification"), required=False,
                                max_length=100)


class MessageForm(forms.Form):
    text = forms.CharField(label=_("Message to the reporter"), required=False,
                           max_length=20000, widget=forms.Textarea(attrs={"rows": 3}))


class InvestigationForm(forms.Form):
    summary = forms.CharField(label=_("What happened, as the review found it"), required=False,
                              max_length=20000, widget=forms.Textarea(attrs={"rows": 6}))
    went_well = forms.CharField(label=_("What went well"), required=False, max_length=20000,
                                widget=forms.Textarea(attrs={"rows": 3}))
    factors = forms.MultipleChoiceField(label=_("Contributing factors"), required=False,
                                        widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["factors"].choices = _factor_choices()


class TimelineForm(forms.Form):
    at = forms.DateTimeField(label=_("When"), required=False,
                             input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                             widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                             error_messages={"invalid": _("Give the time as a date and a "
                                                          "time (YYYY-MM-DD HH:MM).")})
    what = forms.CharField(label=_("What happened then"), required=False, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class CauseForm(forms.Form):
    cause = forms.CharField(label=_("Cause"), required=False, max_length=5000,
                            widget=forms.Textarea(attrs={"rows": 2}))
    effect = forms.CharField(label=_("… led to (effect)"), required=False, max_length=5000,
                             widget=forms.Textarea(attrs={"rows": 2}))
    factor = forms.ChoiceField(label=_("Contributing factor"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["factor"].choices = [("", _("(none)")), *_factor_choices()]


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File (PDF, PNG, JPEG or plain text)"), required=False)


class ActionForm(forms.Form):
    what = forms.CharField(label=_("What will be done"), required=False, max_length=500)
    owner = forms.CharField(label=_("Who is responsible (name or role)"), required=False,
                            max_length=200)
    due_date = forms.DateField(label=_("Due date"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}),
                               error_messages={"invalid": _("Give the due date as YYYY-MM-DD.")})
    strength = forms.ChoiceField(label=_("Strength"), choices=ActionStrength.choices,
                                 widget=forms.RadioSelect,
                                 error_messages={"required": _("Choose how strong the action "
                                                               "is.")})


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Action.Status.choices)
