"""Django settings.

Everything a deployment changes comes from the environment, so one package serves a laptop
demo (SQLite in the working directory) and a national installation (PostgreSQL behind
several app processes) without editing code.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from safehands.accounts.config import oidc_settings, positive_whole_number
from safehands.core.logship import logging_config
from safehands.core.suppression import parse_threshold

PACKAGE_DIR = Path(__file__).resolve().parent
_RATE = re.compile(r"[1-9][0-9]*/[smhd]")


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _env_bool("SAFEHANDS_DEBUG", False)
SECRET_KEY = os.environ.get("SAFEHANDS_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and _env_bool("SAFEHANDS_PRODUCTION", False):
        raise RuntimeError("SAFEHANDS_SECRET_KEY must be set when SAFEHANDS_PRODUCTION=1")
    # A fixed key is acceptable only for demos and tests on one machine.
    SECRET_KEY = "safehands-insecure-demo-key-do-not-use-in-production"

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("SAFEHANDS_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "ninja",  # serves Swagger UI for /api/v1/docs from the package, not from a CDN
    "safehands.core",
    "safehands.audit",
    "safehands.accounts",
    "safehands.orgs",
    "safehands.catalogue",
    "safehands.measurement",
    "safehands.harm",
    "safehands.culture",
    "safehands.assessment",
    "safehands.events",
    "safehands.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "safehands.web.middleware.IsolationHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "safehands.accounts.sessions.SessionLimitMiddleware",
    "safehands.web.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "safehands.web.middleware.PublicRateLimitMiddleware",
    "safehands.web.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "safehands.urls"
WSGI_APPLICATION = "safehands.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "safehands.web.context.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{Path.cwd() / 'safehands.sqlite3'}"),
        conn_max_age=int(os.environ.get("SAFEHANDS_DB_CONN_MAX_AGE", "60")),
    )
}
# The embedded database serves several users at once: WAL lets readers go on while one
# writes; a writer waits up to 20 s for another instead of failing at once; and every
# transaction takes the write lock when it begins (IMMEDIATE), because a transaction that
# reads first and writes later cannot wait its turn and fails with "database is locked".
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    })
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# OWASP ASVS 5.0 V6.2: length (15 to 128 characters) rather than composition rules, and no
# password from the common or breached lists; see safehands.accounts.passwords.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "safehands.accounts.passwords.PasswordLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "safehands.accounts.passwords.BreachedPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Single sign-on (OpenID Connect, safehands.accounts.oidc) beside local accounts: on when
# every SAFEHANDS_OIDC_* endpoint and credential is set; half a configuration stops the start.
_OIDC = oidc_settings(os.environ)
SAFEHANDS_OIDC = _OIDC is not None
if _OIDC is not None:
    globals().update(_OIDC)
    AUTHENTICATION_BACKENDS.append("safehands.accounts.oidc.SafehandsOIDCBackend")

# Two-factor sign-in (safehands.accounts.twofactor): authenticator apps show "Safehands";
# wrong codes are counted by Safehands' own rule (five, then 15 minutes' wait), so
# django-otp's doubling delay is off.
OTP_TOTP_ISSUER = "Safehands"
OTP_TOTP_THROTTLE_FACTOR = 0

# Login throttling: five failures for one user name from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("SAFEHANDS_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_VERBOSE = False

# Sessions and cookies: secure by default; plain HTTP only for the local demo.
_HTTPS = _env_bool("SAFEHANDS_HTTPS", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A session ends after this many minutes without a request, and this many hours after sign-in
# at the latest (safehands.accounts.sessions); both checked at start-up.
SAFEHANDS_SESSION_IDLE_MINUTES = positive_whole_number(
    "SAFEHANDS_SESSION_IDLE_MINUTES", os.environ.get("SAFEHANDS_SESSION_IDLE_MINUTES", "30"),
    "minutes")
SAFEHANDS_SESSION_MAX_HOURS = positive_whole_number(
    "SAFEHANDS_SESSION_MAX_HOURS", os.environ.get("SAFEHANDS_SESSION_MAX_HOURS", "8"), "hours")
SESSION_COOKIE_AGE = SAFEHANDS_SESSION_MAX_HOURS * 60 * 60
# A patient-safety report's secret follow-up link works this many days; attachments to an
# investigation are at most this many megabytes.
SAFEHANDS_EVENT_FOLLOWUP_DAYS = positive_whole_number(
    "SAFEHANDS_EVENT_FOLLOWUP_DAYS", os.environ.get("SAFEHANDS_EVENT_FOLLOWUP_DAYS", "365"),
    "days")
SAFEHANDS_EVENT_ATTACHMENT_MAX_BYTES = positive_whole_number(
    "SAFEHANDS_EVENT_ATTACHMENT_MAX_MB", os.environ.get("SAFEHANDS_EVENT_ATTACHMENT_MAX_MB",
                                                        "10"), "megabytes") * 1024 * 1024
# Roles granted on a unit are due for review this many days after the last review (Normen).
SAFEHANDS_ROLE_REVIEW_DAYS = positive_whole_number(
    "SAFEHANDS_ROLE_REVIEW_DAYS", os.environ.get("SAFEHANDS_ROLE_REVIEW_DAYS", "180"), "days")
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SECURE = _HTTPS
CSRF_COOKIE_SECURE = _HTTPS
# Over HTTPS the cookies carry the __Host- prefix: browsers then accept them only when sent
# Secure, for the whole site and from this host alone, so a neighbouring sub-domain cannot
# plant or overwrite them (ASVS V3.3.1).
if _HTTPS:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_SSL_REDIRECT = _HTTPS and _env_bool("SAFEHANDS_SSL_REDIRECT", True)
# Behind a proxy that ends TLS, the request reaches Django as plain HTTP and would be
# redirected again forever. Only when the operator says a proxy sets X-Forwarded-Proto (and
# strips it from clients) is that header believed; otherwise anyone could claim HTTPS.
if _env_bool("SAFEHANDS_TRUSTED_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000 if _HTTPS else 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Every script and style is a file served by Safehands itself: no inline script or style, no
# eval, no other origin. An injected <script> or onclick= in user text cannot run.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("SAFEHANDS_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

# Uploads: a file past this size is dropped as it arrives (never held in memory or on disk)
# and the page says so. API bodies have their own limit below.
try:
    SAFEHANDS_UPLOAD_MAX_BYTES = int(float(os.environ.get("SAFEHANDS_UPLOAD_MAX_MB", "20"))
                                     * 1024 * 1024)
except ValueError:
    raise ImproperlyConfigured("SAFEHANDS_UPLOAD_MAX_MB must be a number of megabytes") from None
if SAFEHANDS_UPLOAD_MAX_BYTES <= 0:
    raise ImproperlyConfigured("SAFEHANDS_UPLOAD_MAX_MB must be more than 0")
FILE_UPLOAD_HANDLERS = [
    "safehands.core.uploads.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# API rate limit per user or token, per app process (Django's local cache): a runaway script
# is slowed down before it slows everyone else. "number/s|m|h|d".
SAFEHANDS_API_RATE = os.environ.get("SAFEHANDS_API_RATE", "600/m")
if not _RATE.fullmatch(SAFEHANDS_API_RATE):
    raise ImproperlyConfigured(
        f"SAFEHANDS_API_RATE must look like 600/m (a number, then /s, /m, /h or /d), "
        f"not {SAFEHANDS_API_RATE!r}")

# Requests per client address to the pages anyone can open (survey links, sign-in), per app
# process. A hospital's staff often share one outward address: keep it well above a burst of
# colleagues opening the same survey invitation.
SAFEHANDS_PUBLIC_RATE = os.environ.get("SAFEHANDS_PUBLIC_RATE", "120/m")
if not _RATE.fullmatch(SAFEHANDS_PUBLIC_RATE):
    raise ImproperlyConfigured(
        f"SAFEHANDS_PUBLIC_RATE must look like 120/m (a number, then /s, /m, /h or /d), "
        f"not {SAFEHANDS_PUBLIC_RATE!r}")

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nb", _("Norwegian Bokmål"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("SAFEHANDS_TIME_ZONE", "Europe/Oslo")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Static files are served from the package by WhiteNoise; `collectstatic` is needed only
# where a deployment sets a root for a front web server.
STATIC_ROOT = os.environ.get("SAFEHANDS_STATIC_ROOT") or None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Mail (survey invitations and reminders). Without a configured server, mail is written to
# the console so nothing is silently lost on a demo machine.
EMAIL_BACKEND = os.environ.get(
    "SAFEHANDS_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("SAFEHANDS_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("SAFEHANDS_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("SAFEHANDS_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("SAFEHANDS_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("SAFEHANDS_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("SAFEHANDS_EMAIL_FROM", "safehands@localhost")

# Small-cell protection: counts of patients or events below this are hidden from people who
# may not see the records (roll-up breakdowns, harm rates, raw exports). Checked at start-up.
try:
    SAFEHANDS_SMALL_CELL_THRESHOLD = parse_threshold(
        os.environ.get("SAFEHANDS_SMALL_CELL_THRESHOLD"))
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from None

# Read log of patient-level and free-text data: rows are kept this many days, then
# `safehands audit purge-reads` removes them (ten years by default).
try:
    SAFEHANDS_READ_LOG_DAYS = int(os.environ.get("SAFEHANDS_READ_LOG_DAYS", "3650"))
except ValueError:
    raise ImproperlyConfigured(
        "SAFEHANDS_READ_LOG_DAYS must be a whole number of days") from None
if SAFEHANDS_READ_LOG_DAYS < 1:
    raise ImproperlyConfigured("SAFEHANDS_READ_LOG_DAYS must be 1 or more")

# Copies of the audit trail and the read log to syslog or a JSON-lines file (Normen: logs
# reviewed outside the system); a bad target stops the start with a message.
try:
    LOGGING = logging_config(os.environ.get("SAFEHANDS_AUDIT_SHIP", ""),
                             level=os.environ.get("SAFEHANDS_LOG_LEVEL", "WARNING"))
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from None
