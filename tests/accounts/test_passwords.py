"""Password rules (ASVS 5.0 V6.2): long enough, not too long, not common, not breached, and
no composition rules; refused with a message that says which rule."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from safehands.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from safehands.cli.main import cli


def _refusal(password: str, user=None) -> str:
    with pytest.raises(ValidationError) as caught:
        validate_password(password, user)
    return " ".join(caught.value.messages)


def test_a_short_password_is_refused_saying_how_long_it_must_be():
    message = _refusal("Tr0ub4dor&3")
    assert "too short" in message and f"at least {MIN_LENGTH} characters" in message


@pytest.mark.parametrize("password", ["qwertyuiopasdfghjkl", "1q2w3e4r5t6y7u8i",
                                      "iloveyouiloveyou", "123456789012345"])
def test_a_long_but_breached_password_is_refused_as_breached(password):
    assert "breached passwords" in _refusal(password)


def test_a_common_password_is_refused_even_when_short():
    message = _refusal("password")
    assert "too short" in message and "too common" in message


def test_a_password_over_the_maximum_is_refused():
    assert f"at most {MAX_LENGTH} characters" in _refusal("a unique phrase " * 9)


@pytest.mark.parametrize("password", [
    "harbour kettle violet march",       # lower-case words with spaces: no composition rule
    "fjord-moltebær-sykkel-lysløype",    # any Unicode letters count
    "x" * 7 + " seven plus words " + "z" * 40,  # 64 characters and more are allowed
])
def test_a_long_passphrase_is_accepted(password):
    validate_password(password)


def test_a_password_like_the_user_name_is_refused(db, django_user_model):
    user = django_user_model(username="kari.nordmann.ward", email="kari@example.org")
    assert "too similar" in _refusal("kari.nordmann.ward1", user)


def test_the_cli_refuses_a_breached_password_and_creates_no_user(db, django_user_model):
    result = CliRunner().invoke(cli, ["users", "create", "ola", "--password", "passwordpassword"])
    assert result.exit_code != 0
    assert "breached passwords" in result.output
    assert not django_user_model.objects.filter(username="ola").exists()
