"""The shared Playwright fixtures (Chromium, a page, signing in), reused for measurement."""

from tests.browser.conftest import browser, page, sign_in  # noqa: F401
