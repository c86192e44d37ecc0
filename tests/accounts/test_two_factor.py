"""Two-factor sign-in: who must have it, enrolment, the second step, replay, lock-out and
recovery codes. Users sign in through the real form here (not force_login), so the
middleware that holds them at the second step is tested for real."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from safehands.accounts import twofactor
from safehands.accounts.models import RecoveryCode
from safehands.audit.models import AuditEvent
from safehands.web.middleware import second_factor_required

PASSWORD = "correct horse battery"
WRONG_CODE = "That code is not right, or it was used already."


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def sign_in(client: Client, username: str):
    return client.post("/login/", {"username": username, "password": PASSWORD})


@pytest.fixture
def gtt_team(tree):
    from safehands.harm.services import gtt_team_create

    return gtt_team_create(code="GTT-H1", population=tree["H1"], actor=None, source="system")


@pytest.fixture
def reviewer(gtt_team, make_user):
    from safehands.harm.services import gtt_member_add

    user = make_user("nurse.a", ("H1", "reporter"))
    gtt_member_add(team=gtt_team, user=user, role="primary_reviewer", actor=None,
                   source="system")
    return user


@pytest.fixture
def coordinator(tree, make_user):
    return make_user("coord", ("H1", "coordinator"))


def enrol(client: Client, user) -> tuple[TOTPDevice, list[str]]:
    """Through the pages: open the set-up page, confirm with the app's first code."""
    client.get("/account/two-factor/setup/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/account/two-factor/setup/", {"code": code_for(device)})
    assert response.status_code == 200
    return device, list(response.context["codes"])


@pytest.mark.parametrize(("grants", "fields", "required"), [
    ([("H1", "viewer")], {}, False),
    ([("W1", "reporter")], {}, False),
    ([("H1", "coordinator")], {}, True),
    ([("W1", "admin")], {}, True),
    ([], {"is_programme_admin": True}, True),
    ([], {"is_staff": True}, True),
    ([], {"is_superuser": True}, True),
])
def test_who_must_have_a_second_factor(tree, make_user, grants, fields, required):
    assert second_factor_required(make_user("someone", *grants, **fields)) is required


def test_a_gtt_team_member_must_have_one_even_as_a_reporter(reviewer):
    assert second_factor_required(reviewer)


def test_a_required_user_without_a_device_must_enrol_before_any_page(client, reviewer):
    response = sign_in(client, "nurse.a")
    assert response.status_code == 302
    for path in ("/", "/harm/teams/GTT-H1/", "/orgs/H1/", "/account/", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/account/two-factor/setup/?next="), path
    response = client.get("/api/v1/orgs/")
    assert response.status_code == 401
    assert response.json()["extra"] == {"reason": "second_factor"}
    # Signing out and changing the language still work.
    assert client.post("/i18n/setlang/", {"language": "nb", "next": "/"}).status_code == 302


def test_enrolment_shows_a_qr_code_and_the_secret_and_is_never_cached(client, reviewer):
    sign_in(client, "nurse.a")
    response = client.get("/account/two-factor/setup/?next=/harm/teams/GTT-H1/")
    page = response.content.decode()
    device = TOTPDevice.objects.get(user=reviewer, confirmed=False)
    assert "<svg" in page and 'role="img"' in page
    assert twofactor.totp_secret_text(device) in page
    assert "no-store" in response["Cache-Control"]
    # Reloading keeps the same secret, so an app that scanned it already still works.
    client.get("/account/two-factor/setup/")
    assert TOTPDevice.objects.filter(user=reviewer).count() == 1


def test_enrolment_with_a_wrong_code_is_refused_and_confirms_nothing(client, reviewer):
    sign_in(client, "nurse.a")
    client.get("/account/two-factor/setup/")
    response = client.post("/account/two-factor/setup/", {"code": "000000"})
    assert response.status_code == 400
    assert WRONG_CODE in response.content.decode()
    assert not TOTPDevice.objects.filter(user=reviewer, confirmed=True).exists()


def test_enrolment_gives_ten_single_use_recovery_codes_then_opens_the_pages(client, reviewer):
    sign_in(client, "nurse.a")
    _device, codes = enrol(client, reviewer)
    assert len(codes) == len(set(codes)) == 10
    assert all(len(c.replace("-", "")) == 24 for c in codes)
    assert client.get("/harm/teams/GTT-H1/").status_code == 200
    assert AuditEvent.objects.filter(action="accounts.two_factor.enrol",
                                     actor=reviewer).exists()


def test_recovery_codes_are_stored_only_as_hashes(client, reviewer):
    sign_in(client, "nurse.a")
    _device, codes = enrol(client, reviewer)
    stored = list(RecoveryCode.objects.values_list("code_hash", flat=True))
    assert len(stored) == 10
    for code in codes:
        assert all(code.replace("-", "") not in h and code not in h for h in stored)


def test_a_second_sign_in_asks_for_a_code_and_a_right_code_opens_the_page(client, reviewer):
    sign_in(client, "nurse.a")
    device, _codes = enrol(client, reviewer)
    other = Client()
    sign_in(other, "nurse.a")
    response = other.get("/harm/teams/GTT-H1/")
    assert response["Location"] == "/account/two-factor/verify/?next=%2Fharm%2Fteams%2FGTT-H1%2F"
    response = other.post("/account/two-factor/verify/",
                          {"code": code_for(device, steps_ahead=1), "next": "/harm/teams/GTT-H1/"})
    assert response.status_code == 302 and response["Location"] == "/harm/teams/GTT-H1/"
    assert other.get("/harm/teams/GTT-H1/").status_code == 200


def test_a_user_with_a_device_cannot_replace_it_with_only_the_password(client, reviewer):
    sign_in(client, "nurse.a")
    enrol(client, reviewer)
    thief = Client()
    sign_in(thief, "nurse.a")
    response = thief.get("/account/two-factor/setup/")
    assert response["Location"].startswith("/account/two-factor/verify/")
    assert TOTPDevice.objects.filter(user=reviewer).count() == 1


def test_a_replayed_code_is_refused_and_counted(client, reviewer):
    sign_in(client, "nurse.a")
    device, _codes = enrol(client, reviewer)  # the enrolment used the current step's code
    again = Client()
    sign_in(again, "nurse.a")
    response = again.post("/account/two-factor/verify/", {"code": code_for(device)})
    assert response.status_code == 400
    assert WRONG_CODE in response.content.decode()
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    assert again.get("/").status_code == 302


def test_five_wrong_codes_make_the_user_wait_fifteen_minutes(client, reviewer):
    sign_in(client, "nurse.a")
    device, _codes = enrol(client, reviewer)
    other = Client()
    sign_in(other, "nurse.a")
    for _ in range(twofactor.FAILURE_LIMIT):
        assert other.post("/account/two-factor/verify/", {"code": "123456"}).status_code == 400
    right = code_for(device, steps_ahead=1)
    response = other.post("/account/two-factor/verify/", {"code": right})
    assert response.status_code == 400
    assert "Too many wrong codes. Wait 15 minutes and try again." in response.content.decode()
    assert other.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="accounts.two_factor.lock").count() == 1
    # A quarter of an hour later the right code goes through and the count starts again.
    device.refresh_from_db()
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=device.throttling_failure_timestamp - timedelta(minutes=16))
    response = other.post("/account/two-factor/verify/", {"code": right})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_recovery_codes_count_toward_the_lock_out_too(client, reviewer):
    sign_in(client, "nurse.a")
    device, _codes = enrol(client, reviewer)
    other = Client()
    sign_in(other, "nurse.a")
    for _ in range(twofactor.FAILURE_LIMIT):
        other.post("/account/two-factor/verify/", {"code": "abcd-efgh-ijkl-mnop-qrst-uvwx"})
    response = other.post("/account/two-factor/verify/", {"code": code_for(device, 1)})
    assert "Too many wrong codes" in response.content.decode()


def test_a_recovery_code_signs_in_once(client, reviewer):
    sign_in(client, "nurse.a")
    _device, codes = enrol(client, reviewer)
    first = Client()
    sign_in(first, "nurse.a")
    response = first.post("/account/two-factor/verify/", {"code": codes[3].upper()},
                          follow=True)
    assert "You signed in with a recovery code; 9 are left." in response.content.decode()
    assert first.get("/harm/teams/GTT-H1/").status_code == 200
    second = Client()
    sign_in(second, "nurse.a")
    response = second.post("/account/two-factor/verify/", {"code": codes[3]})
    assert response.status_code == 400 and WRONG_CODE in response.content.decode()
    assert twofactor.recovery_codes_left(user=reviewer) == 9


def test_new_recovery_codes_replace_the_old_ones(client, reviewer):
    sign_in(client, "nurse.a")
    _device, old = enrol(client, reviewer)
    response = client.post("/account/two-factor/recovery-codes/", {"proof": PASSWORD})
    new = list(response.context["codes"])
    assert len(new) == 10 and not set(new) & set(old)
    later = Client()
    sign_in(later, "nurse.a")
    assert later.post("/account/two-factor/verify/", {"code": old[0]}).status_code == 400
    assert later.post("/account/two-factor/verify/", {"code": new[0]}).status_code == 302


def _replace(client: Client, user, proof: str | None):
    """Open the set-up page again and confirm a new authenticator, with `proof` if given."""
    client.get("/account/two-factor/setup/")
    new = TOTPDevice.objects.get(user=user, confirmed=False)
    data = {"code": code_for(new)} | ({} if proof is None else {"proof": proof})
    return new, client.post("/account/two-factor/setup/", data)


@pytest.mark.parametrize("proof", [None, "", "not my password at all"])
def test_moving_the_authenticator_needs_the_password_again(client, reviewer, proof):
    sign_in(client, "nurse.a")
    old, _codes = enrol(client, reviewer)
    new, response = _replace(client, reviewer, proof)
    assert response.status_code == 400
    assert "current password is not right" in response.content.decode()
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.confirmed and not new.confirmed


def test_with_the_password_the_authenticator_moves_and_the_old_one_stops(client, reviewer):
    sign_in(client, "nurse.a")
    old, _codes = enrol(client, reviewer)
    new, response = _replace(client, reviewer, PASSWORD)
    assert response.status_code == 200 and len(response.context["codes"]) == 10
    assert list(TOTPDevice.objects.filter(user=reviewer)) == [new]
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()


def test_new_recovery_codes_need_the_password_again(client, reviewer):
    sign_in(client, "nurse.a")
    _device, old = enrol(client, reviewer)
    response = client.post("/account/two-factor/recovery-codes/", {"proof": "wrong"},
                           follow=True)
    assert "current password is not right" in response.content.decode()
    assert twofactor.recovery_codes_left(user=reviewer) == 10
    later = Client()
    sign_in(later, "nurse.a")
    assert later.post("/account/two-factor/verify/", {"code": old[0]}).status_code == 302


def test_an_account_without_a_password_proves_itself_with_a_current_code(client, reviewer):
    sign_in(client, "nurse.a")
    old, _codes = enrol(client, reviewer)
    reviewer.set_unusable_password()
    reviewer.save()
    client.force_login(reviewer)  # as single sign-on would, after the password is gone
    page = client.get("/account/").content.decode()
    assert "A code from your current authenticator app" in page
    _new, refused = _replace(client, reviewer, PASSWORD)
    assert refused.status_code == 400 and WRONG_CODE in refused.content.decode()
    new, response = _replace(client, reviewer, code_for(old, steps_ahead=1))
    assert response.status_code == 200
    assert list(TOTPDevice.objects.filter(user=reviewer)) == [new]


def test_an_optional_user_signs_in_without_a_second_factor_and_may_add_one(client, tree,
                                                                           make_user):
    kari = make_user("kari", ("W1", "reporter"))
    sign_in(client, "kari")
    page = client.get("/account/").content.decode()
    assert "You may turn it on" in page
    device, _codes = enrol(client, kari)
    later = Client()
    sign_in(later, "kari")
    assert later.get("/orgs/W1/")["Location"].startswith("/account/two-factor/verify/")
    later.post("/account/two-factor/verify/", {"code": code_for(device, 1)})
    assert later.get("/orgs/W1/").status_code == 200


def test_the_next_address_must_be_on_this_site(client, reviewer):
    sign_in(client, "nurse.a")
    client.get("/account/two-factor/setup/")
    device = TOTPDevice.objects.get(user=reviewer, confirmed=False)
    response = client.post("/account/two-factor/setup/",
                           {"code": code_for(device), "next": "https://evil.example/"})
    assert response.context["next"] == "/"


def test_api_tokens_are_not_held_at_the_second_step(client, reviewer):
    from safehands.accounts.services import api_token_create

    key = api_token_create(user=reviewer, name="export", actor=None, source="cli")
    response = client.get("/api/v1/orgs/", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    sign_in(client, "nurse.a")  # a browser session that has not passed the step
    response = client.get("/api/v1/orgs/", headers={"X-API-Key": key})
    assert response.status_code == 200


def test_the_password_can_be_changed_under_the_same_rules(client, tree, make_user,
                                                         django_user_model):
    make_user("kari", ("W1", "reporter"))
    sign_in(client, "kari")
    response = client.post("/account/password/", {
        "old_password": PASSWORD, "new_password1": "passwordpassword",
        "new_password2": "passwordpassword"})
    assert "breached passwords" in response.content.decode()
    response = client.post("/account/password/", {
        "old_password": PASSWORD, "new_password1": "harbour kettle violet march",
        "new_password2": "harbour kettle violet march"}, follow=True)
    assert "Your password is changed." in response.content.decode()
    kari = django_user_model.objects.get(username="kari")
    assert kari.check_password("harbour kettle violet march")
