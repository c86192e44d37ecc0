"""The two report forms (staff and public) and the follow-up reply: field shapes only.

The rules that cross objects (the time is not in the future, the unit takes reports, the type
and outcome are in the taxonomy) are the service's; a `DomainError` it raises is put next to
the field it names (`error.extra["field"]`) by `domain_error_show`. Messages that say the same
as a service message use the same English text, so one translation serves both.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.forms.utils import ErrorDict
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from safehands.core.errors import DomainError
from safehands.events.content import taxonomy
from safehands.events.models import ReporterKind
from safehands.events.report_queries import PUBLIC_KINDS, unit_for_report, unit_search
from safehands.orgs.models import OrgUnit

# The service's field names, as the forms name them.
SERVICE_FIELDS = {
    "occurred_at": "occurred_date",
    "org_unit": "org_unit",
    "description": "description",
    "event_type": "event_type",
    "outcome": "outcome",
    "factors": "factors",
    "reporter_email": "reporter_email",
    "reporter": "reporter_kind",
    "text": "text",
}
# A public report's type is set by its handlers at triage: patients are not asked to classify.
PUBLIC_EVENT_TYPE = "other"
REACHED = {"yes": True, "no": False, "unknown": None}

DESCRIPTION_REQUIRED = gettext_lazy("Say what happened: the description is empty.")
OCCURRED_REQUIRED = gettext_lazy("Say when it happened.")
DATE_INVALID = gettext_lazy("Write the date as year-month-day, for example 2026-03-31.")
TIME_INVALID = gettext_lazy("Write the time as hours and minutes, for example 14:30.")
UNIT_REQUIRED = gettext_lazy("Choose where it happened.")
UNIT_UNKNOWN = gettext_lazy("There is no place with the code '{code}' that takes reports; "
                            "search for it by name.")
UNIT_NOT_FOUND = gettext_lazy("No place matches '{text}'; try another part of its name.")
UNIT_SEVERAL = gettext_lazy("Several places match '{text}': choose one from the list.")
PUBLIC_UNIT_REQUIRED = gettext_lazy("Search for the hospital, municipality or nursing home "
                                    "and choose it from the list.")
TYPE_REQUIRED = gettext_lazy("Choose what kind of event it was.")
TYPE_INVALID = gettext_lazy("'%(value)s' is not a kind of event; choose one from the list.")
OUTCOME_REQUIRED = gettext_lazy("Choose the outcome for the person; choose 'No harm' if there "
                                "was none.")
PUBLIC_OUTCOME_REQUIRED = gettext_lazy("Say how much harm was done; choose 'No harm' if there "
                                       "was none.")
CHOICE_INVALID = gettext_lazy("'%(value)s' is not one of the choices.")
EMAIL_INVALID = gettext_lazy("Write a whole e-mail address, such as name@example.org, or "
                             "leave it empty.")
REPORTER_KIND_REQUIRED = gettext_lazy("Say whether you are the patient or a relative.")
BOT_SUSPECTED = gettext_lazy("The report could not be sent. Leave the last field, marked "
                             "'leave this empty', empty and send it again.")
MESSAGE_REQUIRED = gettext_lazy("The message is empty.")


def unit_label(unit: OrgUnit) -> str:
    """A unit's name in the request language, with the place above it when there is one."""
    language = (get_language() or "en")[:2]
    name = unit.display_name(language)
    parent = unit.parent if unit.parent_id else None
    if parent is not None and parent.depth > 0:
        return f"{name} ({parent.display_name(language)})"
    return name


def _now_local() -> datetime.datetime:
    return timezone.localtime(timezone.now())


def when_initial() -> dict[str, str]:
    """Now, as the date and time fields show it: most reports are written right after."""
    now = _now_local()
    return {"occurred_date": now.date().isoformat(), "occurred_time": now.strftime("%H:%M")}


class _ReportBase(forms.Form):
    """What both forms ask: what happened, when, where, the harm, and an optional address."""

    unit_kinds: tuple[str, ...] = ()
    unit_required_message = UNIT_REQUIRED

    description = forms.CharField(
        label=gettext_lazy("What happened?"), widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("The facts, in the order they happened: what you saw and what "
                               "was done. Do not write names."),
        error_messages={"required": DESCRIPTION_REQUIRED}, max_length=20000, strip=True)
    occurred_date = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"},
                                                            format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
        error_messages={"required": OCCURRED_REQUIRED, "invalid": DATE_INVALID})
    occurred_time = forms.TimeField(
        label=gettext_lazy("Time"), widget=forms.TimeInput(attrs={"type": "time"},
                                                            format="%H:%M"),
        input_formats=["%H:%M", "%H.%M", "%H:%M:%S"],
        error_messages={"required": OCCURRED_REQUIRED, "invalid": TIME_INVALID})
    org_unit = forms.CharField(label=gettext_lazy("Place"), required=False)
    unit_search = forms.CharField(label=gettext_lazy("Find a place by name or code"),
                                  required=False, max_length=100)
    outcome = forms.ChoiceField(widget=forms.RadioSelect,
                                error_messages={"invalid_choice": CHOICE_INVALID})
    reporter_email = forms.EmailField(
        label=gettext_lazy("Your e-mail address (optional)"), required=False,
        help_text=gettext_lazy("If you give one, we e-mail you when there is an answer. The "
                               "e-mail does not contain the report. The people who handle the "
                               "report can see the address, even on an anonymous report."),
        error_messages={"invalid": EMAIL_INVALID},
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}))

    def __init__(self, *args: Any, own_units: list[OrgUnit] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.own_units = own_units or []
        self.found_units: list[OrgUnit] = []
        self.unit: OrgUnit | None = None
        outcomes = taxonomy().outcomes
        self.fields["outcome"].choices = [(code, term.label) for code, term in outcomes.items()]
        self.fields["occurred_date"].widget.attrs["max"] = _now_local().date().isoformat()

    # -- the place ------------------------------------------------------------------------

    def search(self) -> list[OrgUnit]:
        """The places matching the search box (the "Find" button, or a typed name)."""
        text = (self.data.get(self.add_prefix("unit_search")) or "").strip()
        self.found_units = unit_search(text=text, kinds=self.unit_kinds)
        return self.found_units

    def search_only(self) -> None:
        """The "Find" button: search, and show the form again as typed, without judging it
        (a half-filled form is not yet wrong)."""
        self.search()
        self._errors = ErrorDict()
        self.cleaned_data = {}

    def unit_options(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """(group label, [(code, label)]) for the place list: own units, then search results,
        then the chosen place if it is in neither (so a re-shown form keeps it)."""
        groups: list[tuple[str, list[tuple[str, str]]]] = []
        seen: set[str] = set()
        if self.own_units:
            groups.append((_("Your units"), [(u.code, unit_label(u)) for u in self.own_units]))
            seen.update(u.code for u in self.own_units)
        found = [u for u in self.found_units if u.code not in seen]
        if found:
            groups.append((_("Places found"), [(u.code, unit_label(u)) for u in found]))
            seen.update(u.code for u in found)
        chosen = self.chosen_unit_code()
        if chosen and chosen not in seen:
            unit = unit_for_report(code=chosen, kinds=self.unit_kinds)
            if unit is not None:
                groups.append((_("Chosen place"), [(unit.code, unit_label(unit))]))
        return groups

    def chosen_unit_code(self) -> str:
        if self.is_bound:
            chosen = (self.data.get(self.add_prefix("org_unit")) or "").strip()
            if not chosen and len(self.found_units) == 1:
                return self.found_units[0].code
            return chosen
        initial = self.initial.get("org_unit") or ""
        if not initial and len(self.own_units) == 1:
            return self.own_units[0].code
        return initial

    def clean_org_unit(self) -> OrgUnit | None:
        code = (self.cleaned_data.get("org_unit") or "").strip()
        if code:
            unit = unit_for_report(code=code, kinds=self.unit_kinds)
            if unit is None:
                raise forms.ValidationError(str(UNIT_UNKNOWN).format(code=code[:40]))
            self.unit = unit
            return unit
        text = (self.data.get(self.add_prefix("unit_search")) or "").strip()
        if text:
            found = self.search()
            exact = [u for u in found if text.casefold() in (
                u.name.casefold(), u.name_nb.casefold(), u.code.casefold())]
            if len(exact) == 1 or len(found) == 1:
                self.unit = exact[0] if len(exact) == 1 else found[0]
                return self.unit
            message = UNIT_SEVERAL if found else UNIT_NOT_FOUND
            raise forms.ValidationError(str(message).format(text=text[:100]))
        raise forms.ValidationError(self.unit_required_message)

    # -- the time -------------------------------------------------------------------------

    def occurred_at(self) -> datetime.datetime | None:
        day = self.cleaned_data.get("occurred_date")
        at = self.cleaned_data.get("occurred_time")
        if day is None or at is None:
            return None
        return timezone.make_aware(datetime.datetime.combine(day, at))

    # -- errors ---------------------------------------------------------------------------

    def error_list(self) -> list[tuple[str, str]]:
        """(the id of the field to jump to, message) for the error summary, in form order."""
        ids = {"outcome": "id_outcome_0", "reporter_kind": "id_reporter_kind_0",
               "reached_patient": "id_reached_patient_0", "factors": "factors"}
        found = []
        for message in self.non_field_errors():
            found.append(("report-form", message))
        for name in self.fields:
            for message in self.errors.get(name, []):
                target = ids.get(name, f"id_{name}")
                if name == "org_unit" and not self.unit_options():
                    target = "id_unit_search"
                found.append((target, message))
        return found


class StaffReportForm(_ReportBase):
    """The staff form: the essentials first, the rest optional."""

    event_type = forms.ChoiceField(
        label=gettext_lazy("What kind of event was it?"),
        error_messages={"required": TYPE_REQUIRED, "invalid_choice": TYPE_INVALID})
    reached_patient = forms.ChoiceField(
        widget=forms.RadioSelect, required=False, initial="unknown",
        error_messages={"invalid_choice": CHOICE_INVALID})
    immediate_actions = forms.CharField(
        label=gettext_lazy("What was done straight away? (optional)"), required=False,
        help_text=gettext_lazy("For example: the doctor was called, the patient was watched "
                               "more closely."),
        widget=forms.Textarea(attrs={"rows": 3}), max_length=20000)
    factors = forms.MultipleChoiceField(required=False,
                                        error_messages={"invalid_choice": CHOICE_INVALID})
    anonymous = forms.BooleanField(
        label=gettext_lazy("Report anonymously"), required=False,
        help_text=gettext_lazy(
            "Your name is then not stored with the report, nor in the audit trail: nobody who "
            "handles it can see who sent it. It will not be listed under My reports; follow "
            "it with the link on your receipt. What you write, or an e-mail address you give, "
            "can still show who you are."))

    field_order = ["description", "occurred_date", "occurred_time", "org_unit", "unit_search",
                   "event_type", "outcome", "reached_patient", "immediate_actions", "factors",
                   "anonymous", "reporter_email"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["outcome"].error_messages["required"] = OUTCOME_REQUIRED
        tax = taxonomy()
        self.fields["event_type"].choices = [("", _("Choose…"))] + [
            (category.label, [(t.code, t.label) for t in tax.types_of(code)])
            for code, category in tax.categories.items()]
        self.fields["reached_patient"].choices = [
            ("yes", _("Yes")), ("no", _("No: it was stopped in time (a near miss)")),
            ("unknown", _("Don't know"))]
        self.fields["factors"].choices = [(code, f.label) for code, f in tax.factors.items()]

    def outcome_terms(self) -> list[Any]:
        return list(taxonomy().outcomes.values())

    def event_type_groups(self) -> list[tuple[str, list[Any]]]:
        tax = taxonomy()
        return [(category.label, tax.types_of(code)) for code, category in
                tax.categories.items()]

    def factor_groups(self) -> list[tuple[Any, list[Any]]]:
        tax = taxonomy()
        return [(group, tax.factors_of(code)) for code, group in tax.factor_groups.items()]

    def chosen_factors(self) -> list[str]:
        if self.is_bound:
            return self.data.getlist(self.add_prefix("factors")) if hasattr(
                self.data, "getlist") else list(self.data.get("factors") or [])
        return []

    def report_kwargs(self) -> dict[str, Any]:
        """The keywords of `services.event_report` from a valid form."""
        data = self.cleaned_data
        return {
            "org_unit": self.unit, "event_type": data["event_type"],
            "occurred_at": self.occurred_at(), "description": data["description"],
            "outcome": data["outcome"],
            "reached_patient": REACHED.get(data.get("reached_patient") or "unknown"),
            "immediate_actions": data.get("immediate_actions") or "",
            "factors": list(data.get("factors") or []),
            "anonymous": bool(data.get("anonymous")),
            "reporter_email": data.get("reporter_email") or "",
        }


class PublicReportForm(_ReportBase):
    """The public form, in plain words: who you are, where, when, what happened, the harm."""

    unit_kinds = PUBLIC_KINDS
    unit_required_message = PUBLIC_UNIT_REQUIRED

    reporter_kind = forms.ChoiceField(
        widget=forms.RadioSelect,
        choices=[(ReporterKind.PATIENT, gettext_lazy("I am the patient")),
                 (ReporterKind.RELATIVE, gettext_lazy("I am a relative or next of kin"))],
        error_messages={"required": REPORTER_KIND_REQUIRED, "invalid_choice": CHOICE_INVALID})
    # Filled in only by programs that fill in every field; hidden from people by the style
    # sheet (display: none keeps it from screen readers and the keyboard too).
    leave_empty = forms.CharField(required=False, label=gettext_lazy("Leave this empty"))

    field_order = ["reporter_kind", "unit_search", "org_unit", "occurred_date", "occurred_time",
                   "description", "outcome", "reporter_email", "leave_empty"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["outcome"].error_messages["required"] = PUBLIC_OUTCOME_REQUIRED
        self.fields["description"].help_text = gettext_lazy(
            "In your own words: what happened, and what it meant for you or your relative. "
            "Do not write names or identity numbers.")
        self.fields["reporter_email"].help_text = gettext_lazy(
            "If you give one, we e-mail you when there is an answer; the e-mail does not "
            "contain your report. You can also follow your report with the link on your "
            "receipt.")
        self.fields["unit_search"].label = gettext_lazy(
            "Name of the hospital, municipality or nursing home")
        self.fields["org_unit"].label = gettext_lazy("Choose the place")

    def outcome_terms(self) -> list[Any]:
        return list(taxonomy().outcomes.values())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (data.get("leave_empty") or "").strip():
            raise forms.ValidationError(BOT_SUSPECTED)
        return data

    def report_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "org_unit": self.unit, "event_type": PUBLIC_EVENT_TYPE,
            "occurred_at": self.occurred_at(), "description": data["description"],
            "outcome": data["outcome"], "reached_patient": None,
            "reporter_kind": data["reporter_kind"],
            "reporter_email": data.get("reporter_email") or "",
        }


class FollowupMessageForm(forms.Form):
    """A reply from the reporter, through the follow-up link."""

    text = forms.CharField(label=gettext_lazy("Your message"), max_length=20000,
                           widget=forms.Textarea(attrs={"rows": 4}),
                           error_messages={"required": MESSAGE_REQUIRED})


def domain_error_show(form: forms.Form, error: DomainError) -> None:
    """Put a service's refusal next to the field it names, or above the form."""
    field = SERVICE_FIELDS.get(str(error.extra.get("field", "")))
    if field not in form.fields:
        field = None
    form.add_error(field, _(str(error.message)))
