"""The public survey pages slow down one address that sends too many requests, and only it."""

from __future__ import annotations

import pytest


@pytest.fixture
def join_page(open_round):
    return f"/culture/r/{open_round.link_token}/"


def test_guessing_join_codes_from_one_address_is_stopped_with_a_429(client, settings,
                                                                     join_page):
    settings.SAFEHANDS_PUBLIC_RATE = "5/m"
    answers = [client.post(join_page, {"code": f"GUESS{n}"}).status_code for n in range(7)]
    assert answers == [200] * 5 + [429] * 2
    refused = client.post(join_page, {"code": "GUESS8"})
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "Please wait" in refused.content.decode()


def test_the_limit_counts_per_address(client, settings, join_page):
    settings.SAFEHANDS_PUBLIC_RATE = "2/m"
    for _ in range(3):
        client.get(join_page, REMOTE_ADDR="10.0.0.1")
    assert client.get(join_page, REMOTE_ADDR="10.0.0.1").status_code == 429
    assert client.get(join_page, REMOTE_ADDR="10.0.0.2").status_code == 200


def test_a_forged_forwarded_header_does_not_give_a_fresh_count(client, settings, join_page):
    settings.SAFEHANDS_PUBLIC_RATE = "2/m"
    codes = [client.get(join_page, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
             for n in range(3)]
    assert codes == [200, 200, 429]


def test_behind_a_declared_proxy_the_address_the_proxy_saw_counts(client, settings,
                                                                   join_page):
    settings.SAFEHANDS_PUBLIC_RATE = "1/m"
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    first = client.get(join_page, HTTP_X_FORWARDED_FOR="198.51.100.7",
                       HTTP_X_FORWARDED_PROTO="https")
    other = client.get(join_page, HTTP_X_FORWARDED_FOR="198.51.100.8",
                       HTTP_X_FORWARDED_PROTO="https")
    again = client.get(join_page, HTTP_X_FORWARDED_FOR="198.51.100.7",
                       HTTP_X_FORWARDED_PROTO="https")
    assert (first.status_code, other.status_code, again.status_code) == (200, 200, 429)


def test_the_page_of_too_many_requests_is_in_norwegian_too(client, settings, join_page):
    settings.SAFEHANDS_PUBLIC_RATE = "1/m"
    client.get(join_page)
    refused = client.get(join_page, HTTP_ACCEPT_LANGUAGE="nb")
    assert refused.status_code == 429
    assert "For mange forespørsler" in refused.content.decode()
