"""What the event browser tests check on every page: axe-core's WCAG 2.1 A/AA rules and that
nothing runs off the screen."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_check(page, where: str, failures: dict) -> None:
    """Add the page's axe violations, and a too-wide page, to `failures` under `where`."""
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    found = [f"{v['id']}: {v['help']} ({v['nodes'][0]['target']})"
             for v in results.response["violations"]]
    if found:
        failures[where] = found
    if not page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"):
        failures[f"{where} width"] = ["the page is wider than the screen"]
