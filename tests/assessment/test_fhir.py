"""FHIR R4 Questionnaire / QuestionnaireResponse: required fields and structure checked by hand
(the `fhir.resources` package is not installed), following hl7.org/fhir/R4/questionnaire.html."""

from __future__ import annotations

import re

import pytest

from safehands.assessment.fhir import questionnaire, questionnaire_response
from safehands.assessment.instruments import read_instruments

ITEM_TYPES = {"group", "display", "boolean", "decimal", "integer", "date", "dateTime", "time",
              "string", "text", "url", "choice", "open-choice", "attachment", "reference",
              "quantity"}
STATUSES = {"draft", "active", "retired", "unknown"}


def check_questionnaire(resource: dict) -> None:
    """The R4 rules a Questionnaire must meet (cardinalities and invariants que-0..que-13)."""
    assert resource["resourceType"] == "Questionnaire"
    assert resource["status"] in STATUSES
    assert re.fullmatch(r"[A-Z]([A-Za-z0-9_]){0,254}", resource["name"])  # que-0
    link_ids: list[str] = []

    def walk(items):
        assert items, "item lists are never empty"
        for item in items:
            assert set(item) <= {"linkId", "text", "type", "required", "answerOption", "item",
                                 "code", "prefix", "repeats", "readOnly"}
            assert isinstance(item["linkId"], str) and item["linkId"]
            assert item["type"] in ITEM_TYPES
            link_ids.append(item["linkId"])
            if item["type"] == "group":
                walk(item["item"])  # que-1: groups have items
            if item["type"] == "display":
                assert "item" not in item and "required" not in item  # que-1, que-6
            if "answerOption" in item:
                assert item["type"] in {"choice", "open-choice"}  # que-5
                for option in item["answerOption"]:
                    assert set(option) == {"valueCoding"}
                    assert {"code", "display", "system"} <= set(option["valueCoding"])
    walk(resource["item"])
    assert len(link_ids) == len(set(link_ids)), "linkId must be unique"  # que-2


@pytest.fixture(scope="module")
def bundle():
    return read_instruments()


@pytest.mark.parametrize("code", ["safer-together", "nap-2019-2023"])
@pytest.mark.parametrize("language", ["en", "nb"])
def test_questionnaire_is_valid_with_one_group_per_area(bundle, code, language):
    resource = questionnaire(bundle.instrument(code), bundle.areas[code], language=language)
    check_questionnaire(resource)
    assert [g["linkId"] for g in resource["item"]] == [a.code for a in bundle.areas[code]]
    questions = [i for g in resource["item"] for i in g["item"] if i["type"] == "choice"]
    assert len(questions) == len(bundle.instrument(code).elements)
    assert [o["valueCoding"]["code"] for o in questions[0]["answerOption"]] == [
        "1", "2", "3", "4", "unsure"]


def test_questionnaire_links_questions_to_their_recommendations(bundle):
    resource = questionnaire(bundle.instrument("safer-together"), bundle.areas["safer-together"])
    first = resource["item"][0]["item"][1]
    assert first["linkId"] == "st.clg.01"
    assert first["code"] == [{"system": "urn:safehands:catalogue:recommendation",
                              "code": "safer-together.r01"}]


def test_questionnaire_response_answers_link_to_questions(bundle):
    instrument = bundle.instrument("safer-together")
    q = questionnaire(instrument, bundle.areas["safer-together"])
    response = questionnaire_response(
        instrument, bundle.areas["safer-together"], answers={
            "st.clg.01": (2, "Walk-rounds started"), "st.ws.03": (None, "")},
        response_id="a1", subject="OUS", authored="2026-03-01T10:00:00+00:00")
    assert response["resourceType"] == "QuestionnaireResponse"
    assert response["status"] == "completed"
    assert response["questionnaire"] == q["url"]
    known = {i["linkId"] for g in q["item"] for i in g["item"]}
    answered = [i for g in response["item"] for i in g["item"]]
    assert {i["linkId"] for i in answered} <= known
    assert answered[0]["answer"][0]["valueCoding"]["code"] == "2"
    assert answered[1]["answer"] == [{"valueString": "Walk-rounds started"}]
    assert answered[2]["answer"][0]["valueCoding"]["code"] == "unsure"
    assert [g["linkId"] for g in response["item"]] == ["safer-together.clg", "safer-together.ws"]


def test_norwegian_questionnaire_shows_norwegian_criteria(bundle):
    nap = questionnaire(bundle.instrument("nap-2019-2023"), bundle.areas["nap-2019-2023"],
                        language="nb")
    display = nap["item"][0]["item"][0]
    assert display["linkId"] == "nap.lc.01.criteria"
    assert display["text"].startswith("Skader, kultur og mål")
    st = questionnaire(bundle.instrument("safer-together"), bundle.areas["safer-together"],
                       language="nb")
    assert st["item"][0]["item"][0]["text"].startswith("Sikkerhet er nevnt i strategien")
