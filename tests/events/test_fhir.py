"""A report as a FHIR R4 AdverseEvent: what each element carries, that no identity leaves,
and that an invalid resource is never sent."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.adverseevent import AdverseEvent

from safehands.events import fhir, services
from safehands.events import investigation as inv
from safehands.measurement.formats import FHIR_ORG_SYSTEM


def _contained(resource: dict, local_id: str) -> dict:
    return next(r for r in resource["contained"] if r["id"] == local_id)


def test_a_low_harm_fall_in_a_ward(report):
    event = report(immediate_actions="Checked by the doctor on call.").event
    resource = fhir.adverse_event_resource(event)
    AdverseEvent.model_validate(resource)  # reads back as R4(B)
    assert resource["resourceType"] == "AdverseEvent"
    assert resource["actuality"] == "actual"
    assert resource["identifier"]["value"] == event.reference
    assert resource["identifier"]["assigner"]["identifier"] == {
        "system": FHIR_ORG_SYSTEM, "value": "W1"}
    assert resource["category"] == [{"coding": [{
        "system": fhir.CATEGORY_SYSTEM, "code": "patient", "display": "Patient safety"}]}]
    assert resource["event"]["coding"] == [{"system": fhir.TYPE_SYSTEM, "code": "fall",
                                            "display": "Fall"}]
    assert resource["subject"] == {"reference": "#subject"}
    assert _contained(resource, "subject") == {"resourceType": "Patient", "id": "subject"}
    location = _contained(resource, "location")
    assert location["identifier"] == [{"system": FHIR_ORG_SYSTEM, "value": "W1"}]
    assert location["managingOrganization"]["identifier"]["value"] == "T1"  # the trust
    assert resource["location"]["reference"] == "#location"
    assert resource["date"].startswith(event.occurred_at.astimezone().strftime("%Y-%m-%d"))
    assert resource["recordedDate"] >= resource["date"]
    assert "detected" not in resource
    assert resource["seriousness"]["coding"][0]["code"] == "non-serious"
    assert resource["severity"]["coding"][0] == {"system": fhir.SEVERITY_SYSTEM,
                                                 "code": "mild", "display": "Mild"}
    assert resource["outcome"]["coding"] == [{"system": fhir.OUTCOME_SYSTEM, "code": "low",
                                              "display": "Low harm"}]
    for absent in ("suspectEntity", "recorder", "contributor", "encounter", "extension"):
        assert absent not in resource


def test_a_near_miss_is_a_potential_event_with_no_severity(report):
    event = report(event_type="medication", outcome="none", reached_patient=False).event
    resource = fhir.adverse_event_resource(event)
    assert resource["actuality"] == "potential"
    assert "severity" not in resource
    assert resource["outcome"]["coding"][0]["code"] == "none"


def test_a_death_in_a_nursing_home_is_serious_and_fatal(report, tree):
    event = report(org_unit=tree["N1"], outcome="death").event
    resource = fhir.adverse_event_resource(event)
    assert resource["seriousness"]["coding"][0]["code"] == "serious"
    assert resource["severity"]["coding"][0]["code"] == "severe"
    codes = {(c["system"], c["code"]) for c in resource["outcome"]["coding"]}
    assert codes == {(fhir.OUTCOME_SYSTEM, "death"), (fhir.HL7_OUTCOME_SYSTEM, "fatal")}
    location = _contained(resource, "location")
    assert location["managingOrganization"]["identifier"]["value"] == "M1"


def test_harm_to_staff_has_a_practitioner_as_subject(report):
    resource = fhir.adverse_event_resource(report(event_type="staff_violence").event)
    assert _contained(resource, "subject") == {"resourceType": "Practitioner",
                                               "id": "subject"}
    assert resource["category"][0]["coding"][0]["code"] == "staff"


def test_contributing_factors_use_the_r4_backport_extension_once_each(report, people):
    handler = people["handler"]
    event = report(factors=["team.handover", "patient.cognition"]).event
    event = services.event_step(event=event, step="triage", actor=handler)
    event = services.event_step(event=event, step="investigate", actor=handler)
    inv.investigation_update(event=event, actor=handler, summary="Handover missed the risk.",
                             factors=["team.handover", "environment.staffing"])
    resource = fhir.adverse_event_resource(event)
    assert [e["url"] for e in resource["extension"]] == [fhir.FACTOR_EXTENSION] * 3
    items = [e["extension"][0] for e in resource["extension"]]
    assert {i["url"] for i in items} == {"item"}
    assert [i["valueCodeableConcept"]["coding"][0]["code"] for i in items] == [
        "environment.staffing", "patient.cognition", "team.handover"]


def test_no_identity_of_reporter_or_person_leaves(report, people):
    event = report(description="Line one <b>bold</b>\nLine two & more",
                   reporter_email="kari@example.org").event
    text = fhir.adverse_event_json(event)
    assert "nurse" not in text and "kari@example.org" not in text
    resource = json.loads(text)
    assert resource["text"]["status"] == "additional"
    assert "<p>Line one &lt;b&gt;bold&lt;/b&gt;</p><p>Line two &amp; more</p>" in \
        resource["text"]["div"]
    patient = _contained(resource, "subject")
    assert set(patient) == {"resourceType", "id"}


@pytest.mark.parametrize(("change", "problem"), [
    ({"actuality": "maybe"}, "actuality"),
    ({"subject": None}, "subject"),
    ({"date": "yesterday"}, "date"),
])
def test_an_invalid_resource_is_refused(report, change, problem):
    resource = fhir.adverse_event_resource(report().event)
    resource.update(change)
    resource = {k: v for k, v in resource.items() if v is not None}
    with pytest.raises(ValueError) as raised:
        fhir.adverse_event_validate(resource, reference="ABC")
    assert problem in str(raised.value) and "ABC" in str(raised.value)


def test_an_invalid_resource_never_leaves_the_api(client, report, people):
    from safehands.events.models import Event

    event = report().event
    # A stored code that is no FHIR code (two spaces inside), as a damaged row would have.
    Event.objects.filter(pk=event.pk).update(event_type="fall  twice")
    event.refresh_from_db()
    with pytest.raises(ValueError, match="event"):
        fhir.adverse_event_resource(event)
    client.force_login(people["handler"])
    response = client.get(f"/api/v1/events/reports/{event.pk}/fhir")
    assert response.status_code == 500
    assert event.reference not in response.content.decode()
    assert "AdverseEvent" not in response.content.decode()
