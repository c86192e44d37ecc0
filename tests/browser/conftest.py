"""Playwright driving Debian's Chromium against the live test server.

Skipped when Chromium is missing, except where SAFEHANDS_REQUIRE_BROWSER=1 (CI), where a
missing browser fails the run instead.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("SAFEHANDS_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
    "--no-first-run", "--disable-background-networking", "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
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
        page.click("button[type=submit]")
    return sign_in_as
