"""Reading the sign-in settings from the environment; imported by settings, so no models."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

BAD_SETTING = "{name} must be a whole number greater than 0 ({unit}), not {value!r}."


def positive_whole_number(name: str, value: str, unit: str) -> int:
    """The setting as a number, or ImproperlyConfigured naming it and what it should be."""
    try:
        number = int(value.strip())
    except ValueError:
        number = 0
    if number < 1:
        raise ImproperlyConfigured(BAD_SETTING.format(name=name, unit=unit, value=value))
    return number


# Single sign-on (OpenID Connect): all of these, or none. The endpoints are given, not
# discovered, so the server never has to reach the identity provider to start.
OIDC_REQUIRED = {
    "SAFEHANDS_OIDC_ISSUER": "the provider's issuer, exactly as in its tokens' iss claim",
    "SAFEHANDS_OIDC_CLIENT_ID": "this application's client id at the provider",
    "SAFEHANDS_OIDC_CLIENT_SECRET": "this application's client secret",
    "SAFEHANDS_OIDC_AUTHORIZATION_URL": "the provider's authorization endpoint",
    "SAFEHANDS_OIDC_TOKEN_URL": "the provider's token endpoint",
    "SAFEHANDS_OIDC_USERINFO_URL": "the provider's userinfo endpoint",
    "SAFEHANDS_OIDC_JWKS_URL": "the provider's signing keys (jwks_uri)",
}
OIDC_PARTIAL = ("Single sign-on is half configured: {missing} must be set as well ({given} "
                "are). Set all of {all}, or none of them for local accounts only.")
OIDC_NOT_HTTPS = "{name} must be an https:// address (http:// only for localhost), not {value!r}."
OIDC_SIGN_ALGOS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256")
OIDC_BAD_ALGO = "SAFEHANDS_OIDC_SIGN_ALGO must be one of {algos}, not {value!r}."


def _https(name: str, value: str) -> str:
    local = value.startswith(("http://localhost", "http://127.0.0.1"))
    if not (value.startswith("https://") or local) or " " in value:
        raise ImproperlyConfigured(OIDC_NOT_HTTPS.format(name=name, value=value))
    return value


def oidc_settings(environ) -> dict | None:
    """mozilla-django-oidc's settings from the environment; None when single sign-on is off.

    ImproperlyConfigured, naming what is missing or wrong, when only some are set."""
    given = {name: environ.get(name, "").strip() for name in OIDC_REQUIRED}
    present = [name for name, value in given.items() if value]
    if not present:
        return None
    missing = [name for name, value in given.items() if not value]
    if missing:
        raise ImproperlyConfigured(OIDC_PARTIAL.format(
            missing=", ".join(missing), given=", ".join(present),
            all=", ".join(OIDC_REQUIRED)))
    for name in given:
        if name.endswith("_URL") or name == "SAFEHANDS_OIDC_ISSUER":
            _https(name, given[name])
    algo = environ.get("SAFEHANDS_OIDC_SIGN_ALGO", "RS256").strip()
    if algo not in OIDC_SIGN_ALGOS:
        raise ImproperlyConfigured(OIDC_BAD_ALGO.format(algos=", ".join(OIDC_SIGN_ALGOS),
                                                        value=algo))
    return {
        "SAFEHANDS_OIDC_ISSUER": given["SAFEHANDS_OIDC_ISSUER"],
        "SAFEHANDS_OIDC_USERNAME_CLAIM": environ.get(
            "SAFEHANDS_OIDC_USERNAME_CLAIM", "preferred_username").strip() or
        "preferred_username",
        "OIDC_RP_CLIENT_ID": given["SAFEHANDS_OIDC_CLIENT_ID"],
        "OIDC_RP_CLIENT_SECRET": given["SAFEHANDS_OIDC_CLIENT_SECRET"],
        "OIDC_OP_AUTHORIZATION_ENDPOINT": given["SAFEHANDS_OIDC_AUTHORIZATION_URL"],
        "OIDC_OP_TOKEN_ENDPOINT": given["SAFEHANDS_OIDC_TOKEN_URL"],
        "OIDC_OP_USER_ENDPOINT": given["SAFEHANDS_OIDC_USERINFO_URL"],
        "OIDC_OP_JWKS_ENDPOINT": given["SAFEHANDS_OIDC_JWKS_URL"],
        "OIDC_RP_SIGN_ALGO": algo,
        "OIDC_RP_SCOPES": "openid profile email",
        "OIDC_USE_PKCE": True,
        "OIDC_CREATE_USER": False,
        "OIDC_TIMEOUT": 10,
    }
