"""Session limits: a signed-in session ends after a spell without activity (idle time-out)
and at the latest a fixed time after sign-in (absolute life), whatever happens meanwhile.

OWASP ASVS 5.0 V7.3.1 (inactivity time-out) and V7.3.2 (absolute maximum lifetime). The
times are kept in the session itself, as Unix seconds: `_STARTED` is set at the first
signed-in request, `_SEEN` on each request, written at most once a minute so that reading
pages does not write the session store every time. API token requests carry no session and
are not touched.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.translation import ngettext

_STARTED = "safehands_session_started"
_SEEN = "safehands_session_seen"
_SEEN_WRITTEN_EVERY = 60  # seconds

def _now() -> float:
    return time.time()


def idle_message(minutes: int) -> str:
    return ngettext("You were signed out after %(n)d minute without activity.",
                    "You were signed out after %(n)d minutes without activity.",
                    minutes) % {"n": minutes}


def expired_message(hours: int) -> str:
    return ngettext(
        "You were signed out because a session lasts at most %(n)d hour. Please sign in again.",
        "You were signed out because a session lasts at most %(n)d hours. Please sign in again.",
        hours) % {"n": hours}


def session_end_reason(session, now: float) -> str | None:
    """Why this signed-in session must end now, or None. Stamps a session that has no times."""
    idle = settings.SAFEHANDS_SESSION_IDLE_MINUTES
    life = settings.SAFEHANDS_SESSION_MAX_HOURS
    started = session.get(_STARTED)
    seen = session.get(_SEEN)
    if started is None or seen is None:
        session[_STARTED] = session[_SEEN] = now
        return None
    if now - started > life * 3600:
        return expired_message(life)
    if now - seen > idle * 60:
        return idle_message(idle)
    if now - seen >= _SEEN_WRITTEN_EVERY:
        session[_SEEN] = now
    return None


class SessionLimitMiddleware:
    """Ends a session that was idle too long or has lived too long; pages then go to the
    sign-in page with a message saying why, API calls go on without the session (401)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            reason = session_end_reason(request.session, _now())
            if reason is not None:
                logout(request)
                if not request.path.startswith("/api/"):
                    messages.warning(request, reason)
                    return redirect_to_login(request.get_full_path())
        response = self.get_response(request)
        # The request that signs in (the login form, or the second-factor step) starts the
        # clock with its answer, so a session is never older than its stamps.
        if request.user.is_authenticated and _STARTED not in request.session:
            request.session[_STARTED] = request.session[_SEEN] = _now()
        return response
