"""Every field of the catalogue format, and every choice, is documented in docs/catalogue.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from safehands.catalogue import schema

DOC = (Path(__file__).resolve().parents[2] / "docs" / "catalogue.md").read_text(encoding="utf-8")

MODELS = [schema.Item, schema.Programme, schema.TargetArea, schema.Measure, schema.Target,
          schema.ActionPlan, schema.ActionPlanArea, schema.Recommendation]
FIELDS = sorted({name for model in MODELS for name in model.model_fields})
CHOICES = sorted(set(schema.SETTINGS + schema.KINDS + schema.VALUE_TYPES + schema.DIRECTIONS
                     + schema.CHARTS + schema.FREQUENCIES + schema.AREA_KINDS))


@pytest.mark.parametrize("field", FIELDS)
def test_every_field_is_documented(field):
    assert f"`{field}`" in DOC


@pytest.mark.parametrize("choice", CHOICES)
def test_every_choice_is_documented(choice):
    assert f"`{choice}`" in DOC


def test_the_chart_table_matches_the_rules():
    for value_type, charts in schema.CHARTS_FOR_VALUE_TYPE.items():
        row = f"| `{value_type}` | " + ", ".join(f"`{c}`" for c in charts) + " |"
        assert row in DOC
