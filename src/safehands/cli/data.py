"""`safehands data`: import, export and roll up measure data values."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import click

from safehands.cli._django import django_setup
from safehands.cli._files import read_text
from safehands.core.tables import csv_writer

FORMATS = ["csv", "json", "fhir"]


def _user(username: str | None) -> Any:
    if not username:
        return None
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise click.ClickException(f"There is no active user '{username}'.")
    return user


def _format_of(file: Path, fmt: str | None) -> str:
    if fmt:
        return fmt
    suffix = file.suffix.lower().lstrip(".")
    if suffix in ("csv", "json"):
        return suffix
    raise click.ClickException(f"{file}: say --format csv, json or fhir.")


@click.group()
def data() -> None:
    """Measure data values: import, export and roll-ups."""


@data.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="File format (default: from the file's extension).")
@click.option("--dry-run", is_flag=True, help="Check everything and report; change nothing.")
@click.option("--strategy", type=click.Choice(["create", "update", "create_and_update"]),
              default="create_and_update", show_default=True,
              help="create: new values only; update: existing only; or both.")
@click.option("--as", "as_user", metavar="USERNAME",
              help="Import with this user's rights (default: the server operator).")
def data_import(file: Path, fmt: str | None, dry_run: bool, strategy: str,
                as_user: str | None) -> None:
    """Import data values, all or nothing. Prints the summary as JSON; exit 1 on conflicts."""
    django_setup()
    from safehands.core.errors import DomainError
    from safehands.measurement.services import data_values_import

    fmt = _format_of(file, fmt)
    actor = _user(as_user)
    text = read_text(file)

    def progress(stage: str, done: int, total: int) -> None:
        if total >= 50_000:
            click.echo(f"{stage}: {done:,}/{total:,}", err=True)

    try:
        summary = data_values_import(text=text, fmt=fmt, actor=actor, strategy=strategy,
                                     dry_run=dry_run, source="cli", file_name=file.name,
                                     progress=progress)
    except DomainError as error:
        raise click.ClickException(f"{file}: {error.message}") from error
    click.echo(json.dumps(summary.as_dict(), ensure_ascii=False, indent=1))
    if summary.conflicts:
        sys.exit(1)


def _unit(code: str) -> Any:
    from safehands.core.errors import NotFound
    from safehands.orgs.queries import org_unit_get

    try:
        return org_unit_get(code=code)
    except NotFound as error:
        raise click.ClickException(error.message) from error


def _measure(code: str) -> Any:
    from safehands.core.errors import NotFound
    from safehands.measurement.queries import measure_get

    try:
        return measure_get(code=code)
    except NotFound as error:
        raise click.ClickException(error.message) from error


def _period(option: str, key: str | None) -> str | None:
    from safehands.measurement import periods

    if key is None:
        return None
    try:
        return periods.parse(key).key
    except periods.PeriodError as error:
        raise click.ClickException(f"{option}: {error}") from error


@data.command("export")
@click.option("--org", "org", required=True, metavar="CODE", help="Org unit code.")
@click.option("--subtree", is_flag=True, help="Include every unit below it.")
@click.option("--measure", "measure", metavar="CODE", help="Only this measure.")
@click.option("--from", "period_from", metavar="PERIOD", help="First period, e.g. 2025-01.")
@click.option("--to", "period_to", metavar="PERIOD", help="Last period, e.g. 2025-12.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--as", "as_user", metavar="USERNAME",
              help="Export with this user's rights and small-cell suppression (default: the "
              "server operator, who sees every number).")
def data_export(org: str, subtree: bool, measure: str | None, period_from: str | None,
                period_to: str | None, fmt: str, out: Path, as_user: str | None) -> None:
    """Write data values as CSV, JSON or a FHIR R4 MeasureReport bundle."""
    django_setup()
    from safehands.core.errors import AccessDenied
    from safehands.measurement import formats
    from safehands.measurement.queries import data_value_list, export_rows, values_suppressed
    from safehands.orgs.access import authorize

    unit = _unit(org)
    actor = _user(as_user)
    if actor is not None:
        try:
            authorize(actor, "data.view", unit)
        except AccessDenied as error:
            raise click.ClickException(error.message) from error
    values = data_value_list(unit=unit, measure=_measure(measure) if measure else None,
                             period_from=_period("--from", period_from),
                             period_to=_period("--to", period_to), subtree=subtree)
    # With --as, the user's view: small counts of units they may not enter data for blanked.
    rows = values_suppressed(rows=export_rows(values=values), user=actor)
    out.write_text(formats.write(rows, fmt), encoding="utf-8")
    hidden = sum(1 for row in rows if row["suppressed"])
    click.echo(f"Wrote {len(rows)} data values to {out}"
               + (f" ({hidden} with a small count suppressed)." if hidden else "."), err=True)


@data.command("rollup")
@click.option("--org", "org", required=True, metavar="CODE", help="Top of the subtree.")
@click.option("--measure", "measure", required=True, metavar="CODE")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--as", "as_user", metavar="USERNAME",
              help="With this user's rights (default: the server operator).")
def data_rollup(org: str, measure: str, out: Path, as_user: str | None) -> None:
    """Per period: summed numerator and denominator, value, reporting and expected units."""
    django_setup()
    from safehands.core.errors import AccessDenied
    from safehands.measurement.queries import rollup, rollup_rows
    from safehands.measurement.rules import format_number
    from safehands.orgs.access import authorize

    unit = _unit(org)
    actor = _user(as_user)
    if actor is not None:
        try:
            authorize(actor, "data.view", unit)
        except AccessDenied as error:
            raise click.ClickException(error.message) from error
    item = _measure(measure)
    points = rollup_rows(points=rollup(unit=unit, measure=item), user=actor, unit=unit,
                         measure=item)
    hidden = sum(p["suppressed"] for p in points)
    buffer = io.StringIO()
    writer = csv_writer(buffer, lineterminator="\n")
    writer.writerow(["period", "numerator", "denominator", "value", "reporting_units",
                     "expected_units"] + (["suppressed"] if hidden else []))
    for p in points:
        writer.writerow([p["period"], format_number(p["numerator"]),
                         format_number(p["denominator"]), format_number(p["value"]),
                         p["reporting_units"], p["expected_units"]]
                        + (["true" if p["suppressed"] else "false"] if hidden else []))
    out.write_text(buffer.getvalue(), encoding="utf-8")
    click.echo(f"Wrote {len(points)} periods to {out}"
               + (f"; {hidden} with small counts suppressed." if hidden else "."), err=True)


@data.command("generate")
@click.option("--units", default=2000, show_default=True, help="Care units in the nation.")
@click.option("--months", default=60, show_default=True, help="Months of data, ending last "
              "month.")
@click.option("--measures", default=5, show_default=True, help="Measures per unit (falls).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the values CSV.")
@click.option("--load", is_flag=True, help="Also import the values into the database.")
def data_generate(units: int, months: int, measures: int, out: Path, load: bool) -> None:
    """A synthetic national-scale data set: org tree, enrolments and a values CSV."""
    django_setup()
    from safehands.measurement.demo import national_build
    from safehands.measurement.services import data_values_import

    built = national_build(units=units, months=months, measures=measures)
    out.write_text(built.pop("text"), encoding="utf-8")
    result: dict[str, Any] = {**built, "file": str(out)}
    if load:
        summary = data_values_import(text=out.read_text(encoding="utf-8"), fmt="csv",
                                     actor=None, source="cli", file_name=out.name)
        result["import"] = summary.as_dict()
        if summary.conflicts:
            click.echo(json.dumps(result, indent=1))
            sys.exit(1)
    click.echo(json.dumps(result, indent=1))


@data.command("rebuild-totals")
def data_rebuild_totals() -> None:
    """Recompute the subtree totals that roll-ups and dashboards read, from the values.

    Every write keeps them; this is for values changed behind the application's back (a
    restore, a manual fix in the database).
    """
    django_setup()
    from safehands.measurement.services import subtree_totals_rebuild

    click.echo("Summing every value into the units above it...", err=True)
    written = subtree_totals_rebuild()
    click.echo(f"Wrote {written:,} subtree totals.", err=True)
