"""Page middleware: domain errors into the shared error pages; the isolation headers."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from safehands.core.errors import AccessDenied, NotFound
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
    """Headers Django does not set itself: Permissions-Policy and Cross-Origin-Resource-Policy.

    Content-Security-Policy comes from django-csp and Cross-Origin-Opener-Policy from
    Django's SecurityMiddleware; both are configured in settings.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response
