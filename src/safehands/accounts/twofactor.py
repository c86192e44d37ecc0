"""Two-factor sign-in: an authenticator app (TOTP, RFC 6238, through django-otp) and ten
single-use recovery codes.

- Enrolment: `totp_device_start` gives the user an unconfirmed device (its secret shown as a
  QR code and as text); `totp_device_confirm` confirms it with a first code, replaces any
  earlier authenticator and returns a fresh set of recovery codes, shown once.
- Sign-in: `second_factor_verify` takes a six-digit code or a recovery code. A code is good
  once: django-otp remembers the time step of the last one accepted and refuses it and any
  earlier step (a replay). Each wrong or replayed code counts; after `FAILURE_LIMIT` in a row
  the user must wait `LOCKOUT` before trying again (ASVS 5.0 V6.3.1), as with passwords.
- Recovery codes have 120 random bits (ASVS V6.5.2 allows SHA-256 above 112) and are kept
  only as hashes; `recovery_codes_regenerate` replaces the whole set.

Who must have a second factor is decided by the web layer (`web.middleware`), which knows
the roles; this module only keeps the devices.
"""

from __future__ import annotations

import math
import re
import secrets
from base64 import b32encode
from datetime import timedelta

import segno
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from safehands.accounts.models import RecoveryCode, RecoveryCodeDevice, User, recovery_code_hash
from safehands.audit.services import audit_record
from safehands.core.errors import DomainError

RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_BYTES = 15  # 120 bits: 24 base-32 characters
FAILURE_LIMIT = 5
LOCKOUT = timedelta(minutes=15)

_SIX_DIGITS = re.compile(r"[0-9]{6}")


def wrong_code_message() -> str:
    return _("That code is not right, or it was used already. Codes change every 30 "
             "seconds; wait for the next one and try again.")


def locked_message(minutes: int) -> str:
    return ngettext(
        "Too many wrong codes. Wait %(n)d minute and try again.",
        "Too many wrong codes. Wait %(n)d minutes and try again.", minutes) % {"n": minutes}


def no_code_message() -> str:
    return _("Enter the six-digit code from your authenticator app, or a recovery code.")


# --- Devices ------------------------------------------------------------------------------

def totp_device_get(*, user: User) -> TOTPDevice | None:
    """The user's confirmed authenticator, or None."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def has_second_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_device_start(*, user: User) -> TOTPDevice:
    """The unconfirmed authenticator the user is setting up (made now if there is none), so
    that reloading the page does not change the secret they may already have scanned."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def totp_secret_text(device: TOTPDevice) -> str:
    """The secret in base 32, in groups of four, for typing into an app by hand."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def totp_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an SVG QR code, to put into the page as it is (no script,
    no style attribute, no data: URL, so the Content-Security-Policy stays strict)."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=5, dark="#000", light="#fff", omitsize=False)


@transaction.atomic
def totp_device_confirm(*, user: User, device: TOTPDevice, code: str) -> list[str]:
    """Confirm a new authenticator with its first code; return the new recovery codes."""
    code = "".join(code.split())
    if device.user_id != user.pk or device.confirmed:
        raise DomainError(wrong_code_message(), {"field": "code"})
    if not _SIX_DIGITS.fullmatch(code) or not device.verify_token(code):
        raise DomainError(wrong_code_message(), {"field": "code"})
    replaced = TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk)
    replacing = replaced.exists()
    replaced.delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(actor=user, action="accounts.two_factor.enrol", target=user,
                 after={"replaced_earlier_device": replacing}, source="web")
    return _recovery_codes_make(user=user)


def current_proof_kind(user: User) -> str:
    """What a user gives to prove it is still them before a sensitive change: the password,
    or for an account that signs in only through single sign-on, a code from its current
    authenticator; "" when Safehands holds no factor of the account to ask for."""
    if user.has_usable_password():
        return "password"
    return "code" if has_second_factor(user) else ""


def reauthenticate(*, user: User, proof: str) -> None:
    """Refuse unless `proof` is the user's current password (or code, see above): ASVS
    V7.5.1, so a session left open on a shared ward computer cannot be used to change how
    its owner signs in or to sign them out elsewhere."""
    kind = current_proof_kind(user)
    if kind == "code":
        second_factor_verify(user=user, code=proof)
    elif kind == "password" and not user.check_password(proof):
        raise DomainError(
            _("Your current password is not right: enter it to make this change."),
            {"field": "proof"})


def factor_change_check(*, user: User, proof: str) -> None:
    """Changing an existing second factor needs re-authentication; a first set-up does not,
    as the session has just signed in with the password."""
    if has_second_factor(user):
        reauthenticate(user=user, proof=proof)


def _recovery_codes_make(*, user: User) -> list[str]:
    RecoveryCodeDevice.objects.filter(user=user).delete()
    device = RecoveryCodeDevice.objects.create(user=user, name="Recovery codes")
    codes = []
    for _n in range(RECOVERY_CODE_COUNT):
        raw = b32encode(secrets.token_bytes(RECOVERY_CODE_BYTES)).decode().lower()
        codes.append("-".join(raw[i:i + 4] for i in range(0, len(raw), 4)))
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, code_hash=recovery_code_hash(c)) for c in codes)
    return codes


@transaction.atomic
def recovery_codes_regenerate(*, user: User) -> list[str]:
    """A fresh set of ten codes; the earlier ones stop working."""
    if not has_second_factor(user):
        raise DomainError(_("Set up an authenticator app first."))
    codes = _recovery_codes_make(user=user)
    audit_record(actor=user, action="accounts.recovery_codes.regenerate", target=user,
                 source="web")
    return codes


def recovery_codes_left(*, user: User) -> int:
    return RecoveryCode.objects.filter(device__user=user, used_at__isnull=True).count()


# --- Sign-in ------------------------------------------------------------------------------

def _wait_left(device: TOTPDevice) -> timedelta | None:
    if device.throttling_failure_count < FAILURE_LIMIT or device.throttling_failure_timestamp \
            is None:
        return None
    left = device.throttling_failure_timestamp + LOCKOUT - timezone.now()
    return left if left > timedelta(0) else None


def second_factor_verify(*, user: User, code: str):
    """The device that accepts the code (the authenticator or the recovery codes), or
    DomainError saying why not. Wrong and replayed codes count towards the lock-out; the
    count is committed before the refusal is raised."""
    with transaction.atomic():
        accepted, refusal = _verify(user=user, code="".join(code.split()))
    if refusal is not None:
        raise refusal
    return accepted


def _verify(*, user: User, code: str):
    device = TOTPDevice.objects.select_for_update().filter(
        user=user, confirmed=True).order_by("-pk").first()
    if device is None:
        return None, DomainError(_("You have no authenticator set up yet."))
    wait = _wait_left(device)
    if wait is not None:
        return None, DomainError(locked_message(math.ceil(wait.total_seconds() / 60)),
                                 {"reason": "locked"})
    if not code:
        return None, DomainError(no_code_message(), {"field": "code"})
    if _SIX_DIGITS.fullmatch(code):
        if device.verify_token(code):  # a wrong or replayed code is counted on the device
            return device, None
    else:
        recovery = RecoveryCodeDevice.objects.filter(user=user).first()
        if recovery is not None and recovery.verify_token(code):
            device.throttle_reset()
            audit_record(actor=user, action="accounts.recovery_code.use", target=user,
                         after={"left": recovery_codes_left(user=user)}, source="web")
            return recovery, None
        device.throttle_increment()
    if device.throttling_failure_count == FAILURE_LIMIT:
        audit_record(actor=user, action="accounts.two_factor.lock", target=user,
                     after={"failures": device.throttling_failure_count}, source="web")
    return None, DomainError(wrong_code_message(), {"field": "code"})
