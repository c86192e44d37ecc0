"""Fixtures for measurement tests: the catalogue, the tree, and W1/W2 enrolled in falls."""

from __future__ import annotations

from datetime import date

import pytest

TODAY = date(2026, 6, 15)
SMALL_MONTH = "2026-01"


@pytest.fixture
def catalogue(db):
    from safehands.catalogue.services import catalogue_load

    catalogue_load(actor=None, source="system")


@pytest.fixture
def measures(catalogue) -> dict:
    from safehands.catalogue.models import Measure

    return {m.code: m for m in Measure.objects.all()}


@pytest.fixture
def enrolled(tree, catalogue) -> dict:
    """W1 and W2 enrolled in falls (every falls measure), W3 in falls with one chosen measure."""
    from safehands.catalogue.models import Measure, TargetArea
    from safehands.measurement.services import enrolment_create

    falls = TargetArea.objects.get(code="falls")
    result = {}
    for code in ("W1", "W2"):
        result[code] = enrolment_create(unit=tree[code], target_area=falls,
                                        started=date(2023, 1, 1), actor=None, source="system")
    result["W3"] = enrolment_create(
        unit=tree["W3"], target_area=falls, started=date(2024, 1, 1), actor=None,
        measures=[Measure.objects.get(code="falls.rate")], source="system")
    return result


@pytest.fixture
def small(enrolled, tree):
    """W1 has 2 falls (small), W2 has 12; W1 also counts a local measure (3, then 8)."""
    from safehands.measurement import services

    services.local_measure_create(enrolment=enrolled["W1"], slug="huddles", name="Huddles",
                                  value_type="count", direction="higher_is_better",
                                  numerator="Huddles held", actor=None)
    # A chosen local measure makes the enrolment's list explicit: keep the falls measures.
    enrolled["W1"].measures.add(*enrolled["W1"].target_area.measures.filter(origin="package"))
    text = ("org_unit,measure,period,numerator,denominator,value,comment\n"
            f"W1,falls.rate,{SMALL_MONTH},2,1000,,two falls\n"
            f"W2,falls.rate,{SMALL_MONTH},12,1100,,\n"
            f"W2,falls.risk_assessed,{SMALL_MONTH},0,30,,\n"
            "W1,local.w1.huddles,2026-01,,,3,\n"
            "W1,local.w1.huddles,2026-02,,,8,\n")
    summary = services.data_values_import(text=text, fmt="csv", actor=None)
    assert summary.ok, summary.as_dict()
    return tree
