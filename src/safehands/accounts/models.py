"""Users, API tokens and recovery codes. Roles live on memberships (orgs), not here.

The authenticator (TOTP) device is django-otp's own `TOTPDevice`."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django_otp.models import Device


class User(AbstractUser):
    is_programme_admin = models.BooleanField(
        default=False,
        help_text="May edit the programme catalogue (target areas, bundles, measures).",
    )
    preferred_language = models.CharField(max_length=8, blank=True)


class ApiToken(models.Model):
    """A bearer token for integrations. Only a hash is stored; the token is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


def recovery_code_hash(code: str) -> str:
    """SHA-256 of the code as typed, less spaces and hyphens, in lower case."""
    plain = "".join(code.split()).replace("-", "").lower()
    return hashlib.sha256(plain.encode()).hexdigest()


class RecoveryCodeDevice(Device):
    """A user's set of single-use recovery codes, a django-otp device like the authenticator.

    django-otp's own static device keeps its codes in clear; ASVS 5.0 V6.5.2 wants lookup
    secrets hashed. Each code has 120 random bits, so SHA-256 suffices there (a slow
    password hash is needed only below 112 bits).
    """

    class Meta:
        verbose_name = "recovery-code set"

    def verify_token(self, token: str) -> bool:
        """Use up the matching unused code; False when none matches."""
        used = self.codes.filter(code_hash=recovery_code_hash(token), used_at__isnull=True)
        return used.update(used_at=timezone.now()) == 1


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "code_hash"],
                                               name="recoverycode_unique")]

    def __str__(self) -> str:
        return f"recovery code {self.pk} ({'used' if self.used_at else 'unused'})"


class OidcIdentity(models.Model):
    """A local account's link to one person at the single sign-on provider (its `sub`).

    Made at the first single sign-on, by the account's user name; afterwards the link alone
    decides, so a provider account renamed to another person's user name cannot take over
    theirs."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="oidc_identities")
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="oidcidentity_subject"),
            models.UniqueConstraint(fields=["issuer", "user"], name="oidcidentity_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.issuer}"
