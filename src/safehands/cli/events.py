"""`safehands events`: import reports from other incident systems, and write statistics."""

from __future__ import annotations

import click


@click.group()
def events() -> None:
    """Patient-safety events: import reports, write statistics."""


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
    from safehands.events.analysis import Scope, stats_rows
    from safehands.events.exports import stats_csv
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
