"""Fixtures for the catalogue tests: the packaged catalogue loaded, users, editable copies."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from safehands.catalogue.schema import PACKAGED_DIR


@pytest.fixture
def loaded(db) -> Any:
    """The packaged catalogue loaded by the system; returns the load summary."""
    from safehands.catalogue.services import catalogue_load

    return catalogue_load(actor=None, source="system")


@pytest.fixture
def user(db) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(username="nurse", password="correct horse 1")


@pytest.fixture
def programme_admin(db) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(
        username="progadmin", password="correct horse 2", is_staff=True,
        is_programme_admin=True)


@pytest.fixture
def staff_user(db) -> Any:
    """Staff (may open the admin) but not a programme administrator."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(
        username="staffer", password="correct horse 3", is_staff=True)


@pytest.fixture
def catalogue_copy(tmp_path: Path) -> Callable[..., Path]:
    """catalogue_copy(change) -> a directory holding the packaged files after `change`.

    `change(files)` receives {file name: parsed YAML} and edits it in place.
    """

    def make(change: Callable[[dict[str, Any]], None] | None = None) -> Path:
        directory = tmp_path / "catalogue"
        if directory.exists():
            shutil.rmtree(directory)
        directory.mkdir()
        files = {
            f.name: yaml.safe_load(f.read_text(encoding="utf-8"))
            for f in sorted(PACKAGED_DIR.glob("*.yaml"))
        }
        if change is not None:
            change(files)
        for name, data in files.items():
            (directory / name).write_text(
                yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return directory

    return make
