"""The catalogue files: the packaged ones pass, and each kind of mistake is named precisely."""

from __future__ import annotations

from pathlib import Path

import pytest

from safehands.catalogue.schema import CatalogueInvalid, read_catalogue

ISH = "in-safe-hands.yaml"


def _measure(files, area=3, measure=1):
    return files[ISH]["target_areas"][area]["measures"][measure]


def _errors(directory: Path) -> list[str]:
    with pytest.raises(CatalogueInvalid) as caught:
        read_catalogue(directory)
    return [str(e) for e in caught.value.errors]


def test_the_packaged_catalogue_is_valid_and_complete():
    catalogue = read_catalogue()
    by_code = {p.code: p for p in catalogue.programmes}
    ish = by_code["in-safe-hands"]
    assert len(ish.aims) == 3
    assert len(ish.target_areas) == 16
    assert sorted(a.number for a in ish.target_areas) == list(range(1, 17))
    assert all(area.name_nb and area.description_nb and area.bundle_elements and area.measures
               for area in ish.target_areas)
    (nap,) = ish.action_plans
    assert (nap.period_start, nap.period_end, nap.areas_are) == (2019, 2023, "principle")
    assert [a.name for a in nap.areas] == [
        "Leadership and culture", "Competence in patient safety and quality improvement",
        "National initiatives", "Systems and structures"]
    (st,) = by_code["safer-together"].action_plans
    assert len(st.areas) == 4
    recommendations = [r for area in st.areas for r in area.recommendations]
    assert sorted(r.number for r in recommendations) == list(range(1, 18))
    assert [len(a.recommendations) for a in st.areas] == [4, 4, 3, 6]


def test_safer_together_confidence_follows_the_facts():
    (st,) = read_catalogue().files["safer-together.yaml"].action_plans
    tags = {r.number: r.confidence for area in st.areas for r in area.recommendations}
    assert all(tags[n] == "V" for n in range(1, 5))
    assert all(tags[n] in ("M", "?") for n in range(5, 18))


def test_every_measure_is_complete_and_defaults_are_marked():
    ish = read_catalogue().files[ISH]
    measures = [m for area in ish.target_areas for m in area.measures]
    kinds = {m.kind for m in measures}
    value_types = {m.value_type for m in measures}
    assert kinds == {"process", "outcome", "balancing"}
    assert value_types == {"proportion", "rate", "count", "continuous", "time_between",
                           "cases_between"}
    # Only the stroke pathway measure has an official definition in the facts.
    assert [m.code for m in measures if not m.is_default] == ["stroke.thrombolysis_within_30min"]
    assert any(m.is_bundle_compliance for m in measures)
    # Norwegian pages show Norwegian definitions for every packaged measure.
    assert all(m.numerator_nb and m.sampling_nb for m in measures)
    assert all(bool(m.denominator_nb) == bool(m.denominator) for m in measures)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            lambda f: _measure(f).update(value_type="percent"),
            f"{ISH}: target_areas[3].measures[1].value_type: 'percent' is not one of "
            "'proportion', 'rate', 'count', 'continuous', 'time_between' or 'cases_between'",
            id="unknown-value-type"),
        pytest.param(
            lambda f: _measure(f).update(denominator=""),
            f"{ISH}: target_areas[3].measures[1].denominator: a proportion measure needs a "
            "denominator", id="proportion-without-denominator"),
        pytest.param(
            lambda f: f[ISH]["target_areas"][14]["measures"][0].update(
                denominator="Patient-days.", value_type="count", chart="c"),
            f"{ISH}: target_areas[14].measures[0].denominator: a count measure has no "
            "denominator", id="count-with-denominator"),
        pytest.param(
            lambda f: _measure(f, 8, 2).update(denominator_nb="Alle pasienter."),
            f"{ISH}: target_areas[8].measures[2].denominator_nb: a Norwegian denominator needs "
            "the English one", id="norwegian-denominator-alone"),
        pytest.param(
            lambda f: _measure(f).update(chart="c"),
            f"{ISH}: target_areas[3].measures[1].chart: chart 'c' does not suit a proportion "
            "measure; use one of run, p, pp, i", id="chart-mismatch"),
        pytest.param(
            lambda f: _measure(f, 14, 1)["compliance_elements"].append("falls.wrong"),
            f"{ISH}: target_areas[14].measures[1].compliance_elements[3]: unknown bundle "
            "element 'falls.wrong'", id="unknown-bundle-element"),
        pytest.param(
            lambda f: _measure(f, 14, 1).update(kind="outcome"),
            f"{ISH}: target_areas[14].measures[1].compliance_elements: a bundle-compliance "
            "measure must be a process measure", id="compliance-not-process"),
        pytest.param(
            lambda f: _measure(f, 14, 2).update(code="falls.risk_assessed"),
            f"{ISH}: target_areas[14].measures[2].code: duplicate code 'falls.risk_assessed' "
            f"(first used at {ISH}: target_areas[14].measures[0].code)", id="duplicate-code"),
        pytest.param(
            lambda f: f[ISH]["target_areas"][1].update(code="falls"),
            f"{ISH}: target_areas[14].code: duplicate code 'falls'", id="duplicate-area-code"),
        pytest.param(
            lambda f: _measure(f, 14, 0).update(code="sepsis.risk_assessed"),
            f"{ISH}: target_areas[14].measures[0].code: 'sepsis.risk_assessed' must start "
            "with 'falls.'", id="code-outside-its-area"),
        pytest.param(
            lambda f: f[ISH]["target_areas"][0].pop("name_nb"),
            f"{ISH}: target_areas[0].name_nb: is required", id="missing-norwegian-name"),
        pytest.param(
            lambda f: _measure(f).update(numerater="typo"),
            f"{ISH}: target_areas[3].measures[1].numerater: is not a known field",
            id="unknown-field"),
        pytest.param(
            lambda f: f[ISH]["aims"][0].update(confidence="X"),
            f"{ISH}: aims[0].confidence: 'X' is not one of 'V', 'M' or '?'",
            id="unknown-confidence"),
        pytest.param(
            lambda f: f[ISH]["target_areas"][2].update(settings=["hospital", "spa"]),
            f"{ISH}: target_areas[2].settings[1]: 'spa' is not one of", id="unknown-setting"),
        pytest.param(
            lambda f: f[ISH]["target_areas"][2].update(code="Bad Code"),
            f"{ISH}: target_areas[2].code: 'Bad Code' does not match the pattern",
            id="bad-code"),
        pytest.param(
            lambda f: f[ISH]["target_areas"][2].update(number=1),
            f"{ISH}: target_areas[2].number: duplicate number 1", id="duplicate-area-number"),
        pytest.param(
            lambda f: _measure(f, 4, 0)["target"].update(value=120),
            f"{ISH}: target_areas[4].measures[0].target.value: a proportion target must lie "
            "between 0 and the multiplier (100)", id="target-out-of-range"),
        pytest.param(
            lambda f: _measure(f, 8, 2).update(unit=""),
            f"{ISH}: target_areas[8].measures[2].unit: a continuous measure needs a unit",
            id="continuous-without-unit"),
        pytest.param(
            lambda f: f["safer-together.yaml"]["action_plans"][0]["areas"][1][
                "recommendations"][0].update(number=4),
            "safer-together.yaml: action_plans[0].areas[1].recommendations[0].number: "
            "duplicate number 4", id="duplicate-recommendation-number"),
        pytest.param(
            lambda f: f[ISH]["action_plans"][0].update(period_end=2010),
            f"{ISH}: action_plans[0].period_end: period_end (2010) is before period_start",
            id="period-backwards"),
        pytest.param(
            lambda f: f[ISH].update(country=False),
            f"{ISH}: country: Input should be a valid string (got False)",
            id="unquoted-NO-read-as-false"),
    ],
)
def test_each_mistake_gets_its_own_message(catalogue_copy, change, expected):
    errors = _errors(catalogue_copy(change))
    assert any(e.startswith(expected) for e in errors), errors


def test_all_problems_are_reported_at_once(catalogue_copy):
    def two_mistakes(files):
        _measure(files).update(value_type="percent")
        files[ISH]["aims"][1].update(confidence="X")

    errors = _errors(catalogue_copy(two_mistakes))
    assert len(errors) == 2


def test_yaml_syntax_error_names_file_line_and_column(tmp_path):
    (tmp_path / "broken.yaml").write_text("code: x\nname: [unclosed\nname_nb: y\n")
    (error,) = _errors(tmp_path)
    assert error.startswith("broken.yaml: line 3, column ")


def test_a_key_given_twice_is_refused(tmp_path):
    (tmp_path / "twice.yaml").write_text("code: x\nname: a\nname: b\n")
    (error,) = _errors(tmp_path)
    assert error == "twice.yaml: line 3, column 1: the key 'name' appears twice in one mapping"


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path):
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    assert _errors(tmp_path) == ["list.yaml: the file must hold one mapping (a programme), "
                                 "not list"]


def test_an_empty_directory_is_refused(tmp_path):
    (error,) = _errors(tmp_path)
    assert "no catalogue files (*.yaml)" in error


def test_a_missing_directory_is_refused(tmp_path):
    (error,) = _errors(tmp_path / "nowhere")
    assert error.endswith("is not a directory")


def test_the_directory_can_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SAFEHANDS_CATALOGUE_DIR", str(tmp_path))
    with pytest.raises(CatalogueInvalid, match="no catalogue files"):
        read_catalogue()


def test_json_form_holds_every_programme_with_its_file():
    data = read_catalogue().as_json()
    assert [p["file"] for p in data["programmes"]] == [ISH, "safer-together.yaml"]
    falls = data["programmes"][0]["target_areas"][14]
    assert falls["code"] == "falls"
    assert falls["measures"][0]["code"] == "falls.risk_assessed"
