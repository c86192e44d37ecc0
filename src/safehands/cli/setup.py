"""`safehands setup` and `safehands serve`: what `make demo` runs."""

from __future__ import annotations

import importlib

import click

from safehands.cli._django import django_setup

# Programme content shipped in the package, loaded in this order by every `setup` (each loader
# is idempotent and keeps what programme administrators edited locally).
CONTENT_STEPS: list[tuple[str, str]] = [
    ("the programme catalogue", "safehands.catalogue.services:catalogue_load"),
    ("the self-assessment instruments and resource guide",
     "safehands.assessment.services:instruments_load"),
    ("the safety-culture survey instruments",
     "safehands.culture.services:instruments_load_packaged"),
]


@click.command()
@click.option("--demo", is_flag=True, help="Also load demo organisations and users.")
@click.option("--quiet", is_flag=True, help="Print only errors.")
def setup(demo: bool, quiet: bool) -> None:
    """Migrate the database and load the programme catalogue (idempotent)."""
    django_setup()
    from django.conf import settings
    from django.core.management import call_command

    from safehands.core.errors import DomainError

    def say(text: str) -> None:
        if not quiet:
            click.echo(text)

    say(f"Database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]} "
        f"{settings.DATABASES['default']['NAME']}")
    say("Migrating…")
    call_command("migrate", interactive=False, verbosity=0)
    for label, target in CONTENT_STEPS:
        say(f"Loading {label}…")
        module_name, function_name = target.split(":")
        loader = getattr(importlib.import_module(module_name), function_name)
        try:
            result = loader(actor=None, source="cli")
        except DomainError as error:
            raise click.ClickException(error.message) from error
        say(f"  {_counts(result)}")
    if demo:
        from safehands.demo.load import DEMO_PASSWORD, demo_load, demo_steps_run, demo_users

        say("Loading demo organisations and users…")
        try:
            counts = demo_load()
        except DomainError as error:
            raise click.ClickException(error.message) from error
        say(f"  {counts['org_units_created']} org units and {counts['users_created']} users "
            "created (existing ones kept)")
        links: list[str] = []
        try:
            for module_name, step_counts in demo_steps_run().items():
                say(f"  {module_name.rsplit('.', 2)[-2]}: {_counts(step_counts)}")
                links += step_counts.get("links", []) if isinstance(step_counts, dict) else []
        except DomainError as error:
            raise click.ClickException(error.message) from error
        say("")
        say(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        from django.contrib.auth import get_user_model

        from safehands.web.middleware import second_factor_required

        users = demo_users()
        accounts = get_user_model().objects.in_bulk(
            [user.username for user in users], field_name="username")
        for user in users:
            grants = ", ".join(f"{g['role']} at {g['org']}" for g in user.grants)
            extra = " + programme admin" if user.programme_admin else ""
            account = accounts.get(user.username)
            two_step = " *" if account is not None and second_factor_required(account) else ""
            say(f"  {user.username:<20} {grants}{extra}  ({user.note}){two_step}")
        say("  * signs in with a code from an authenticator app too; set up at first sign-in.")
        if links:
            say("")
            say("Demo links (open them after `safehands serve`, no sign-in needed):")
            for link in links:
                say(f"  {link}")


def _counts(result: object) -> str:
    """A loader's summary as one line; nested counts read as 'created 2 instrument, 27 element'."""
    if hasattr(result, "as_dict"):
        result = result.as_dict()
    if not isinstance(result, dict):
        return str(result)
    result = result.get("counts", result)
    parts = []
    for key, value in result.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{n} {kind}" for kind, n in value.items())
            parts.append(f"{key} {inner or 'nothing'}")
        elif not isinstance(value, list):
            parts.append(f"{value} {key}")
    return "; ".join(parts)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve Safehands (a single process; use gunicorn with safehands.wsgi in production)."""
    django_setup()
    from django.core.management import call_command

    click.echo(f"Safehands is running at http://{host}:{port}/  (Ctrl+C to stop)")
    call_command("runserver", f"{host}:{port}", use_reloader=False, use_threading=True)
