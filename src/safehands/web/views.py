"""Pages shared by every app: errors, and the chart library."""

from __future__ import annotations

from functools import lru_cache

import vl_convert
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET


def denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = getattr(exception, "message", "") or _("You do not have access to this page.")
    return render(request, "web/denied.html", {"message": message}, status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = getattr(exception, "message", "") or _("There is no such page.")
    return render(request, "web/not_found.html", {"message": message}, status=404)


@lru_cache(maxsize=1)
def _bundle() -> bytes:
    return vl_convert.javascript_bundle().encode("utf-8")


@require_GET
def vega_bundle(request: HttpRequest) -> HttpResponse:
    """Vega, Vega-Lite and Vega-Embed from the installed package: no CDN, no internet."""
    response = HttpResponse(_bundle(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and bookmarks ask for /favicon.ico whatever the page links to."""
    return HttpResponsePermanentRedirect(static("web/favicon.svg"))
