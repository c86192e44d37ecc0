"""Culture pages: answering without sign-in, opening and running a round, results, exports."""

from __future__ import annotations

import csv
import io
import json

from safehands.culture import services
from safehands.culture.models import Invitation, Response, RoundUnit, SurveyRound
from tests.culture.conftest import answer, team_answers


def _post_answers(client, url, answers):
    return client.post(url, {k: str(v) for k, v in answers.items()})


def test_invitation_link_shows_the_form_and_takes_one_answer(client, open_round, tree,
                                                             coordinator):
    [link] = services.invitations_create(survey_round=open_round, org_unit=tree["W1"],
                                         actor=coordinator, count=1)
    url = f"/culture/answer/{link.token}/"
    page = client.get(url)
    assert page.status_code == 200
    assert b"Ward One" in page.content and b"Demo wording" in page.content
    assert b'name="SAQ24U"' in page.content
    response = _post_answers(client, url, team_answers())
    assert response.status_code == 302 and response["Location"] == "/culture/thanks/"
    assert Response.objects.count() == 1
    again = client.get(url)
    assert again.status_code == 410 and services.INVITATION_USED.encode() in again.content
    assert _post_answers(client, url, team_answers()).status_code == 410
    assert Response.objects.count() == 1


def test_bad_answer_is_shown_and_keeps_what_was_given(client, open_round, tree, coordinator):
    [link] = services.invitations_create(survey_round=open_round, org_unit=tree["W1"],
                                         actor=coordinator, count=1)
    page = _post_answers(client, f"/culture/answer/{link.token}/", {"SAQ1": 4, "SAQ2": 8})
    assert page.status_code == 200
    assert b"Answer to SAQ2: 8 is not an answer to SAQ2" in page.content
    assert b'value="4" checked' in page.content
    assert Response.objects.count() == 0 and not Invitation.objects.get().used


def test_unknown_link_is_404(client, open_round):
    assert client.get("/culture/answer/nope/").status_code == 404


def test_round_link_with_unit_code(client, open_round):
    code = RoundUnit.objects.get(survey_round=open_round, org_unit__code="W2").join_code
    page = client.post(f"/culture/r/{open_round.link_token}/", {"code": code.lower()})
    assert page.status_code == 302
    url = page["Location"]
    assert url == f"/culture/r/{open_round.link_token}/{code}/"
    assert _post_answers(client, url, team_answers()).status_code == 302
    assert Response.objects.get().org_unit.code == "W2"
    wrong = client.post(f"/culture/r/{open_round.link_token}/", {"code": "ZZZZZZ"})
    assert b"There is no unit with the code" in wrong.content


def test_closed_round_link_says_so(client, open_round, coordinator):
    services.round_close(survey_round=open_round, actor=coordinator)
    code = RoundUnit.objects.get(survey_round=open_round, org_unit__code="W2").join_code
    page = client.get(f"/culture/r/{open_round.link_token}/{code}/")
    assert page.status_code == 410 and b"closed" in page.content


def test_norwegian_form(client, open_round):
    code = RoundUnit.objects.get(survey_round=open_round, org_unit__code="W2").join_code
    client.post("/i18n/setlang/", {"language": "nb", "next": "/"})
    page = client.get(f"/culture/r/{open_round.link_token}/{code}/")
    assert "Forslag fra ansatte blir tatt på alvor her.".encode() in page.content
    assert "Svært enig".encode() in page.content


def test_coordinator_opens_a_round_from_the_unit_page(client, tree, instruments, coordinator):
    client.force_login(coordinator)
    page = client.get("/culture/units/H1/")
    assert b"Open a survey round" in page.content
    response = client.post("/culture/units/H1/rounds/new/", {
        "title": "Spring 2026", "instrument": "sops-hospital-2", "opens_on": "2026-03-01",
        "closes_on": "2026-03-21"})
    survey_round = SurveyRound.objects.get(title="Spring 2026")
    assert response["Location"] == f"/culture/rounds/{survey_round.pk}/"
    bad = client.post("/culture/units/H1/rounds/new/", {
        "title": "x", "instrument": "saq", "opens_on": "2026-03-21", "closes_on": "2026-03-01"})
    assert services.ROUND_DATES.encode() in bad.content


def test_round_page_shows_printed_links_once(client, open_round, coordinator):
    client.force_login(coordinator)
    client.post(f"/culture/rounds/{open_round.pk}/invitations/", {"unit": "W1", "count": 2})
    page = client.get(f"/culture/rounds/{open_round.pk}/")
    assert page.content.count(b"/culture/answer/") == 2
    assert client.get(f"/culture/rounds/{open_round.pk}/").content.count(
        b"/culture/answer/") == 0


def test_results_page_hides_small_groups(client, open_round, coordinator):
    answer(open_round, "W1", 6)
    answer(open_round, "W2", 2)
    client.force_login(coordinator)
    h1 = client.get(f"/culture/rounds/{open_round.pk}/units/H1/")
    assert h1.status_code == 200 and b"too-few" not in h1.content
    assert b"culture-heatmap" in h1.content
    w2 = client.get(f"/culture/rounds/{open_round.pk}/units/W2/")
    assert b'id="too-few"' in w2.content and b"Hidden: too few respondents" in w2.content


def test_results_csv_leaves_hidden_cells_empty(client, open_round, coordinator):
    answer(open_round, "W1", 6)
    answer(open_round, "W2", 2)
    client.force_login(coordinator)
    text = client.get(f"/culture/rounds/{open_round.pk}/units/H1/results.csv").content.decode()
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r["scale"] == "teamwork_climate"]
    by_group = {r["group"]: r for r in rows}
    assert by_group["H1"]["respondents"] == "8" and by_group["H1"]["suppressed"] == "false"
    for group in ("W1", "W2"):
        assert by_group[group]["suppressed"] == "true"
        assert by_group[group]["respondents"] == by_group[group]["pct_positive"] == ""


def test_fhir_export_is_anonymous(client, open_round, coordinator):
    answer(open_round, "W1", 6)
    client.force_login(coordinator)
    bundle = json.loads(client.get(
        f"/culture/rounds/{open_round.pk}/units/W1/responses.fhir.json").content)
    assert bundle["resourceType"] == "Bundle" and len(bundle["entry"]) == 6
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert resource["resourceType"] == "QuestionnaireResponse"
        assert set(resource) == {"resourceType", "status", "questionnaire", "item"}
    assert client.get(
        f"/culture/rounds/{open_round.pk}/units/W2/responses.fhir.json").status_code == 400


def test_action_plan_saved_on_the_results_page(client, open_round, make_user):
    reporter = make_user("w1.team", ("W1", "reporter"))
    client.force_login(reporter)
    client.post(f"/culture/rounds/{open_round.pk}/units/W1/plan/",
                {"keep": "Morning huddle", "improve": "Handover checklist"})
    page = client.get(f"/culture/rounds/{open_round.pk}/units/W1/")
    assert b"Morning huddle" in page.content and b"Handover checklist" in page.content
    assert b"/assessment/units/W1/actions/new/" in page.content


def test_api_results_carry_no_numbers_for_hidden_cells(client, open_round, coordinator):
    answer(open_round, "W1", 6)
    client.force_login(coordinator)
    body = client.get(f"/api/v1/culture/rounds/{open_round.pk}/results/W2").json()
    assert all(s["suppressed"] and s["respondents"] is None for s in body["scales"])
    body = client.get(f"/api/v1/culture/rounds/{open_round.pk}/results/W1").json()
    team = next(s for s in body["scales"] if s["scale"] == "teamwork_climate")
    assert (team["respondents"], team["pct_positive"], team["mature"]) == (6, 100.0, True)
    assert client.get(f"/api/v1/culture/rounds/{open_round.pk}/results/W3").status_code == 403


def test_sops_round_results_page(client, tree, instruments, coordinator):
    import datetime

    today = datetime.date.today()
    sops = services.round_open(root=tree["H1"], instrument=instruments["sops-hospital-2"],
                               title="SOPS 2026", opens_on=today, closes_on=today,
                               actor=coordinator)
    code = RoundUnit.objects.get(survey_round=sops, org_unit__code="W1").join_code
    for n in range(6):
        services.response_submit(survey_round=sops, join_code=code,
                                 answers={"A1": 4 + n % 2, "A8": 4, "A9": 2, "E1": 5})
    client.force_login(coordinator)
    page = client.get(f"/culture/rounds/{sops.pk}/units/W1/").content.decode()
    assert "SOPS: %" in page and "Mature" not in page
    assert "Teamwork" in page
    body = client.get(f"/api/v1/culture/rounds/{sops.pk}/results/W1").json()
    team = next(s for s in body["scales"] if s["scale"] == "teamwork")
    assert (team["respondents"], team["pct_positive"], team["mature"]) == (6, 100.0, None)


def test_unconfirmed_instrument_structure_is_flagged(client, tree, instruments, coordinator,
                                                      open_round):
    import datetime

    today = datetime.date.today()
    sops = services.round_open(root=tree["H1"], instrument=instruments["sops-hospital-2"],
                               title="SOPS", opens_on=today, closes_on=today,
                               actor=coordinator)
    client.force_login(coordinator)
    assert b"tbc-structure" in client.get(f"/culture/rounds/{sops.pk}/units/H1/").content
    assert b"tbc-structure" in client.get(f"/culture/rounds/{sops.pk}/").content
    assert b"tbc-structure" not in client.get(
        f"/culture/rounds/{open_round.pk}/units/H1/").content      # SAQ is verified


def test_round_opened_for_a_programme_takes_its_minimum(client, tree, instruments, coordinator,
                                                        make_user):
    from safehands.catalogue.models import Programme
    from safehands.catalogue.services import catalogue_load

    catalogue_load(actor=None, source="system")
    programme = Programme.objects.order_by("code").first()
    services.programme_min_respondents_set(
        programme=programme, value=10, actor=make_user("prog.admin", is_programme_admin=True))
    client.force_login(coordinator)
    assert programme.name.encode() in client.get("/culture/units/H1/rounds/new/").content
    client.post("/culture/units/H1/rounds/new/", {
        "title": "With programme", "instrument": "saq", "opens_on": "2026-03-01",
        "closes_on": "2026-03-21", "programme": programme.code})
    assert SurveyRound.objects.get(title="With programme").min_respondents == 10


def test_paper_answers_uploaded_on_the_round_page(client, open_round, coordinator):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(coordinator)
    page = client.post(f"/culture/rounds/{open_round.pk}/import/", {
        "file": SimpleUploadedFile("paper.csv", b"unit,SAQ1\nW1,4\nW2,5\n")}, follow=True)
    assert b"2 paper answers added." in page.content
    assert Response.objects.count() == 2
