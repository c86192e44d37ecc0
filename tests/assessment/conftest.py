from __future__ import annotations

import pytest


@pytest.fixture
def content(db):
    """The catalogue and the packaged instruments in the database."""
    from safehands.assessment.services import instruments_load
    from safehands.catalogue.services import catalogue_load

    catalogue_load(actor=None, source="system")
    instruments_load(actor=None, source="system")


@pytest.fixture
def nap(content):
    from safehands.assessment.models import Instrument

    return Instrument.objects.get(code="nap-2019-2023")


@pytest.fixture
def safer(content):
    from safehands.assessment.models import Instrument

    return Instrument.objects.get(code="safer-together")
