"""`safehands events`: import reports from other incident systems, and write statistics."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from safehands.cli._django import django_setup

PROBLEMS_SHOWN = 50
CHANGES_SHOWN = 20
PROGRESS_FROM = 2000  # rows; smaller files import too fast for a bar to help


@click.group()
def events() -> None:
    """Patient-safety events: import reports, write statistics."""


@events.command("import")
@click.argument("reports", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mapping", "mapping_spec", metavar="MAPPING.yaml",
              help="How to read the file: `synergi` or `datix` (shipped), or your own YAML "
              "mapping file. Default: the columns reference, occurred_at, reported_at, "
              "org_code, event_type, outcome, reached_patient, description, status.")
@click.option("--dry-run", is_flag=True, help="Check everything and report; change nothing.")
def events_import_command(reports: Path, mapping_spec: str | None, dry_run: bool) -> None:
    """Import event reports from REPORTS.csv, all or nothing.

    A row whose reference and org unit are already stored is compared: equal rows change
    nothing, different rows update the event (audited). Any problem is listed with its row
    and field, and then nothing is imported.
    """
    django_setup()
    from safehands.core.errors import DomainError
    from safehands.events.importing import events_import
    from safehands.events.mapping import mapping_load, text_decode

    try:
        mapping = mapping_load(mapping_spec)
        text = text_decode(reports.read_bytes(), mapping, file=reports.name)
    except DomainError as error:
        raise click.ClickException(error.message) from error

    bars: dict[str, Any] = {}
    labels = {"check": "Checking rows", "write": "Writing events"}

    def progress(stage: str, done: int, total: int) -> None:
        if total < PROGRESS_FROM:
            return
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = click.progressbar(length=total, label=labels.get(stage, stage),
                                                  file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)

    try:
        summary = events_import(text, mapping, actor=None, dry_run=dry_run, source="cli",
                                file=reports.name, progress=progress)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    finally:
        for bar in bars.values():
            if not bar.finished:
                bar.__exit__(None, None, None)
    if summary.problem_count:
        for p in summary.problems[:PROBLEMS_SHOWN]:
            where = f"{reports.name}, row {p.row}" + (f", {p.field}" if p.field else "")
            click.echo(f"{where}: {p.message}", err=True)
        more = summary.problem_count - min(len(summary.problems), PROBLEMS_SHOWN)
        if more:
            click.echo(f"... and {more} more problem(s).", err=True)
        raise click.ClickException(f"Nothing was imported: {summary.problem_count} "
                                   f"problem(s) in {reports.name}.")
    for change in summary.changes[:CHANGES_SHOWN]:
        verb = "would change" if dry_run else "changed"
        click.echo(f"  row {change.row}: {change.reference} ({change.org_code}) {verb} "
                   + ", ".join(sorted(change.after)))
    if summary.updated > CHANGES_SHOWN:
        click.echo(f"  ... and {summary.updated - CHANGES_SHOWN} more updated.")
    masked = (f" {summary.identity_numbers_masked} identity number(s) masked in descriptions."
              if summary.identity_numbers_masked else "")
    if dry_run:
        click.echo(f"Dry run, nothing written: would create {summary.created}, update "
                   f"{summary.updated}, leave {summary.unchanged} unchanged of {summary.rows} "
                   f"rows in {reports.name}.{masked}")
    else:
        click.echo(f"Created {summary.created}, updated {summary.updated}, unchanged "
                   f"{summary.unchanged} events from {summary.rows} rows in "
                   f"{reports.name}.{masked}")


# -- stats --

@events.command("stats")
@click.option("--org", "org_code", required=True, metavar="CODE", help="The org unit's code.")
@click.option("--subtree", is_flag=True,
              help="Count the events of the whole subtree (default: the unit alone).")
@click.option("--by", type=click.Choice(["month", "quarter", "year"]), default="month",
              show_default=True, help="Period of occurrence, on Oslo's clock.")
@click.option("--from", "date_from", metavar="YYYY-MM-DD",
              help="First day of occurrence counted (default: the first event).")
@click.option("--to", "date_to", metavar="YYYY-MM-DD",
              help="Last day of occurrence counted (default: the last event).")
@click.option("--out", type=click.Path(dir_okay=False), required=True,
              help="STATS.csv to write.")
def events_stats_command(org_code: str, subtree: bool, by: str, date_from: str | None,
                         date_to: str | None, out: str) -> None:
    """Event counts per period, type and outcome, with near misses and reports per 1,000
    bed days.

    STATS.csv always has the columns period, event_type, outcome, events, near_misses,
    bed_days, events_per_1000_bed_days: one row per period, type and outcome that has
    events. bed_days and the rate are empty where the unit (or subtree) reports no bed days
    for the period; the rate counts the events of units and months that report bed days,
    over those bed days. Rejected and duplicate reports are not counted.
    """
    from datetime import date

    from safehands.cli._django import django_setup

    django_setup()
    from safehands.core.errors import DomainError
    from safehands.events.exports import stats_csv
    from safehands.events.rates import stats_rows
    from safehands.events.scope import Scope
    from safehands.orgs.queries import org_unit_get

    def day(text: str | None, option: str) -> date | None:
        try:
            return date.fromisoformat(text) if text else None
        except ValueError:
            raise click.BadParameter(f"'{text}' is not a date; write YYYY-MM-DD.",
                                     param_hint=option) from None

    first, last = day(date_from, "--from"), day(date_to, "--to")
    try:
        scope = Scope(org_unit_get(code=org_code), subtree=subtree, date_from=first,
                      date_to=last)
        rows = stats_rows(scope, by=by)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    with open(out, "w", newline="", encoding="utf-8") as handle:
        stats_csv(rows, handle)
    periods = {r.period for r in rows}
    with_days = {r.period for r in rows if r.bed_days is not None}
    where = f"{scope.unit.code} and its subtree" if subtree else scope.unit.code
    click.echo(f"{where}: {sum(r.events for r in rows):,} events in {len(periods)} "
               f"period(s), {len(with_days)} with bed days; {len(rows):,} row(s) written to "
               f"{out}.", err=True)
