"""Catalogue pages: readable by any signed-in user, in English and Norwegian."""

from __future__ import annotations

import pytest
from django.utils import translation

PAGES = [
    "/catalogue/",
    "/catalogue/programmes/in-safe-hands/",
    "/catalogue/programmes/safer-together/",
    "/catalogue/target-areas/falls/",
    "/catalogue/action-plans/",
    "/catalogue/action-plans/safer-together-2020/",
]


@pytest.mark.parametrize("url", PAGES)
def test_pages_answer_any_signed_in_user(client, loaded, user, url):
    client.force_login(user)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", PAGES)
def test_pages_send_anonymous_visitors_to_sign_in(client, loaded, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_programme_list_links_each_programme_and_plan(client, loaded, user):
    client.force_login(user)
    html = client.get("/catalogue/").content.decode()
    assert 'href="/catalogue/programmes/in-safe-hands/"' in html
    assert 'href="/catalogue/action-plans/nap-2019-2023/"' in html


def test_programme_page_shows_aims_and_all_sixteen_target_areas(client, loaded, user):
    client.force_login(user)
    html = client.get("/catalogue/programmes/in-safe-hands/").content.decode()
    assert "Improve patient-safety culture" in html
    assert html.count('href="/catalogue/target-areas/') == 16


def test_target_area_page_shows_full_definitions_and_markers(client, loaded, user):
    client.force_login(user)
    html = client.get("/catalogue/target-areas/stroke/").content.decode()
    assert "All patients thrombolysed at the hospital in the period." in html  # denominator
    assert "Bundle compliance (all or none)" in html
    assert "National target from the stroke patient pathway" in html
    assert 'class="badge tbc"' in html and ">default<" in html
    assert ">to be confirmed<" in html


def test_leadership_elements_are_shown_as_to_be_confirmed(client, loaded, user):
    client.force_login(user)
    html = client.get("/catalogue/target-areas/leadership/").content.decode()
    assert html.count(">to be confirmed<") >= 4  # three elements and the measure


def test_unknown_target_area_is_404_with_its_code(client, loaded, user):
    client.force_login(user)
    response = client.get("/catalogue/target-areas/nope/")
    assert response.status_code == 404
    assert b"There is no target area &#x27;nope&#x27;." in response.content


def test_norwegian_pages_show_norwegian_names(client, loaded, user):
    client.force_login(user)
    with translation.override("nb"):
        html = client.get("/catalogue/target-areas/falls/",
                          HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert "Forebygging av fall i helseinstitusjoner" in html
    assert "Fall per 1000 liggedøgn" in html
    assert "Tiltak i pakken" in html and "Nevner" in html  # the page's own labels
    assert "Liggedøgn i perioden." in html  # the measure's definition
    assert "Vurdere fallrisiko hos pasienter" in html  # the area's description
    english = client.get("/catalogue/target-areas/falls/",
                         HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Falls in health institutions" in english
    assert "Forebygging av fall i helseinstitusjoner" not in english
    assert "Patient-days (bed-days) in the period." in english
    assert "Liggedøgn i perioden." not in english


def test_retired_items_leave_the_lists(client, loaded, user):
    from safehands.catalogue.models import TargetArea

    TargetArea.objects.filter(code="falls").update(is_retired=True)
    client.force_login(user)
    html = client.get("/catalogue/programmes/in-safe-hands/").content.decode()
    assert "/catalogue/target-areas/falls/" not in html
    assert client.get("/catalogue/target-areas/falls/").status_code == 200  # link still works


def test_action_plans_page_shows_the_seventeen_recommendations(client, loaded, user):
    client.force_login(user)
    html = client.get("/catalogue/action-plans/safer-together-2020/").content.decode()
    assert html.count('<tr id="safer-together.r') == 17
    assert "Workforce safety" in html
