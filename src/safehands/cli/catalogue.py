"""`safehands catalogue`: check, print and load the programme catalogue.

`show` reads only the YAML files and never touches Django or a database; `load` starts Django
and writes through the audited service.
"""

from __future__ import annotations

import json

import click

from safehands.catalogue.schema import DIR_ENV, Catalogue, CatalogueInvalid, read_catalogue

PATH_HELP = f"Read the catalogue from this directory, not the packaged one (or set {DIR_ENV})."


def _read(path: str | None) -> Catalogue:
    try:
        return read_catalogue(path)
    except CatalogueInvalid as error:
        count = len(error.errors)
        raise click.ClickException(
            f"The catalogue is not valid ({count} problem{'s' if count != 1 else ''}):\n"
            + "\n".join(f"  {e}" for e in error.errors)
        ) from None


def _text(catalogue: Catalogue) -> str:
    lines: list[str] = []
    for file, programme in catalogue.files.items():
        lines.append(f"{programme.code}  {programme.name}  [{file}, version {programme.version}]")
        for aim in programme.aims:
            lines.append(f"  aim  {aim.code}  {aim.name}")
        for area in programme.target_areas:
            lines.append(
                f"  {area.number:>2}. {area.code}  {area.name}  "
                f"({len(area.bundle_elements)} bundle elements, {len(area.measures)} measures)"
            )
        for plan in programme.action_plans:
            lines.append(f"  plan  {plan.code}  {plan.name}")
            for plan_area in plan.areas:
                lines.append(
                    f"    {plan_area.number}. {plan_area.name}  "
                    f"({len(plan_area.recommendations)} recommendations)"
                )
    return "\n".join(lines)


@click.group()
def catalogue() -> None:
    """The programme catalogue: target areas, bundles, measures and action plans."""


@catalogue.command()
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text: an outline; json: every field.")
@click.option("--path", type=click.Path(file_okay=False), default=None, help=PATH_HELP)
def show(output: str, path: str | None) -> None:
    """Check the catalogue files and print them. Needs no database."""
    data = _read(path)
    if output == "json":
        click.echo(json.dumps(data.as_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(_text(data))


@catalogue.command()
@click.option("--path", type=click.Path(file_okay=False), default=None, help=PATH_HELP)
@click.option("--force", is_flag=True,
              help="Overwrite items a programme administrator has edited locally.")
@click.option("--dry-run", is_flag=True, help="Report what would change, then roll back.")
def load(path: str | None, force: bool, dry_run: bool) -> None:
    """Load the catalogue into the database (idempotent, all or nothing, audited)."""
    data = _read(path)
    from safehands.cli._django import django_setup

    django_setup()
    from safehands.catalogue.services import catalogue_load

    summary = catalogue_load(catalogue=data, force=force, dry_run=dry_run, source="cli")
    click.echo(summary.as_text())
    if dry_run:
        click.echo("Dry run: nothing was saved.")
