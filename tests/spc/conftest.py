"""The SPC engine runs without Django: these tests need none of the suite-wide fixtures."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing() -> None:
    """Shadows the suite-wide fixture of the same name, which configures Django settings."""
