"""The taxonomy file: every type maps to a real target area, and a broken file is refused."""

from __future__ import annotations

import pytest

from safehands.events.content import taxonomy, taxonomy_parse


def test_every_mapped_target_area_is_in_the_catalogue(catalogue):
    from safehands.catalogue.models import TargetArea

    codes = set(TargetArea.objects.values_list("code", flat=True))
    mapped = {t.target_area for t in taxonomy().event_types.values() if t.target_area}
    assert mapped and mapped <= codes
    assert {t.code for t in taxonomy().types_of("staff")} >= {
        "staff_violence", "staff_injury", "staff_needlestick"}


def test_every_factor_group_of_rca2_is_there():
    assert set(taxonomy().factor_groups) == {
        "patient", "task", "individual", "team", "environment", "organisation"}


@pytest.mark.parametrize("broken", [
    "format_version: 2",
    "format_version: 1\ncategories: []",
])
def test_a_broken_taxonomy_is_refused(broken):
    with pytest.raises(ValueError, match="Event taxonomy"):
        taxonomy_parse(broken)
