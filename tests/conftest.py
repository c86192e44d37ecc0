"""Fixtures shared by the whole suite: a small org tree, users with roles on it, and a browser.

The Playwright fixtures live here, once: a session fixture defined in two conftest files would
start two Playwright instances in one thread, which Playwright refuses. Browser tests skip
when Chromium is missing, except where SAFEHANDS_REQUIRE_BROWSER=1 (CI), where they fail.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable

import pytest

TREE_CSV = """code,name,kind,parent_code,name_nb
NO,Norway,national,,Norge
R1,Region One,region,NO,Region en
R2,Region Two,region,NO,Region to
T1,Trust One,trust,R1,
H1,Hospital One,hospital,T1,
W1,Ward One,unit,H1,
W2,Ward Two,unit,H1,
T2,Trust Two,trust,R2,
H2,Hospital Two,hospital,T2,
W3,Ward Three,unit,H2,
M1,Municipality One,municipality,NO,
N1,Nursing Home One,nursing_home,M1,
"""


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 is slow on purpose; tests that are not about hashing use a fast hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_rate_counts():
    """The API's rate counts live in the cache; each test starts with none spent."""
    from django.core.cache import cache

    cache.clear()


def totp_code(device, *, after_last: bool = True) -> str:
    """The code an authenticator app would show for this device now; with `after_last`, the
    first time step after the last one accepted, so a second sign-in within 30 seconds is not
    refused as a replay (django-otp allows one step of clock drift)."""
    import time

    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if after_last and totp.t() <= device.last_t:
        totp.time += (device.last_t + 1 - totp.t()) * device.step
    return f"{totp.token():0{device.digits}d}"


def enrolled_device(user):
    """The user's confirmed authenticator, set up now if they have none."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="test authenticator")


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_step(monkeypatch):
    """`client.force_login(user)` skips the sign-in form, and so the second step too: for a
    user who must have a second factor it also enrols an authenticator and marks the session
    as having passed the step, as a real sign-in with a code would. Only force_login does
    this; the sign-in form, and the middleware that holds unverified users, are tested for
    real in tests/accounts/test_two_factor.py and tests/browser/test_two_factor.py."""
    from django.test import Client

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        from django_otp import DEVICE_ID_SESSION_KEY

        from safehands.web.middleware import second_factor_required

        if second_factor_required(user):
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = enrolled_device(user).persistent_id
            session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture
def tree(db) -> dict:
    """Twelve org units in two regions and a municipality, keyed by code."""
    from safehands.orgs.models import OrgUnit
    from safehands.orgs.services import org_units_import

    summary = org_units_import(text=TREE_CSV, actor=None, source="system")
    assert not summary.problems, summary.problems
    return {u.code: u for u in OrgUnit.objects.all()}


@pytest.fixture
def make_user(db) -> Callable:
    """make_user("name", ("W1", "reporter"), ...) -> a user with those roles."""
    from django.contrib.auth import get_user_model

    from safehands.orgs.models import Membership, OrgUnit

    def make(username: str, *grants: tuple[str, str], **fields) -> object:
        user = get_user_model().objects.create_user(
            username=username, password="correct horse battery", **fields)
        for code, role in grants:
            Membership.objects.create(user=user, org_unit=OrgUnit.objects.get(code=code),
                                      role=role)
        return user

    return make

CHROMIUM = os.environ.get("SAFEHANDS_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
    "--no-first-run", "--disable-background-networking", "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "browser" in item.fixturenames:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        if os.environ.get("SAFEHANDS_REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium is required for the browser tests but {CHROMIUM} is missing")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    # Playwright runs an event loop in this thread; Django's ORM calls from the test body
    # are still synchronous and safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def sign_in(page, live_server):
    """Sign in through the form. A user who must have a second factor (or has one) gets an
    authenticator enrolled beforehand if they have none, and the fixture types its code on
    the second step, as the user would."""
    def sign_in_as(username: str, password: str = "correct horse battery") -> None:
        from django.contrib.auth import get_user_model
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from safehands.web.middleware import second_factor_required

        user = get_user_model().objects.filter(username=username).first()
        device = None
        if user is not None and password == "correct horse battery" and (
                second_factor_required(user)
                or TOTPDevice.objects.filter(user=user, confirmed=True).exists()):
            device = enrolled_device(user)
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("main button[type=submit]")
        if device is not None:
            page.wait_for_url("**/account/two-factor/verify/**")
            device.refresh_from_db()
            page.fill("#id_code", totp_code(device))
            page.click("main button.primary")
            page.wait_for_url(lambda url: "/account/two-factor/" not in url)
    return sign_in_as
