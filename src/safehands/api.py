"""The JSON API under /api/v1/: one NinjaAPI, a router per app, errors rendered alike."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as ModelValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.security import APIKeyHeader, HttpBearer, django_auth
from ninja.throttling import AuthRateThrottle

from safehands import __version__
from safehands.accounts.services import api_token_user
from safehands.core.errors import AccessDenied, Conflict, DomainError, NotFound

logger = logging.getLogger(__name__)

NEEDS_CREDENTIALS = (
    "Sign in, or send an API token: `Authorization: Bearer sh_…` or `X-API-Key: sh_…`.")
CSRF_FAILED = (
    "The CSRF check failed: a browser session must send the `X-CSRFToken` header with the "
    "value of the CSRF cookie (`csrftoken`, over HTTPS `__Host-csrftoken`). Integrations "
    "should use an API token instead.")
TOO_MANY_REQUESTS = "Too many requests: at most {rate}. Try again in {wait} seconds."
NOT_VALID = "The request is not valid: {count} problem(s), listed in extra.errors."
NO_SUCH_ENDPOINT = "There is no such endpoint. The endpoints are listed at /api/v1/docs."
SERVER_ERROR = "Something went wrong on the server. It has been logged; nothing was changed."
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


class ErrorOut(Schema):
    """Every error the API answers, whatever its status."""

    message: str
    extra: dict[str, Any]


ERROR_STATUSES = {
    "400": "The request is not valid (a field, a parameter or a rule of the programme).",
    "401": "No valid session or API token.",
    "403": "The caller may not do this here.",
    "404": "No such org unit, measure or record.",
    "409": "The thing is closed, locked, or was changed by someone else meanwhile.",
    "413": "The request body is too large.",
    "429": "Too many requests; see the Retry-After header.",
}


class SafehandsAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        """Declare the shared error answers on every operation, so clients and schema
        checkers know them."""
        schema = super().get_openapi_schema(*args, **kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["ErrorOut"] = \
            ErrorOut.model_json_schema()
        reference = {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                for status, description in ERROR_STATUSES.items():
                    operation["responses"].setdefault(status, {
                        "description": description, **reference})
        return schema


API_RATE = settings.SAFEHANDS_API_RATE

api = SafehandsAPI(
    title="Safehands API",
    version=__version__,
    description=(
        "Read and write programme data. Authenticate with a session (browser) or an API "
        "token (`Authorization: Bearer sh_…`). Every endpoint answers only for org units "
        "the caller has a role on."
    ),
    urls_namespace="api",
    auth=[TokenAuth(), TokenHeaderAuth(), django_auth],
    throttle=[AuthRateThrottle(API_RATE)],
)


def _answer(request: HttpRequest, status: int, message: str, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"message": message, "extra": extra}, status=status)


def _error(request: HttpRequest, error: DomainError, status: int) -> HttpResponse:
    return api.create_response(request, {"message": error.message, "extra": error.extra},
                               status=status)


@api.exception_handler(AccessDenied)
def _access_denied(request: HttpRequest, error: AccessDenied) -> HttpResponse:
    return _error(request, error, 403)


@api.exception_handler(NotFound)
def _not_found(request: HttpRequest, error: NotFound) -> HttpResponse:
    return _error(request, error, 404)


@api.exception_handler(Conflict)
def _conflict(request: HttpRequest, error: Conflict) -> HttpResponse:
    return _error(request, error, 409)


@api.exception_handler(ModelValidationError)
def _model_not_valid(request: HttpRequest, error: ModelValidationError) -> HttpResponse:
    """A row that its model refuses (a text too long, say): 400 naming each field."""
    fields = getattr(error, "message_dict", {"__all__": error.messages})
    problems = [{"loc": ["body", name], "message": " ".join(messages), "type": "model"}
                for name, messages in fields.items()]
    return _answer(request, 400, NOT_VALID.format(count=len(problems)), errors=problems)


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, error: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return api.create_response(request, {
        "message": REQUEST_TOO_BIG.format(limit=limit // (1024 * 1024) or 1),
        "extra": {"limit_bytes": limit}}, status=413)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    if isinstance(error, AuthenticationError):
        return _answer(request, 401, NEEDS_CREDENTIALS)
    if isinstance(error, Throttled):
        return _answer(request, 429, TOO_MANY_REQUESTS.format(
            rate=API_RATE.replace("/", " per "), wait=int(error.wait or 1) + 1),
            retry_after_seconds=int(error.wait or 1) + 1)
    if error.status_code == 403 and "CSRF" in error.message:
        return _answer(request, 403, CSRF_FAILED, reason="csrf")
    return _answer(request, error.status_code, error.message)


@api.exception_handler(ValidationError)
def _not_valid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    problems = [{"loc": [str(part) for part in problem.get("loc", ())],
                 "message": problem.get("msg", ""), "type": problem.get("type", "")}
                for problem in error.errors]
    return _answer(request, 400, NOT_VALID.format(count=len(problems)), errors=problems)


@api.exception_handler(Http404)
def _no_such_route(request: HttpRequest, error: Http404) -> HttpResponse:
    return _answer(request, 404, NO_SUCH_ENDPOINT)


def no_such_endpoint(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Below /api/, an unknown path answers JSON like every other API error, not a page."""
    return _answer(request, 404, NO_SUCH_ENDPOINT, path=request.path)


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, error: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path, exc_info=error)
    return _answer(request, 500, SERVER_ERROR)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, error: DomainError) -> HttpResponse:
    return _error(request, error, 400)


api.add_router("/orgs/", "safehands.orgs.api.router")
api.add_router("/orgs/", "safehands.orgs.read_log_api.router")
api.add_router("/catalogue/", "safehands.catalogue.api.router")
api.add_router("/me", "safehands.orgs.api.me_router")
api.add_router("/measurement/", "safehands.measurement.api.router")
api.add_router("/harm/", "safehands.harm.api.router")
api.add_router("/culture/", "safehands.culture.api.router")
api.add_router("/assessment/", "safehands.assessment.api.router")
api.add_router("/events/", "safehands.events.api.router")
