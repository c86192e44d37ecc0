"""Writes on users and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from safehands.accounts.models import ApiToken, User
from safehands.audit.services import audit_record

TOKEN_PREFIX = "sh_"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str, actor: User, source: str = "web") -> str:
    """Create a token and return its secret; it cannot be shown again."""
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=key[:10], key_hash=_hash(key))
    audit_record(
        actor=actor, action="accounts.api_token.create", target=token,
        after={"user": user.username, "name": name, "prefix": token.prefix}, source=source,
    )
    return key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User, source: str = "web") -> ApiToken:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="accounts.api_token.revoke", target=token, source=source)
    return token


TOKEN_USE_RECORDED_EVERY = timedelta(minutes=5)


def api_token_user(key: str) -> User | None:
    """The active user behind a token, or None. Records when it was last used (to 5 min)."""
    if not key.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_USE_RECORDED_EVERY:
        # At most one write per token every few minutes: a read must not need the write lock.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
