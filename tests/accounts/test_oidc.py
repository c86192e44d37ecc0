"""Single sign-on with OpenID Connect beside local accounts. The identity provider is the one
thing faked: its token, userinfo and key endpoints answer from this file, with ID tokens
signed by a key made here."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured
from django_otp.plugins.otp_totp.models import TOTPDevice

from safehands.accounts.config import OIDC_REQUIRED, oidc_settings
from safehands.accounts.models import OidcIdentity

ISSUER = "https://idp.example.org/realms/hospital"
CLIENT = "safehands"
ENV = {
    "SAFEHANDS_OIDC_ISSUER": ISSUER,
    "SAFEHANDS_OIDC_CLIENT_ID": CLIENT,
    "SAFEHANDS_OIDC_CLIENT_SECRET": "s3cret",
    "SAFEHANDS_OIDC_AUTHORIZATION_URL": f"{ISSUER}/auth",
    "SAFEHANDS_OIDC_TOKEN_URL": f"{ISSUER}/token",
    "SAFEHANDS_OIDC_USERINFO_URL": f"{ISSUER}/userinfo",
    "SAFEHANDS_OIDC_JWKS_URL": f"{ISSUER}/certs",
}
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Answer:
    def __init__(self, body: dict) -> None:
        self.body, self.status_code, self.headers, self.text = body, 200, {}, json.dumps(body)
        self.url = ""

    def json(self) -> dict:
        return self.body

    def raise_for_status(self) -> None:
        pass


class Provider:
    """The identity provider: what its endpoints answer for the next sign-in."""

    def __init__(self) -> None:
        self.claims: dict = {}
        self.userinfo: dict = {}
        self.nonce = ""
        self.token_requests: list[dict] = []

    def person(self, sub: str, username: str, **token_claims) -> None:
        self.claims = {"iss": ISSUER, "aud": CLIENT, "sub": sub, **token_claims}
        self.userinfo = {"sub": sub, "preferred_username": username}

    def post(self, url, data=None, **kwargs):
        assert url == ENV["SAFEHANDS_OIDC_TOKEN_URL"]
        self.token_requests.append(data)
        now = int(time.time())
        claims = {"iat": now, "exp": now + 300, "nonce": self.nonce, **self.claims}
        token = jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": "k1"})
        return Answer({"id_token": token, "access_token": "at", "token_type": "Bearer"})

    def get(self, url, **kwargs):
        if url == ENV["SAFEHANDS_OIDC_JWKS_URL"]:
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
            return Answer({"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]})
        assert url == ENV["SAFEHANDS_OIDC_USERINFO_URL"]
        return Answer(self.userinfo)


@pytest.fixture
def provider(settings, monkeypatch):
    from mozilla_django_oidc import auth

    for name, value in oidc_settings(ENV).items():
        setattr(settings, name, value)
    settings.SAFEHANDS_OIDC = True
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS,
                                        "safehands.accounts.oidc.SafehandsOIDCBackend"]
    fake = Provider()
    monkeypatch.setattr(auth.requests, "post", fake.post)
    monkeypatch.setattr(auth.requests, "get", fake.get)
    return fake


def sso(client, provider, next_path: str = "/"):
    """Start at Safehands, 'sign in' at the provider, come back with its code."""
    start = client.get(f"/oidc/authenticate/?next={next_path}")
    assert start.status_code == 302
    query = parse_qs(urlparse(start["Location"]).query)
    assert start["Location"].startswith(ENV["SAFEHANDS_OIDC_AUTHORIZATION_URL"])
    assert query["code_challenge_method"] == ["S256"] and query["client_id"] == [CLIENT]
    provider.nonce = query["nonce"][0]
    return client.get(f"/oidc/callback/?code=c0de&state={query['state'][0]}")


@pytest.fixture
def kari(tree, make_user):
    return make_user("kari", ("W1", "reporter"))


def test_without_settings_single_sign_on_is_off_and_its_pages_are_404(client, db):
    assert oidc_settings({}) is None
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404
    assert 'id="sso"' not in client.get("/login/").content.decode()


@pytest.mark.parametrize("left_out", sorted(OIDC_REQUIRED))
def test_a_partial_configuration_refuses_to_start_naming_what_is_missing(left_out):
    environment = {k: v for k, v in ENV.items() if k != left_out}
    with pytest.raises(ImproperlyConfigured) as caught:
        oidc_settings(environment)
    message = str(caught.value)
    assert message.startswith(f"Single sign-on is half configured: {left_out} must be set")


def test_a_plain_http_provider_is_refused():
    with pytest.raises(ImproperlyConfigured) as caught:
        oidc_settings({**ENV, "SAFEHANDS_OIDC_TOKEN_URL": "http://idp.example.org/token"})
    assert "SAFEHANDS_OIDC_TOKEN_URL must be an https:// address" in str(caught.value)


def test_an_unknown_signing_algorithm_is_refused():
    with pytest.raises(ImproperlyConfigured) as caught:
        oidc_settings({**ENV, "SAFEHANDS_OIDC_SIGN_ALGO": "HS256"})
    assert "SAFEHANDS_OIDC_SIGN_ALGO must be one of RS256" in str(caught.value)


def test_the_server_refuses_to_start_with_half_a_configuration():
    import os
    import subprocess
    import sys

    environment = {**os.environ, "SAFEHANDS_OIDC_ISSUER": ISSUER,
                   "DJANGO_SETTINGS_MODULE": "safehands.settings"}
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"],
                            env=environment, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "Single sign-on is half configured: SAFEHANDS_OIDC_CLIENT_ID" in result.stderr


def test_the_first_sign_on_links_the_account_of_that_user_name(client, kari, provider):
    provider.person("abc-123", "kari")
    response = sso(client, provider, "/orgs/W1/")
    assert response.status_code == 302 and response["Location"] == "/orgs/W1/"
    assert client.get("/orgs/W1/").status_code == 200
    assert OidcIdentity.objects.get(issuer=ISSUER, subject="abc-123").user == kari
    assert provider.token_requests[0]["code_verifier"]  # PKCE


def test_the_sign_in_page_offers_single_sign_on_and_local_sign_in_still_works(
        client, kari, provider):
    page = client.get("/login/?next=/orgs/W1/").content.decode()
    assert 'href="/oidc/authenticate/?next=/orgs/W1/"' in page
    response = client.post("/login/", {"username": "kari", "password": "correct horse battery"})
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_after_linking_only_the_subject_counts(client, kari, make_user, provider):
    provider.person("abc-123", "kari")
    sso(client, provider)
    client.post("/logout/")
    # Someone renamed to "kari" at the provider, with another subject, is not let in.
    provider.person("zzz-999", "kari")
    response = sso(client, provider)
    assert response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session
    # Kari renamed at the provider still reaches her own account.
    provider.person("abc-123", "kari.nordmann")
    sso(client, provider)
    assert client.session["_auth_user_id"] == str(kari.pk)


def test_a_provider_account_without_a_safehands_account_is_refused(client, kari, provider,
                                                                    django_user_model):
    provider.person("new-1", "stranger")
    response = sso(client, provider)
    assert response["Location"] == "/login/"
    page = client.get("/login/").content.decode()
    assert "Single sign-on did not sign you in" in page
    assert not django_user_model.objects.filter(username="stranger").exists()


@pytest.mark.parametrize("claims", [{"iss": "https://other.example.org"},
                                    {"aud": "another-app"},
                                    {"exp": int(time.time()) - 60}])
def test_an_id_token_from_elsewhere_for_another_app_or_expired_is_refused(
        client, kari, provider, claims):
    provider.person("abc-123", "kari")
    provider.claims.update(claims)
    response = sso(client, provider)
    assert response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session
    assert not OidcIdentity.objects.exists()


def test_userinfo_about_another_person_is_refused(client, kari, provider):
    provider.person("abc-123", "kari")
    provider.userinfo["sub"] = "someone-else"
    response = sso(client, provider)
    assert response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session


def test_a_provider_that_does_not_answer_sends_the_user_back_with_a_message(
        client, kari, provider, monkeypatch):
    import requests
    from mozilla_django_oidc import auth

    def down(*args, **kwargs):
        raise requests.ConnectionError("connection refused")

    provider.person("abc-123", "kari")
    monkeypatch.setattr(auth.requests, "post", down)
    response = sso(client, provider)
    assert response["Location"] == "/login/"
    assert "Single sign-on did not sign you in" in client.get("/login/").content.decode()


def test_a_user_who_needs_a_second_factor_still_enters_a_code(client, tree, make_user,
                                                              provider):
    coord = make_user("coord", ("H1", "coordinator"))
    TOTPDevice.objects.create(user=coord, name="phone")
    provider.person("c-1", "coord")
    sso(client, provider, "/orgs/H1/")
    response = client.get("/orgs/H1/")
    assert response["Location"].startswith("/account/two-factor/verify/")
