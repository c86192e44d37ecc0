"""Single sign-on with OpenID Connect (authorization code flow with PKCE, through
mozilla-django-oidc), beside local accounts.

Safehands makes no accounts from the provider: an administrator creates the account and its
roles as for a local user, and the person's first single sign-on links the provider's
subject (`sub`) to the account of the same user name (the `SAFEHANDS_OIDC_USERNAME_CLAIM`
claim, `preferred_username` unless set). From then on only that link decides. The ID
token's signature (from the provider's keys), nonce, issuer, audience and expiry are
checked. Signing in this way passes the password step only: a user who must have a second
factor still enters a code from their authenticator.
"""

from __future__ import annotations

import logging
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import LoginView
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from safehands.accounts.models import OidcIdentity
from safehands.audit.services import audit_record

logger = logging.getLogger(__name__)

SSO_OFF = "Single sign-on is not set up on this server."


def sso_failed_message() -> str:
    return _("Single sign-on did not sign you in: your organisation's account is not linked "
             "to a Safehands account, or the sign-in was cancelled. Sign in with your "
             "Safehands user name and password, or ask an administrator for an account.")


class SafehandsOIDCBackend(OIDCAuthenticationBackend):
    """Finds the local account for a provider's user; never creates one."""

    def verify_token(self, token: str, **kwargs: Any) -> dict:
        payload = super().verify_token(token, **kwargs)
        if kwargs.get("nonce") is None:
            return payload  # a signed userinfo answer, not the ID token
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if payload.get("iss") != settings.SAFEHANDS_OIDC_ISSUER:
            raise SuspiciousOperation("The ID token comes from another issuer.")
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token is not meant for this application.")
        self._subject = payload.get("sub")
        return payload

    def verify_claims(self, claims: dict) -> bool:
        return bool(claims.get("sub")) and bool(
            claims.get(settings.SAFEHANDS_OIDC_USERNAME_CLAIM))

    def describe_user_by_claims(self, claims: dict) -> str:
        return f"subject {claims.get('sub')!r}"

    def filter_users_by_claims(self, claims: dict):
        if getattr(self, "_subject", None) != claims.get("sub"):
            return self.UserModel.objects.none()  # userinfo about someone else
        issuer = settings.SAFEHANDS_OIDC_ISSUER
        linked = OidcIdentity.objects.filter(issuer=issuer, subject=claims["sub"])
        if linked.exists():
            return self.UserModel.objects.filter(
                pk__in=linked.values("user"), is_active=True)
        username = claims[settings.SAFEHANDS_OIDC_USERNAME_CLAIM]
        return self.UserModel.objects.filter(username=username, is_active=True).exclude(
            oidc_identities__issuer=issuer)

    @transaction.atomic
    def update_user(self, user, claims: dict):
        identity, made = OidcIdentity.objects.get_or_create(
            issuer=settings.SAFEHANDS_OIDC_ISSUER, subject=claims["sub"],
            defaults={"user": user})
        if made:
            audit_record(actor=user, action="accounts.oidc.link", target=user,
                         after={"issuer": identity.issuer, "subject": identity.subject},
                         source="web")
        return user

    def create_user(self, claims: dict):
        raise SuspiciousOperation("No Safehands account for this provider account.")


class _OnlyWhenConfigured(View):
    def __init__(self, **kwargs: Any) -> None:
        if settings.SAFEHANDS_OIDC:
            super().__init__(**kwargs)
        else:
            View.__init__(self, **kwargs)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.SAFEHANDS_OIDC:
            raise Http404(SSO_OFF)
        return super().dispatch(request, *args, **kwargs)


class SsoStart(_OnlyWhenConfigured, OIDCAuthenticationRequestView):
    """Sends the browser to the provider, with state, nonce and a PKCE challenge."""


class SsoCallback(_OnlyWhenConfigured, OIDCAuthenticationCallbackView):
    """The provider's answer: signs the linked user in, or back to the sign-in page."""

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            return super().get(request)
        except (SuspiciousOperation, jwt.InvalidTokenError, requests.RequestException) as error:
            # A forged, expired or misdirected token, or a provider that did not answer:
            # nobody is signed in, and the reason goes to the log, not to the page.
            logger.warning("Single sign-on refused: %s", error)
            return self.login_failure()

    def login_failure(self) -> HttpResponse:
        messages.error(self.request, sso_failed_message())
        return redirect("login")


class LoginPage(LoginView):
    """Django's sign-in page, with the single sign-on link when it is set up."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict:
        return {**super().get_context_data(**kwargs), "sso": settings.SAFEHANDS_OIDC}
