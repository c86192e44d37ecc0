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
    def sign_in_as(username: str, password: str = "correct horse battery") -> None:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("main button[type=submit]")
    return sign_in_as
