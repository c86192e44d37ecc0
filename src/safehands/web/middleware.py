"""Page middleware: domain errors into the shared error pages; the isolation headers; the
second sign-in step; the rate limit on the pages anyone can open."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from ninja.throttling import SimpleRateThrottle

from safehands.accounts.twofactor import has_second_factor
from safehands.core.errors import AccessDenied, NotFound
from safehands.harm.models import GttMember
from safehands.orgs.models import Membership, Role
from safehands.orgs.reads import client_address
from safehands.web.views import denied, not_found


class DomainErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, AccessDenied):
            return denied(request, exception)
        if isinstance(exception, NotFound):
            return not_found(request, exception)
        return None


# No page needs a camera, a microphone, a location or payment; saying so stops an injected
# frame or script from asking for them in Safehands' name.
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "camera", "display-capture", "geolocation", "gyroscope", "microphone",
    "payment", "usb", "interest-cohort"))


class IsolationHeadersMiddleware:
    """Headers Django does not set itself: Permissions-Policy, Cross-Origin-Resource-Policy,
    and `Cache-Control: no-store` on every answer that does not set its own caching, so no
    page of unit data or patient-level records stays in a browser's or a proxy's cache (the
    chart bundle and static files set theirs).

    Content-Security-Policy comes from django-csp and Cross-Origin-Opener-Policy from
    Django's SecurityMiddleware; both are configured in settings.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        response.headers.setdefault("Cache-Control", "no-store")
        return response


def second_factor_required(user: Any) -> bool:
    """Whether the user must sign in with a second factor: everyone who can read patient-level
    or free-text data, and every administrator.

    - GTT records (patient-level, with reviewers' free-text notes) open to coordinators and
      administrators of the population (`gtt.manage`) and to members of the GTT team.
    - Administrators: system administrators (superusers), Django staff, programme
      administrators and org-unit administrators.
    Viewers and reporters who are on no GTT team read only counts and summaries (with small
      cells hidden) and may add a second factor from their account page.
    """
    if user.is_superuser or user.is_staff or user.is_programme_admin:
        return True
    if Membership.objects.filter(user=user, role__in=[Role.COORDINATOR, Role.ADMIN]).exists():
        return True
    return GttMember.objects.filter(user=user).exists()


SECOND_FACTOR_FIRST = _(
    "Finish signing in with your second factor first: open {path} in the browser. "
    "Integrations should use an API token.")
# Paths a signed-in user may reach before the second step: signing in and out, the language.
_ALWAYS_OPEN = ("/login/", "/logout/", "/i18n/", "/favicon.ico")


class SecondFactorMiddleware:
    """Holds a signed-in user who has not passed the second step at that step.

    A user with an authenticator is sent to enter a code; a user who must have one and has
    none is sent to set one up; nothing else opens until then. API calls that carry a token
    are not held: a token is a credential of its own (see docs/security.md). Runs after
    django-otp's OTPMiddleware, which knows whether this session passed the step.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        step = self._step_needed(request)
        if step is None or request.path == reverse(step):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            if "Authorization" in request.headers or "X-API-Key" in request.headers:
                return self.get_response(request)
            return JsonResponse({"message": SECOND_FACTOR_FIRST.format(path=reverse(step)),
                                 "extra": {"reason": "second_factor"}}, status=401)
        return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")

    @staticmethod
    def _step_needed(request: HttpRequest) -> str | None:
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        if request.path.startswith(_ALWAYS_OPEN) or request.path.startswith(
                "/" + settings.STATIC_URL.lstrip("/")):
            return None
        if has_second_factor(user):
            return "accounts:two_factor_verify"
        if second_factor_required(user):
            return "accounts:two_factor_setup"
        return None


# Pages that answer without a signed-in user: the survey links and the sign-in steps. A
# script that tries join codes or passwords from one address is slowed down here; django-axes
# still locks an account out after repeated wrong passwords.
PUBLIC_PAGES = frozenset({
    "culture:answer", "culture:join", "culture:join_answer", "login",
    "oidc_authentication_init", "oidc_authentication_callback",
    "events:public_report", "events:receipt", "events:followup",
})


class _PublicPageThrottle(SimpleRateThrottle):
    scope = "public"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        address = client_address(request)
        return self.cache_format % {"scope": self.scope, "ident": address} if address else None


class PublicRateLimitMiddleware:
    """At most `SAFEHANDS_PUBLIC_RATE` requests to the public pages per client address, per
    app process; over it a plain page with status 429 and Retry-After."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any,
                     view_kwargs: Any) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or match.view_name not in PUBLIC_PAGES:
            return None
        throttle = _PublicPageThrottle(settings.SAFEHANDS_PUBLIC_RATE)
        if throttle.allow_request(request):
            return None
        wait = max(1, round(throttle.wait() or 1))
        response = render(request, "web/too_many.html", {"wait": wait}, status=429)
        response.headers["Retry-After"] = str(wait)
        return response
