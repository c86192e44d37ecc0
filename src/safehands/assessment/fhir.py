"""FHIR R4 Questionnaire and QuestionnaireResponse for an assessment instrument. Pure.

One `group` item per area (linkId = the catalogue's area code). Inside it, per element: a
`display` item with the criteria to consider (linkId `<element>.criteria`), the `choice`
question itself (linkId = element code, answerOption 1-4 and "unsure", `code` = the linked
recommendations), and an optional `text` item for the rater's comment
(linkId `<element>.comment`). Structure per https://hl7.org/fhir/R4/questionnaire.html.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from safehands.assessment.instruments import Area, Instrument

SCALE_SYSTEM = "urn:safehands:assessment:maturity-scale"
RECOMMENDATION_SYSTEM = "urn:safehands:catalogue:recommendation"
QUESTIONNAIRE_URL = "urn:safehands:questionnaire:{code}"


def _name(code: str) -> str:
    # FHIR rule que-0: name is computer-friendly, [A-Z]([A-Za-z0-9_]){0,254}.
    return "Safehands" + "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", code))


def answer_options(instrument: Instrument, *, language: str = "en") -> list[dict[str, Any]]:
    nb = language.startswith("nb")
    options = [{"valueCoding": {"system": SCALE_SYSTEM, "code": str(step.value),
                                "display": step.label_nb if nb else step.label}}
               for step in instrument.scale]
    options.append({"valueCoding": {
        "system": SCALE_SYSTEM, "code": "unsure",
        "display": instrument.unsure_label_nb if nb else instrument.unsure_label}})
    return options


def questionnaire(instrument: Instrument, areas: Sequence[Area], *,
                  language: str = "en") -> dict[str, Any]:
    nb = language.startswith("nb")
    options = answer_options(instrument, language=language)
    groups = []
    for area in areas:
        items: list[dict[str, Any]] = []
        for element in (e for e in instrument.elements if e.area == area.code):
            question: dict[str, Any] = {
                "linkId": element.code,
                "text": element.name_nb if nb else element.name,
                "type": "choice",
                "required": True,
                "answerOption": options,
            }
            if element.recommendations:
                question["code"] = [{"system": RECOMMENDATION_SYSTEM, "code": code}
                                    for code in element.recommendations]
            criteria = element.criteria_nb if nb and element.criteria_nb else element.criteria
            items.append({"linkId": f"{element.code}.criteria", "type": "display",
                          "text": " ".join(criteria)})
            items.append(question)
            items.append({"linkId": f"{element.code}.comment", "type": "text",
                          "text": "Comment" if not nb else "Kommentar", "required": False})
        groups.append({"linkId": area.code, "type": "group",
                       "text": area.name_nb if nb else area.name, "item": items})
    return {
        "resourceType": "Questionnaire",
        "id": f"safehands-{instrument.code}",
        "url": QUESTIONNAIRE_URL.format(code=instrument.code),
        "version": instrument.version,
        "name": _name(instrument.code),
        "title": instrument.name_nb if nb else instrument.name,
        "status": "active",
        "subjectType": ["Organization"],
        "publisher": "Safehands",
        "description": (instrument.description_nb if nb and instrument.description_nb
                        else instrument.description),
        "language": "nb" if nb else "en",
        "item": groups,
    }


def questionnaire_response(
    instrument: Instrument,
    areas: Sequence[Area],
    *,
    answers: Mapping[str, tuple[int | None, str]],
    response_id: str,
    subject: str,
    authored: str,
    author: str = "",
    completed: bool = True,
) -> dict[str, Any]:
    """One rater's (or the team's agreed) answers: element code -> (rating or None, comment).

    Unanswered elements are left out, as FHIR expects; "unsure" is the `unsure` coding.
    """
    options = {o["valueCoding"]["code"]: o["valueCoding"] for o in answer_options(instrument)}
    groups = []
    for area in areas:
        items = []
        for element in (e for e in instrument.elements if e.area == area.code):
            if element.code not in answers:
                continue
            value, comment = answers[element.code]
            code = "unsure" if value is None else str(value)
            items.append({"linkId": element.code, "answer": [{"valueCoding": options[code]}]})
            if comment:
                items.append({"linkId": f"{element.code}.comment",
                              "answer": [{"valueString": comment}]})
        if items:
            groups.append({"linkId": area.code, "item": items})
    response: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": response_id,
        "questionnaire": QUESTIONNAIRE_URL.format(code=instrument.code),
        "status": "completed" if completed else "in-progress",
        "subject": {"identifier": {"system": "urn:safehands:org-unit", "value": subject}},
        "authored": authored,
        "item": groups,
    }
    if author:
        response["author"] = {"display": author}
    return response
