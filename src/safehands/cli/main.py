"""Entry point of the `safehands` command.

Sub-commands load lazily so that `safehands spc` and `safehands catalogue show` start without
Django or a database.
"""

from __future__ import annotations

import importlib

import click

# name -> "module:attribute"; one line per command keeps the registry greppable and documented.
COMMANDS: dict[str, str] = {
    "setup": "safehands.cli.setup:setup",
    "serve": "safehands.cli.setup:serve",
    "catalogue": "safehands.cli.catalogue:catalogue",
    "orgs": "safehands.cli.orgs:orgs",
    "users": "safehands.cli.users:users",
    "spc": "safehands.cli.spc:spc",
    "data": "safehands.cli.data:data",
    "gtt": "safehands.cli.gtt:gtt",
    "survey": "safehands.cli.survey:survey",
    "assessment": "safehands.cli.assessment:assessment",
    "events": "safehands.cli.events:events",
    "backup": "safehands.cli.backup:backup",
    "restore": "safehands.cli.backup:restore",
    "audit": "safehands.cli.audit:audit",
}


class LazyGroup(click.Group):
    """A group whose commands are imported only when called (or listed in --help)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        return getattr(importlib.import_module(module_name), attribute)


@click.group(cls=LazyGroup)
@click.version_option(package_name="safehands")
def cli() -> None:
    """Safehands: run a patient-safety programme, from a single ward up to a whole country."""
