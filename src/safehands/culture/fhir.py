"""FHIR R4 QuestionnaireResponse export of survey answers: anonymous by construction.

Each response becomes a QuestionnaireResponse with only `status`, `questionnaire` and the
answers: no `subject`, `author`, `source`, `authored` date or identifier, and the responses
are shuffled so that their order says nothing either. Answers are `valueCoding` with the
numeric answer as code (9 = does not apply), in the instrument's own code system.
"""

from __future__ import annotations

import random
from typing import Any

from safehands.culture.models import SurveyRound

CODE_SYSTEM = "urn:safehands:culture:{instrument}:answer"


def questionnaire_canonical(survey_round: SurveyRound) -> str:
    instrument = survey_round.instrument
    return f"urn:safehands:culture:{instrument.code}|{instrument.version}"


def questionnaire_responses(*, survey_round: SurveyRound,
                            answers: list[dict[str, int]]) -> dict[str, Any]:
    """A FHIR `Bundle` (type collection) of anonymous QuestionnaireResponses."""
    order = [i.code for i in survey_round.instrument.items.all()]
    system = CODE_SYSTEM.format(instrument=survey_round.instrument.code)
    shuffled = list(answers)
    random.SystemRandom().shuffle(shuffled)
    entries = []
    for given in shuffled:
        items = [{"linkId": code, "answer": [{"valueCoding": {
            "system": system, "code": str(given[code])}}]}
            for code in order if code in given]
        entries.append({"resource": {
            "resourceType": "QuestionnaireResponse",
            "status": "completed",
            "questionnaire": questionnaire_canonical(survey_round),
            "item": items,
        }})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def questionnaire_from_instrument(instrument: Any) -> dict[str, Any]:
    """A stored instrument (with its current wording) as a FHIR R4 Questionnaire.

    Same shape as `safehands.culture.instruments.questionnaire_resource`: one group per
    scale, then the items in no scale; linkId = item code.
    """
    def question(item: Any) -> dict[str, Any]:
        return {"linkId": item.code, "text": item.text, "type": "choice", "required": False,
                "answerOption": [{"valueCoding": {"code": str(v), "display": label}}
                                 for v, label in item.response_scale.choices()]}

    items = list(instrument.items.select_related("scale", "response_scale"))
    groups: list[dict[str, Any]] = [
        {"linkId": scale.code, "text": scale.name, "type": "group",
         "item": [question(i) for i in items if i.scale_id == scale.pk]}
        for scale in instrument.scales.all()]
    groups += [question(i) for i in items if i.scale_id is None]
    return {
        "resourceType": "Questionnaire",
        "url": f"urn:safehands:culture:{instrument.code}",
        "version": instrument.version,
        "name": instrument.code.replace("-", "_"),
        "title": instrument.name,
        "status": "active",
        "description": instrument.get_wording_display(),
        "item": groups,
    }
