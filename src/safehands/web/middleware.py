"""Turn domain errors raised in page views into the shared error pages."""

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
