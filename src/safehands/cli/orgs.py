"""`safehands orgs`: list and import the org tree."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from safehands.cli._django import django_setup
from safehands.cli._files import read_text
from safehands.core.tables import csv_writer


@click.group()
def orgs() -> None:
    """The organisation tree."""


@orgs.command("list")
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "text"]), default="text",
              show_default=True)
def orgs_list(fmt: str) -> None:
    """Every org unit: code, name, kind and parent code, in tree order."""
    django_setup()
    from safehands.orgs.models import OrgUnit

    units = OrgUnit.objects.select_related("parent").order_by("path")
    rows = [{"code": u.code, "name": u.name, "kind": u.kind,
             "parent_code": u.parent.code if u.parent_id else None} for u in units]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        columns = ["code", "name", "kind", "parent_code"]
        writer = csv_writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows([[row[c] or "" for c in columns] for row in rows])
    else:
        for unit in units:
            click.echo(f"{'  ' * unit.depth}{unit.code}  {unit.name}  ({unit.kind})")


@orgs.command("roles-due")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Review interval in days (default: SAFEHANDS_ROLE_REVIEW_DAYS, 180).")
@click.option("--mail", is_flag=True, help="Mail each unit's administrators their list.")
@click.option("--base-url", default="", metavar="URL",
              help="The site's address, for links in the mails (e.g. https://safehands.example).")
@click.option("--format", "fmt", type=click.Choice(["text", "csv"]), default="text",
              show_default=True)
def orgs_roles_due(days: int | None, mail: bool, base_url: str, fmt: str) -> None:
    """Units whose granted roles are due for review (Normen); run it from cron with --mail."""
    django_setup()
    from safehands.orgs.queries import role_reviewers, role_reviews_due
    from safehands.orgs.services import role_review_reminders_send

    due = role_reviews_due(days=days)
    if fmt == "csv":
        writer = csv_writer(sys.stdout)
        writer.writerow(["code", "name", "roles", "last_reviewed", "due_on"])
        for status in due:
            last = status.last_review.reviewed_at.date().isoformat() if status.last_review \
                else ""
            writer.writerow([status.unit.code, status.unit.name, status.memberships, last,
                             status.due_on.isoformat()])
    else:
        for status in due:
            last = (f"last reviewed {status.last_review.reviewed_at:%Y-%m-%d}"
                    if status.last_review else "never reviewed")
            click.echo(f"{status.unit.code}  {status.unit.name}: {status.memberships} role(s), "
                       f"{last}, due {status.due_on:%Y-%m-%d}")
    click.echo(f"{len(due)} unit(s) due for a review of their roles.", err=True)
    if mail:
        sent = role_review_reminders_send(due=due, reviewers=lambda unit: role_reviewers(
            unit=unit), base_url=base_url.rstrip("/"))
        click.echo(f"Sent {sent} reminder mail(s).", err=True)


@orgs.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report; change nothing.")
@click.option("--as", "as_user", metavar="USERNAME",
              help="Import with this user's rights (default: the server operator).")
def orgs_import(file: Path, dry_run: bool, as_user: str | None) -> None:
    """Create or update org units from a CSV file: code, name, kind, parent_code[, name_nb].

    All or nothing: when any row is wrong, every problem is listed and nothing changes.
    """
    django_setup()
    from django.contrib.auth import get_user_model

    from safehands.orgs.services import org_units_import

    actor = None
    if as_user:
        actor = get_user_model().objects.filter(username=as_user, is_active=True).first()
        if actor is None:
            raise click.ClickException(f"There is no active user '{as_user}'.")
    text = read_text(file)
    summary = org_units_import(text=text, actor=actor, dry_run=dry_run, filename=file.name)
    if summary.problems:
        for p in summary.problems:
            where = f"{file.name}, row {p.row}" + (f", {p.field}" if p.field else "")
            click.echo(f"{where}: {p.message}", err=True)
        raise click.ClickException(
            f"Nothing was imported: {len(summary.problems)} problem(s) in {file.name}.")
    verb = "Would create" if dry_run else "Created"
    click.echo(f"{verb} {summary.created}, updated {summary.updated}, "
               f"unchanged {summary.unchanged} org units.")
