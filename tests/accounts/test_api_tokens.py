"""API tokens: shown once, stored hashed, revocable, and acting with their user's roles."""

from __future__ import annotations

from safehands.accounts.models import ApiToken
from safehands.accounts.services import api_token_create, api_token_revoke, api_token_user
from safehands.audit.models import AuditEvent


def test_token_is_stored_only_as_a_hash(tree, make_user):
    user = make_user("etl")
    key = api_token_create(user=user, name="export", actor=None, source="cli")
    token = ApiToken.objects.get()
    assert key not in (token.key_hash, token.prefix) and token.prefix == key[:10]
    assert api_token_user(key) == user
    assert AuditEvent.objects.filter(action="accounts.api_token.create").count() == 1


def test_revoked_or_unknown_tokens_authenticate_nobody(tree, make_user):
    user = make_user("etl")
    key = api_token_create(user=user, name="export", actor=None, source="cli")
    assert api_token_user(key + "x") is None
    assert api_token_user("not-a-token") is None
    api_token_revoke(token=ApiToken.objects.get(), actor=None, source="cli")
    assert api_token_user(key) is None


def test_token_of_an_inactive_user_is_refused(tree, make_user):
    user = make_user("etl", is_active=False)
    key = api_token_create(user=user, name="export", actor=None, source="cli")
    assert api_token_user(key) is None


def test_api_answers_with_the_token_users_roles(tree, make_user, client):
    user = make_user("etl", ("T2", "viewer"))
    key = api_token_create(user=user, name="export", actor=None, source="cli")
    response = client.get("/api/v1/orgs/", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert [u["code"] for u in response.json()] == ["T2", "H2", "W3"]
    response = client.get("/api/v1/orgs/W1", headers={"X-API-Key": key})
    assert response.status_code == 403
    assert response.json() == {"message": "You do not have access to this org unit.",
                               "extra": {"permission": "org.view", "org_unit": "W1"}}
    assert client.get("/api/v1/orgs/", headers={"Authorization": "Bearer sh_wrong"}
                      ).status_code == 401


def test_token_use_is_recorded_at_most_every_five_minutes(tree, make_user,
                                                          django_assert_num_queries):
    from datetime import timedelta

    from django.utils import timezone

    user = make_user("etl")
    key = api_token_create(user=user, name="export", actor=None, source="cli")
    api_token_user(key)
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    with django_assert_num_queries(1):  # a read, no write
        assert api_token_user(key) == user
    assert ApiToken.objects.get().last_used_at == first
    ApiToken.objects.update(last_used_at=timezone.now() - timedelta(minutes=6))
    api_token_user(key)
    assert ApiToken.objects.get().last_used_at > first
