"""The packaged instruments and resource guide: shape, links to the catalogue, bad files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from safehands.assessment import instruments
from safehands.assessment.instruments import InstrumentsInvalid, read_instruments
from safehands.catalogue.schema import read_catalogue


@pytest.fixture(scope="module")
def bundle():
    return read_instruments()


def test_safer_together_has_27_elements_in_the_four_areas(bundle):
    st = bundle.instrument("safer-together")
    assert len(st.elements) == 27
    assert [a.code for a in bundle.areas["safer-together"]] == [
        "safer-together.clg", "safer-together.pfe", "safer-together.ws", "safer-together.ls"]
    assert [(s.value, s.label) for s in st.scale] == [
        (1, "Beginning"), (2, "Making progress"), (3, "Significant impact"), (4, "Exemplary")]
    assert st.unsure_label == "Unsure"


def test_every_safer_together_recommendation_is_linked_from_an_element(bundle):
    st = bundle.instrument("safer-together")
    linked = {code for e in st.elements for code in e.recommendations}
    assert linked == {f"safer-together.r{n:02d}" for n in range(1, 18)}
    assert all(e.recommendations for e in st.elements)


def test_the_norwegian_instrument_covers_the_four_principles(bundle):
    nap = bundle.instrument("nap-2019-2023")
    assert {e.area for e in nap.elements} == {a.code for a in bundle.areas["nap-2019-2023"]}
    assert len(bundle.areas["nap-2019-2023"]) == 4


def test_every_recommendation_has_a_tactic_and_every_item_a_source(bundle):
    covered = {t.recommendation for t in bundle.guide.tactics if t.recommendation}
    assert covered == {f"safer-together.r{n:02d}" for n in range(1, 18)}
    for instrument in bundle.instruments.values():
        assert all(e.source and e.confidence for e in instrument.elements)
    assert all(t.source and t.confidence and t.levels for t in bundle.guide.tactics)
    assert all(t.name_nb for t in bundle.guide.tactics)
    for instrument in bundle.instruments.values():
        assert all(len(e.criteria_nb) == len(e.criteria) for e in instrument.elements)


def test_unknown_instrument_lists_the_known_ones(bundle):
    with pytest.raises(Exception) as caught:
        bundle.instrument("nope")
    assert caught.value.message == instruments.UNKNOWN_INSTRUMENT.format(
        code="nope", known="nap-2019-2023, safer-together")


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(instruments.PACKAGED_DIR, target)
    return target


def test_an_element_in_an_area_of_another_plan_is_refused(tmp_path):
    folder = _copy(tmp_path)
    file = folder / "safer-together.yaml"
    file.write_text(file.read_text().replace(
        "area: safer-together.ls\n    name: The organisation tests",
        "area: nap-2019-2023.competence\n    name: The organisation tests"))
    with pytest.raises(InstrumentsInvalid) as caught:
        read_instruments(folder, catalogue=read_catalogue())
    assert any(instruments.AREA_NOT_IN_PLAN.format(
        code="nap-2019-2023.competence", plan="safer-together-2020") in e
        for e in caught.value.errors)


def test_a_tactic_for_an_unknown_recommendation_is_refused(tmp_path):
    folder = _copy(tmp_path)
    file = folder / "resource-guide.yaml"
    file.write_text(file.read_text().replace("recommendation: safer-together.r16",
                                             "recommendation: safer-together.r99"))
    with pytest.raises(InstrumentsInvalid) as caught:
        read_instruments(folder)
    assert any(instruments.UNKNOWN_RECOMMENDATION.format(code="safer-together.r99") in e
               for e in caught.value.errors)


def test_a_misspelt_field_is_refused_with_its_path(tmp_path):
    folder = _copy(tmp_path)
    file = folder / "nap-2019-2023.yaml"
    file.write_text(file.read_text().replace("    criteria:\n", "    criterias:\n", 1))
    with pytest.raises(InstrumentsInvalid) as caught:
        read_instruments(folder)
    assert any("nap-2019-2023.yaml: elements.0.criterias" in e for e in caught.value.errors)
