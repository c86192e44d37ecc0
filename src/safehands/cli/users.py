"""`safehands users`: accounts, roles and API tokens from the server's command line."""

from __future__ import annotations

import click

from safehands.cli._django import django_setup


def _user(username: str):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise click.ClickException(f"There is no user '{username}'.")
    return user


@click.group()
def users() -> None:
    """User accounts, roles and API tokens."""


@users.command("create")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--programme-admin", is_flag=True, help="May edit the programme catalogue.")
@click.option("--superuser", is_flag=True, help="System administrator: every right.")
def users_create(username: str, password: str, programme_admin: bool, superuser: bool) -> None:
    """Create a user."""
    django_setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise click.ClickException(f"User '{username}' exists already.")
    try:
        validate_password(password)
    except ValidationError as error:
        raise click.ClickException("Password: " + " ".join(error.messages)) from error
    User.objects.create_user(
        username=username, password=password, is_programme_admin=programme_admin,
        is_staff=programme_admin or superuser, is_superuser=superuser,
    )
    click.echo(f"Created user {username}.")


@users.command("grant")
@click.argument("username")
@click.option("--org", "org_code", required=True, help="Org unit code.")
@click.option("--role", required=True,
              type=click.Choice(["viewer", "reporter", "coordinator", "admin"]))
def users_grant(username: str, org_code: str, role: str) -> None:
    """Give a user a role over an org unit and everything below it."""
    django_setup()
    from safehands.core.errors import DomainError
    from safehands.orgs.queries import org_unit_get
    from safehands.orgs.services import membership_grant

    try:
        unit = org_unit_get(code=org_code)
        membership_grant(user=_user(username), org_unit=unit, role=role, actor=None,
                         source="cli")
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"{username} is now {role} at {unit.code} ({unit.name}) and below.")


@users.command("token")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for, e.g. 'EHR export'.")
def users_token(username: str, name: str) -> None:
    """Create an API token for a user and print it (it is shown only once)."""
    django_setup()
    from safehands.accounts.services import api_token_create

    key = api_token_create(user=_user(username), name=name, actor=None, source="cli")
    click.echo(key)
