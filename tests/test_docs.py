"""Registries checked against the documentation: an undocumented command or permission fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from safehands.cli.main import COMMANDS
from safehands.orgs.access import PERMISSIONS

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_is_in_the_readme(command):
    assert f"`safehands {command}" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("permission", sorted(PERMISSIONS))
def test_every_permission_is_documented(permission):
    assert f"| `{permission}` |" in (ROOT / "docs" / "permissions.md").read_text(encoding="utf-8")


def test_readme_gives_the_two_setup_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme


def test_every_linked_doc_exists():
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for target in re.findall(r"\]\((docs/[^)]+)\)", readme):
        assert (ROOT / target).exists(), target
