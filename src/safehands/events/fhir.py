"""A report as a FHIR `AdverseEvent` (R4; validated with the R4B models of `fhir.resources`,
whose AdverseEvent has the same elements, cardinalities and bindings as R4's).

What goes out, element by element (https://hl7.org/fhir/R4/adverseevent.html):

- `identifier`: the report's reference, assigned by the org unit (its code).
- `actuality`: `potential` for a near miss (it did not reach the patient), else `actual`.
- `category`: patient safety or staff safety, in our category code system.
- `event`: the event type, in our code system (the taxonomy code), with its name.
- `subject`: a contained Patient (a Practitioner for harm to staff) with nothing but an id:
  no name, number or birth date leaves. The resource says that a person was involved and
  who the reporting unit is; never who the person was.
- `date` when it happened; `recordedDate` when it was reported. `detected` is left out: a
  report does not say when the event was noticed, and a guess would be data we don't have.
- `location`: a contained Location for the org unit (identifier = org code), managed by the
  organisation that owns the report (the trust or municipality), so the receiver knows both.
- `seriousness` (HL7 adverse-event-seriousness): `serious` for severe harm and death, the
  outcomes that start the statutory notification; `non-serious` otherwise.
- `severity` (HL7 adverse-event-severity): low → mild, moderate → moderate, severe and death
  → severe; absent when no harm was done.
- `outcome`: our degree of harm (none … death) in our code system, with HL7's `fatal` beside
  it for a death (the other HL7 outcome codes tell the course of recovery, which a report
  does not know).
- contributing factors: R4 has no element for them (R5 added `contributingFactor`), so they
  go in the extension of the HL7 Adverse Event Clinical Research R4 backport (STU 1),
  `contributing-factor` with an `item` CodeableConcept per factor, in our factor code system.
- `text`: the description as the narrative (status `additional`), identity numbers already
  masked when the report was saved.
- `suspectEntity`, `recorder`, `contributor` and `encounter` are absent on purpose.

Every resource is validated before it is returned: an invalid one raises and never leaves.
"""

from __future__ import annotations

import html
import json
from typing import Any

from django.utils import timezone
from fhir.resources.R4B.adverseevent import AdverseEvent

from safehands.events.content import taxonomy
from safehands.events.models import Event
from safehands.measurement.formats import FHIR_ORG_SYSTEM
from safehands.orgs.models import OrgUnit
from safehands.orgs.reads import owning_organisation_path

BASE = "https://safehands.no/fhir"
REFERENCE_SYSTEM = f"{BASE}/event-reference"
CATEGORY_SYSTEM = f"{BASE}/CodeSystem/event-category"
TYPE_SYSTEM = f"{BASE}/CodeSystem/event-type"
OUTCOME_SYSTEM = f"{BASE}/CodeSystem/event-harm"
FACTOR_SYSTEM = f"{BASE}/CodeSystem/event-factor"
SERIOUSNESS_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
SEVERITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
HL7_OUTCOME_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
FACTOR_EXTENSION = ("http://hl7.org/fhir/uv/ae-research-backport-ig/StructureDefinition/"
                    "contributing-factor")
FHIR_CONTENT_TYPE = "application/fhir+json"

SERIOUS = ("severe", "death")
SEVERITY = {"low": "mild", "moderate": "moderate", "severe": "severe", "death": "severe"}
INVALID = "The AdverseEvent for report {reference} is not valid FHIR R4: {problem}"


def _instant(value: Any) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def _coding(system: str, code: str, display: str = "") -> dict[str, str]:
    return {"system": system, "code": code, **({"display": display} if display else {})}


def _owner(unit: OrgUnit) -> OrgUnit:
    path = owning_organisation_path(unit)
    return unit if path == unit.path else OrgUnit.objects.get(path=path)


def adverse_event_resource(event: Event) -> dict[str, Any]:
    """The report as an AdverseEvent (a dict, ready for JSON), validated; ValueError if not
    valid, so that nothing invalid is ever sent."""
    terms = taxonomy()
    unit = event.org_unit
    owner = _owner(unit)
    staff = event.category == "staff"
    event_term = terms.event_types.get(event.event_type)
    category_term = terms.categories.get(event.category)
    outcome_term = terms.outcomes[event.outcome]
    outcome_codings = [_coding(OUTCOME_SYSTEM, event.outcome, outcome_term.name)]
    if event.outcome == "death":
        outcome_codings.append(_coding(HL7_OUTCOME_SYSTEM, "fatal", "Fatal"))
    serious = event.outcome in SERIOUS
    organisation = {"type": "Organization",
                    "identifier": {"system": FHIR_ORG_SYSTEM, "value": owner.code},
                    "display": owner.name}
    resource: dict[str, Any] = {
        "resourceType": "AdverseEvent",
        "id": f"event-{event.pk}",
        "text": {"status": "additional",
                 "div": ('<div xmlns="http://www.w3.org/1999/xhtml">'
                         + "".join(f"<p>{html.escape(part)}</p>"
                                   for part in event.description.splitlines() if part.strip())
                         + "</div>")},
        "contained": [
            {"resourceType": "Practitioner" if staff else "Patient", "id": "subject"},
            {"resourceType": "Location", "id": "location",
             "identifier": [{"system": FHIR_ORG_SYSTEM, "value": unit.code}],
             "name": unit.name, "managingOrganization": organisation},
        ],
        "identifier": {"system": REFERENCE_SYSTEM, "value": event.reference,
                       "assigner": {"type": "Organization",
                                    "identifier": {"system": FHIR_ORG_SYSTEM,
                                                   "value": unit.code},
                                    "display": unit.name}},
        "actuality": "potential" if event.near_miss else "actual",
        "category": [{"coding": [_coding(CATEGORY_SYSTEM, event.category,
                                         category_term.name if category_term else "")]}],
        "event": {"coding": [_coding(TYPE_SYSTEM, event.event_type,
                                     event_term.name if event_term else "")],
                  **({"text": event_term.name} if event_term else {})},
        "subject": {"reference": "#subject"},
        "date": _instant(event.occurred_at),
        "recordedDate": _instant(event.reported_at),
        "location": {"reference": "#location", "display": unit.name},
        "seriousness": {"coding": [_coding(
            SERIOUSNESS_SYSTEM, "serious" if serious else "non-serious",
            "Serious" if serious else "Non-serious")]},
        "outcome": {"coding": outcome_codings, "text": outcome_term.name},
    }
    if event.outcome in SEVERITY:
        code = SEVERITY[event.outcome]
        resource["severity"] = {"coding": [_coding(SEVERITY_SYSTEM, code, code.capitalize())]}
    factor_codes = sorted({f.code for f in event.factors.all()})
    if factor_codes:
        resource["extension"] = [
            {"url": FACTOR_EXTENSION, "extension": [{"url": "item", "valueCodeableConcept": {
                "coding": [_coding(FACTOR_SYSTEM, code, terms.factors[code].name
                                   if code in terms.factors else "")]}}]}
            for code in factor_codes]
    return adverse_event_validate(resource, reference=event.reference)


def adverse_event_validate(resource: dict[str, Any], *, reference: str = "") -> dict[str, Any]:
    """The resource as `fhir.resources` reads it back, or ValueError naming the problem.

    The models check types, cardinalities and formats but not the codes of a required
    binding, so `actuality` (1..1, actual | potential) is checked here."""
    if resource.get("actuality") not in ("actual", "potential"):
        raise ValueError(INVALID.format(reference=reference or "?",
                                        problem="actuality must be actual or potential"))
    try:
        model = AdverseEvent.model_validate(resource)
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        raise ValueError(INVALID.format(reference=reference or "?", problem=error)) from error
    return json.loads(model.model_dump_json(exclude_none=True))


def adverse_event_json(event: Event) -> str:
    """The AdverseEvent as the text an `application/fhir+json` answer carries."""
    return json.dumps(adverse_event_resource(event), ensure_ascii=False, indent=2)
