"""`safehands backup` and `safehands restore`: the whole database to one file and back.

Progress (each step, each table checksummed) goes to stderr; the summary to stdout.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from safehands.cli._django import django_setup


def _database():
    """The database Django is configured for (DATABASE_URL)."""
    django_setup()
    from django.db import connection

    from safehands.core.backup import Database

    return Database.from_settings(connection.settings_dict)


def _size(n: float) -> str:
    for unit in ("bytes", "kB", "MB"):
        if n < 1000:
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def _reporter(quiet: bool):
    def say(text: str) -> None:
        if not quiet:
            click.echo(text, err=True)
    return say


def _differences(result, *, database, file: Path) -> None:
    for difference in result.differences:
        click.echo(f"  {difference}", err=True)
    raise click.ClickException(
        f"The database {database.label()} does not match {file} in "
        f"{len(result.differences)} table(s), listed above.")


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE when it exists.")
@click.option("--quiet", is_flag=True, help="Print only errors and the summary.")
def backup(file: Path, force: bool, quiet: bool) -> None:
    """Back up the whole database (DATABASE_URL) to FILE, with a manifest to check restores.

    SQLite is copied with its online backup API and PostgreSQL with pg_dump, so the server
    may keep running. FILE holds every record, password hashes included: keep it safe.
    """
    from safehands.core.backup import BackupError, backup_create

    say = _reporter(quiet)
    started = time.monotonic()
    try:
        database = _database()
        say(f"Backing up the {database.engine} database {database.label()}")
        result = backup_create(database=database, path=file, replace=force, progress=say)
    except BackupError as error:
        raise click.ClickException(error.message) from error
    m = result.manifest
    migrations = sum(len(names) for names in m.migrations.values())
    click.echo(f"Wrote {file}: {len(m.tables)} tables, {m.rows:,} rows, {migrations} "
               f"migrations, {_size(result.bytes)}, in {time.monotonic() - started:.1f} s.")


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Replace the contents of a database that already holds tables.")
@click.option("--check", is_flag=True,
              help="Only compare every table of the database with FILE; change nothing.")
@click.option("--quiet", is_flag=True, help="Print only errors and the summary.")
def restore(file: Path, force: bool, check: bool, quiet: bool) -> None:
    """Restore a backup FILE into the database (DATABASE_URL), then check every table.

    The database must be empty unless --force is given; stop the server first. Exits 1 when
    any table differs from the backup's manifest, naming each.
    """
    from safehands.core.backup import BackupError, backup_compare, backup_restore

    say = _reporter(quiet)
    started = time.monotonic()
    try:
        database = _database()
        if check:
            result = backup_compare(path=file, database=database, progress=say)
        else:
            say(f"Restoring {file} into the {database.engine} database {database.label()}")
            result = backup_restore(path=file, database=database, force=force, progress=say)
    except BackupError as error:
        raise click.ClickException(error.message) from error
    if result.differences:
        _differences(result, database=database, file=file)
    m = result.manifest
    done = "Compared" if check else "Restored"
    click.echo(f"{done} {file} (Safehands {m.safehands_version}, taken {m.created_at}): all "
               f"{len(m.tables)} tables match the backup, {m.rows:,} rows, in "
               f"{time.monotonic() - started:.1f} s.")
    pending = [] if check else result.pending_migrations
    if pending:
        click.echo(f"The backup lacks {len(pending)} migration(s) of this version (e.g. "
                   f"{pending[0]}): run `safehands setup` to migrate it.")
