"""Fixtures for measurement tests: the catalogue, the tree, and W1/W2 enrolled in falls."""

from __future__ import annotations

from datetime import date

import pytest

TODAY = date(2026, 6, 15)


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
