"""What a person sees in a real browser: sign-in, the catalogue, and a refused unit."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect


@pytest.fixture
def catalogue(transactional_db):
    from safehands.catalogue.services import catalogue_load

    catalogue_load(actor=None, source="system")


def test_sign_in_shows_my_organisations(page, live_server, tree, make_user, sign_in):
    make_user("kari", ("H1", "reporter"))
    sign_in("kari")
    expect(page.locator("h1")).to_have_text("My organisations")
    page.click("text=Hospital One")
    expect(page.locator("h1")).to_have_text("Hospital One")
    expect(page.locator("table")).to_contain_text("Ward Two")


def test_wrong_password_keeps_you_on_the_sign_in_page(page, live_server, tree, make_user,
                                                      sign_in):
    make_user("kari")
    sign_in("kari", "not the password")
    expect(page.locator(".errorlist")).to_contain_text("Please enter a correct")


def test_catalogue_browsing_reaches_a_target_areas_measures(page, live_server, tree, make_user,
                                                           sign_in, catalogue):
    from safehands.catalogue.models import TargetArea

    make_user("kari", ("W1", "reporter"))
    sign_in("kari")
    page.click("header >> text=Target areas")
    page.locator("main a").filter(has_text="In Safe Hands").first.click()
    assert TargetArea.objects.count() == 16
    area = TargetArea.objects.order_by("code").first()
    page.locator("main a").filter(has_text=area.name).first.click()
    expect(page.locator("h1")).to_contain_text(area.name)
    first_measure = area.measures.order_by("code").first()
    expect(page.locator("main")).to_contain_text(first_measure.name)


def test_a_unit_outside_my_subtree_shows_the_denial_page(page, live_server, tree, make_user,
                                                         sign_in):
    make_user("kari", ("W1", "reporter"))
    sign_in("kari")
    response = page.goto(f"{live_server.url}/orgs/W3/")
    assert response.status == 403
    expect(page.locator("#access-denied")).to_contain_text(
        "You do not have access to this org unit.")
    expect(page.locator("main")).not_to_contain_text("Hospital Two")


def test_language_switch_to_norwegian(page, live_server, tree, make_user, sign_in):
    make_user("kari", ("W1", "reporter"))
    sign_in("kari")
    page.select_option("#lang-switch", "nb")
    page.click("#lang-switch ~ button")
    expect(page.locator("h1")).to_have_text("Mine organisasjoner")
