"""The JSON API under /api/v1/: one NinjaAPI, a router per app, errors rendered alike."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.security import APIKeyHeader, HttpBearer, django_auth

from safehands import __version__
from safehands.accounts.services import api_token_user
from safehands.core.errors import AccessDenied, DomainError, NotFound

REQUEST_TOO_BIG = (
    "The request body is larger than the {limit} MB this server accepts. Send the data in "
    "smaller parts, or import a large file with `safehands data import`."
)


class TokenAuth(HttpBearer):
    """`Authorization: Bearer sh_…` for integrations."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return api_token_user(token)


class TokenHeaderAuth(APIKeyHeader):
    """`X-API-Key: sh_…`, for tools that cannot set a bearer header."""

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return api_token_user(key) if key else None


api = NinjaAPI(
    title="Safehands API",
    version=__version__,
    description=(
        "Read and write programme data. Authenticate with a session (browser) or an API "
        "token (`Authorization: Bearer sh_…`). Every endpoint answers only for org units "
        "the caller has a role on."
    ),
    urls_namespace="api",
    auth=[TokenAuth(), TokenHeaderAuth(), django_auth],
)


def _error(request: HttpRequest, error: DomainError, status: int) -> HttpResponse:
    return api.create_response(request, {"message": error.message, "extra": error.extra},
                               status=status)


@api.exception_handler(AccessDenied)
def _access_denied(request: HttpRequest, error: AccessDenied) -> HttpResponse:
    return _error(request, error, 403)


@api.exception_handler(NotFound)
def _not_found(request: HttpRequest, error: NotFound) -> HttpResponse:
    return _error(request, error, 404)


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, error: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return api.create_response(request, {
        "message": REQUEST_TOO_BIG.format(limit=limit // (1024 * 1024) or 1),
        "extra": {"limit_bytes": limit}}, status=413)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, error: DomainError) -> HttpResponse:
    return _error(request, error, 400)


api.add_router("/orgs/", "safehands.orgs.api.router")
api.add_router("/catalogue/", "safehands.catalogue.api.router")
api.add_router("/me", "safehands.orgs.api.me_router")
api.add_router("/measurement/", "safehands.measurement.api.router")
api.add_router("/harm/", "safehands.harm.api.router")
api.add_router("/culture/", "safehands.culture.api.router")
api.add_router("/assessment/", "safehands.assessment.api.router")
