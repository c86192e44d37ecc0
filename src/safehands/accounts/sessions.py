"""Session limits: a signed-in session ends after a spell without activity (idle time-out)
and at the latest a fixed time after sign-in (absolute life), whatever happens meanwhile.

OWASP ASVS 5.0 V7.3.1 (inactivity time-out) and V7.3.2 (absolute maximum lifetime). The
times are kept in the session itself, as Unix seconds: `_STARTED` is set at the first
signed-in request, `_SEEN` on each request, written at most once a minute so that reading
pages does not write the session store every time. API token requests carry no session and
are not touched.

A user can list their own signed-in sessions and end all but the current one (ASVS V7.5.2);
the browser each one signed in from is kept in the session beside the times.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import ngettext

from safehands.audit.services import audit_record

_STARTED = "safehands_session_started"
_SEEN = "safehands_session_seen"
_AGENT = "safehands_session_agent"
_SEEN_WRITTEN_EVERY = 60  # seconds
AGENT_LENGTH = 200

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
        if request.user.is_authenticated and _AGENT not in request.session:
            request.session[_AGENT] = request.headers.get("User-Agent", "")[:AGENT_LENGTH]
        return response


@dataclass(frozen=True)
class SignedInSession:
    key: str
    started: datetime
    seen: datetime
    browser: str
    current: bool


def _stamp(value: Any) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if isinstance(value, int | float) else None


def _user_session_rows(user: Any) -> list[tuple[Session, dict]]:
    """The unexpired sessions of `user`. Django's session table is not keyed by user, so
    each live session is decoded: a full read, fine for the thousands of sessions of a trust
    and done only when a user opens their own account page."""
    rows = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = session.get_decoded()
        if data.get("_auth_user_id") == str(user.pk):
            rows.append((session, data))
    return rows


def user_sessions(*, user: Any, current_key: str | None) -> list[SignedInSession]:
    """The user's sessions that have not timed out, the current one first, then the most
    recently active."""
    now = _now()
    idle = settings.SAFEHANDS_SESSION_IDLE_MINUTES * 60
    found = []
    for session, data in _user_session_rows(user):
        started, seen = _stamp(data.get(_STARTED)), _stamp(data.get(_SEEN))
        if started is None or seen is None or now - data[_SEEN] > idle:
            continue
        found.append(SignedInSession(key=session.session_key, started=started, seen=seen,
                                     browser=data.get(_AGENT, ""),
                                     current=session.session_key == current_key))
    return sorted(found, key=lambda s: (not s.current, -s.seen.timestamp()))


@transaction.atomic
def other_sessions_end(*, user: Any, current_key: str | None) -> int:
    """Sign the user out everywhere but here; the count goes to the audit trail."""
    keys = [session.session_key for session, _data in _user_session_rows(user)
            if session.session_key != current_key]
    Session.objects.filter(session_key__in=keys).delete()
    audit_record(actor=user, action="accounts.sessions.end_others", target=user,
                 after={"ended": len(keys)}, source="web")
    return len(keys)
