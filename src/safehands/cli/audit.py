"""`safehands audit`: the read log's retention."""

from __future__ import annotations

import click

from safehands.cli._django import django_setup


@click.group()
def audit() -> None:
    """The audit trail and the read log of patient-level and free-text data."""


@audit.command("purge-reads")
@click.option("--dry-run", is_flag=True, help="Count the rows that would go; delete nothing.")
@click.option("--batch-size", type=click.IntRange(min=1), default=5000, show_default=True,
              help="Rows deleted per database statement.")
def purge_reads(dry_run: bool, batch_size: int) -> None:
    """Delete read-log rows older than SAFEHANDS_READ_LOG_DAYS (default 3650 days).

    Younger rows are never touched. Progress is shown after each batch.
    """
    django_setup()
    import datetime

    from django.utils import timezone

    from safehands.audit.models import ReadEvent
    from safehands.audit.services import read_events_purge, read_log_days

    try:
        days = read_log_days()
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    now = timezone.now()
    cutoff = now - datetime.timedelta(days=days)
    click.echo(f"Keeping {days} days of reads: rows read before "
               f"{timezone.localtime(cutoff):%Y-%m-%d %H:%M} go.")
    if dry_run:
        count = ReadEvent.objects.filter(at__lt=cutoff).count()
        click.echo(f"Would delete {count} of {ReadEvent.objects.count()} read-log rows.")
        return

    def progress(done: int, total: int) -> None:
        click.echo(f"Deleted {done} of {total} ({100 * done // total}%).")

    deleted = read_events_purge(now=now, batch_size=batch_size, progress=progress)
    click.echo(f"Deleted {deleted} read-log rows; {ReadEvent.objects.count()} kept.")
