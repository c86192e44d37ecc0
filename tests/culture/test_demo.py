"""The culture demo step: two closed rounds with answers, idempotent."""

from __future__ import annotations

from safehands.culture import demo, queries
from safehands.culture.models import ActionNote, Response, SurveyRound
from safehands.demo.load import DEMO_STEPS


def test_demo_step_is_registered():
    assert "safehands.culture.demo:demo_load" in DEMO_STEPS


def test_demo_load_creates_closed_rounds_once(db):
    from safehands.demo.load import demo_load as orgs_demo_load

    orgs_demo_load()
    first = demo.demo_load()
    assert first["rounds_created"] == 2
    assert first["responses_created"] == 2 * sum(n for n, _ in demo.WARDS.values())
    assert demo.demo_load() == {"instruments_created": 0, "rounds_created": 0,
                                "responses_created": 0}
    latest = SurveyRound.objects.get(title=demo.DEMO_ROUNDS[-1][0])
    assert latest.status == "closed" and latest.opens_on.year == 2025
    assert ActionNote.objects.filter(survey_round=latest).count() == 1
    assert Response.objects.count() == first["responses_created"]
    results = queries.round_results(survey_round=latest)
    assert not results.cells["OUS-RH"]["teamwork_climate"].suppressed
    assert results.cells["OUS-RH-STR"]["teamwork_climate"].suppressed   # 3 respondents
    assert queries.previous_round(survey_round=latest, unit=results.units["OUS-RH-MED"])


def test_demo_results_page_for_the_coordinator(client, db):
    from django.contrib.auth import get_user_model

    from safehands.demo.load import demo_load as orgs_demo_load

    orgs_demo_load()
    demo.demo_load()
    latest = SurveyRound.objects.get(title=demo.DEMO_ROUNDS[-1][0])
    client.force_login(get_user_model().objects.get(username="ous.coordinator"))
    page = client.get(f"/culture/rounds/{latest.pk}/units/OUS-RH/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Teamwork climate" in text and "culture-heatmap" in text
    assert "Change from previous round" in text and " to " in text   # an interval is shown
    med = client.get(f"/culture/rounds/{latest.pk}/units/OUS-RH-MED/").content.decode()
    assert "Daily safety huddle" in med
    stroke = client.get(f"/culture/rounds/{latest.pk}/units/OUS-RH-STR/").content.decode()
    assert 'id="too-few"' in stroke
    listing = client.get("/culture/units/OUS-RH/").content.decode()
    assert demo.DEMO_ROUNDS[0][0] in listing and demo.DEMO_ROUNDS[1][0] in listing
