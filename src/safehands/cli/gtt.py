"""`safehands gtt`: Global Trigger Tool teams, review imports and harm rates.

The commands and the RATES.csv columns are a contract used by external checks.
"""

from __future__ import annotations

from pathlib import Path

import click

from safehands.cli._django import django_setup
from safehands.cli._files import read_text
from safehands.core.tables import csv_writer

RATES_BY = ("month", "tertial", "year")


@click.group()
def gtt() -> None:
    """Global Trigger Tool: teams, completed reviews and harm rates."""


@gtt.command("create-team")
@click.option("--code", required=True, help="The team's code, e.g. GTT-OUS.")
@click.option("--org", "org_code", required=True,
              help="The org unit whose stays the team samples (trust, hospital or clinic).")
@click.option("--name", default="", help="A display name.")
@click.option("--sample-size", default=10, show_default=True, type=int,
              help="Stays drawn per review period.")
@click.option("--period-days", default=14, show_default=True, type=int,
              help="Length of a review period in days.")
@click.option("--exclude-services", default="psychiatry,paediatrics,rehabilitation",
              show_default=True, help="Services whose stays are never sampled (comma-separated).")
@click.option("--trigger-list", default=None,
              help="Trigger list (variant in the GTT content); default the IHI list.")
def create_team(code: str, org_code: str, name: str, sample_size: int, period_days: int,
                exclude_services: str, trigger_list: str | None) -> None:
    """Create a GTT team for one sampling population; populations may not overlap."""
    django_setup()
    from safehands.core.errors import DomainError
    from safehands.harm.services import gtt_team_create
    from safehands.orgs.queries import org_unit_get

    try:
        unit = org_unit_get(code=org_code)
        team = gtt_team_create(code=code, population=unit, name=name, sample_size=sample_size,
                               period_days=period_days,
                               excluded_services=exclude_services.split(","),
                               trigger_variant=trigger_list, actor=None, source="cli")
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Created GTT team {team.code} for {unit.code} ({unit.name}).")


@gtt.command("import-reviews")
@click.argument("records", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--events", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="EVENTS.csv: stay_id, severity, harm_type, triggers (codes separated by ';').")
@click.option("--team", "team_code", required=True, help="The GTT team's code.")
@click.option("--dry-run", is_flag=True, help="Check the files and report; change nothing.")
def import_reviews(records: Path, events: Path | None, team_code: str, dry_run: bool) -> None:
    """Import completed reviews from RECORDS.csv (stay_id, admission_date, discharge_date,
    patient_days) and their adverse events. All or nothing; re-importing changes nothing."""
    django_setup()
    from safehands.core.errors import DomainError
    from safehands.harm.queries import team_get
    from safehands.harm.services import reviews_import

    try:
        team = team_get(code=team_code)
        summary = reviews_import(
            team=team, records_text=read_text(records),
            events_text=read_text(events) if events else None, actor=None, dry_run=dry_run,
            records_filename=records.name, events_filename=events.name if events else "",
            source="cli")
    except DomainError as error:
        raise click.ClickException(error.message) from error
    if summary.problems:
        for p in summary.problems:
            where = f"{p.file}, row {p.row}" + (f", {p.field}" if p.field else "")
            click.echo(f"{where}: {p.message}", err=True)
        raise click.ClickException(
            f"Nothing was imported: {len(summary.problems)} problem(s).")
    verb = "Would create" if dry_run else "Created"
    click.echo(f"{verb} {summary.created}, updated {summary.updated}, unchanged "
               f"{summary.unchanged} records ({summary.events} adverse events) for team "
               f"{team.code}.")


@gtt.command("rates")
@click.option("--team", "team_code", required=True, help="The GTT team's code.")
@click.option("--by", type=click.Choice(RATES_BY), default="month", show_default=True,
              help="Period: month, tertial (Jan-Apr, May-Aug, Sep-Dec) or year, by discharge.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="RATES.csv to write.")
def rates_command(team_code: str, by: str, out: Path) -> None:
    """Harm rates per period: AEs per 1000 patient-days, per 100 admissions, and % of
    admissions with at least one AE with its Wilson 95% confidence interval."""
    django_setup()
    from safehands.core.errors import DomainError
    from safehands.harm.queries import team_get, team_rates
    from safehands.harm.rates import RATE_COLUMNS, csv_cell

    try:
        rows = team_rates(team=team_get(code=team_code), by=by)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv_writer(handle, lineterminator="\n")
        writer.writerow(RATE_COLUMNS)
        for row in rows:
            writer.writerow([csv_cell(getattr(row, c)) for c in RATE_COLUMNS])
    click.echo(f"Wrote {len(rows)} period(s) to {out}.")
