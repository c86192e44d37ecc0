"""Pages through the full stack: a team's flow, the report, exports, actions, bad input."""

from __future__ import annotations

import csv
import io
import json

import pytest

from safehands.assessment.models import Action, Assessment, Consensus, Rating
from tests.assessment.test_fhir import check_questionnaire


@pytest.fixture
def people(tree, make_user, nap):
    return {
        "coord": make_user("coord", ("H1", "coordinator")),
        "nurse": make_user("nurse", ("H1", "reporter")),
        "viewer": make_user("viewer", ("R1", "viewer")),
        "other": make_user("other", ("R2", "viewer")),
    }


def _all(nap, value: str, prefix: str = "rating") -> dict[str, str]:
    return {f"{prefix}-{code}": value for code in nap.elements.values_list("code", flat=True)}


def test_a_team_runs_an_assessment_and_turns_the_lowest_area_into_an_action(
        client, people, nap):
    client.force_login(people["coord"])
    response = client.post("/assessment/units/H1/start/",
                           {"title": "Baseline", "instrument": "nap-2019-2023"})
    assessment = Assessment.objects.get()
    assert response["Location"] == f"/assessment/{assessment.pk}/"
    client.post(f"/assessment/{assessment.pk}/team/", {"username": "nurse",
                                                       "profession": "nurse"})
    assert assessment.members.count() == 2
    codes = list(nap.elements.values_list("code", flat=True))
    # The coordinator rates 3 everywhere but 1 on principle 2; the nurse 4 / 1 and unsure.
    mine = _all(nap, "3") | {f"rating-{c}": "1" for c in codes if c.startswith("nap.co.")}
    client.post(f"/assessment/{assessment.pk}/rate/", mine | {"comment-nap.lc.01": "agenda"})
    client.force_login(people["nurse"])
    theirs = _all(nap, "4") | {f"rating-{c}": "1" for c in codes if c.startswith("nap.co.")}
    theirs["rating-nap.ss.03"] = "unsure"
    assert client.get(f"/assessment/{assessment.pk}/").status_code == 200
    client.post(f"/assessment/{assessment.pk}/rate/", theirs)
    assert Rating.objects.count() == 24
    assert Rating.objects.get(rater=people["coord"], element__code="nap.lc.01").comment == \
        "agenda"
    # Consensus view shows the spread; the nurse may look but not record.
    page = client.get(f"/assessment/{assessment.pk}/consensus/")
    assert page.status_code == 200 and b"3.5" in page.content
    assert client.post(f"/assessment/{assessment.pk}/consensus/", {}).status_code == 403
    client.force_login(people["coord"])
    agreed = _all(nap, "3", "agreed") | {f"agreed-{c}": "1" for c in codes
                                         if c.startswith("nap.co.")}
    response = client.post(f"/assessment/{assessment.pk}/consensus/",
                           agreed | {"close": "1", "closing_note": "Good discussion"})
    assert response["Location"] == f"/assessment/{assessment.pk}/report/"
    assessment.refresh_from_db()
    assert assessment.status == "closed" and Consensus.objects.count() == 12
    report = client.get(f"/assessment/{assessment.pk}/report/")
    text = report.content.decode()
    assert "Competence in patient safety and quality improvement" in text
    assert 'id="lowest-area-action"' in text and "assessment-profile" in text
    link = text.split('id="lowest-area-action" href="')[1].split('"')[0].replace("&amp;", "&")
    assert "plan_area=nap-2019-2023.competence" in link
    form = client.get(link)
    assert form.status_code == 200 and b"nap.co.training" in form.content
    response = client.post(link, {"what": "Improvement course for ward leaders",
                                  "owner": "Head of quality", "due_date": "2027-03-31",
                                  "tactic": "nap.co.training",
                                  "plan_area": "nap-2019-2023.competence",
                                  "assessment": str(assessment.pk), "note": "lowest area"})
    assert response["Location"] == "/assessment/units/H1/actions/"
    action = Action.objects.get()
    assert action.plan_area.code == "nap-2019-2023.competence"
    assert action.assessment == assessment and action.tactic.code == "nap.co.training"
    # Closed: ratings can no longer change, and the page says so.
    response = client.post(f"/assessment/{assessment.pk}/rate/", _all(nap, "1"), follow=True)
    assert "This assessment is closed" in response.content.decode()


@pytest.fixture
def closed(people, nap):
    from safehands.assessment.services import (
        assessment_close,
        assessment_start,
        consensus_record,
        ratings_save,
        team_member_invite,
    )
    from safehands.orgs.models import OrgUnit

    a = assessment_start(org_unit=OrgUnit.objects.get(code="H1"), instrument=nap, title="One",
                         actor=people["coord"])
    team_member_invite(assessment=a, username="nurse", actor=people["coord"])
    codes = list(nap.elements.values_list("code", flat=True))
    ratings_save(assessment=a, ratings={c: ("2", "") for c in codes}, actor=people["coord"])
    ratings_save(assessment=a, ratings={c: ("4", "x") for c in codes}, actor=people["nurse"])
    consensus_record(assessment=a, scores={c: ("3", "") for c in codes}, actor=people["coord"])
    return assessment_close(assessment=a, actor=people["coord"])


def test_report_csv_and_fhir_exports(client, people, closed):
    client.force_login(people["viewer"])
    rows = list(csv.DictReader(io.StringIO(
        client.get(f"/assessment/{closed.pk}/report.csv").content.decode())))
    assert len(rows) == 12 + 4
    assert rows[0]["mean_rating"] == "3" and rows[0]["spread"] == "2" and rows[0]["agreed"] == "3"
    response = json.loads(client.get(f"/assessment/{closed.pk}/questionnaire-response.json")
                          .content)
    assert response["resourceType"] == "QuestionnaireResponse"
    assert response["status"] == "completed"
    assert response["subject"]["identifier"]["value"] == "H1"
    q = json.loads(client.get("/assessment/instruments/nap-2019-2023/questionnaire.json").content)
    check_questionnaire(q)
    assert response["questionnaire"] == q["url"]


def test_report_shows_change_since_the_previous_assessment(client, people, closed, nap):
    from safehands.assessment.services import assessment_start, consensus_record

    later = assessment_start(org_unit=closed.org_unit, instrument=nap, title="Two",
                             actor=people["coord"])
    consensus_record(assessment=later, scores={"nap.lc.01": ("4", "")}, actor=people["coord"])
    client.force_login(people["coord"])
    text = client.get(f"/assessment/{later.pk}/report/").content.decode()
    assert "+1.00" in text and "“One”" in text


def test_disputed_elements_are_listed(client, people, closed):
    client.force_login(people["coord"])
    text = client.get(f"/assessment/{closed.pk}/report/").content.decode()
    disputed = text.split("Most disputed elements")[1]
    assert "Top management follows up patient safety" in disputed


def test_prefilled_action_link_from_other_pages(client, people, content):
    client.force_login(people["nurse"])
    page = client.get("/assessment/units/H1/actions/new/?target_area=falls&note=From+survey")
    text = page.content.decode()
    assert '<option value="falls" selected>' in text and "From survey" in text
    client.post("/assessment/units/H1/actions/new/", {
        "what": "Falls huddle", "owner": "Ward nurse", "target_area": "falls",
        "due_date": "2020-01-01"})
    plan = client.get("/assessment/units/H1/actions/").content.decode()
    assert "Falls huddle" in plan and 'class="overdue"' in plan


def test_bad_action_input_is_shown_and_nothing_saved(client, people, content):
    client.force_login(people["nurse"])
    response = client.post("/assessment/units/H1/actions/new/", {
        "what": "x", "owner": "y", "due_date": "31.12.2026"}, follow=True)
    assert "is not a date; write YYYY-MM-DD." in response.content.decode()
    assert not Action.objects.exists()


def test_a_parent_sees_the_plan_of_a_unit_and_the_subtree_view(client, people, content):
    from safehands.assessment.services import action_create
    from safehands.orgs.models import OrgUnit

    action_create(org_unit=OrgUnit.objects.get(code="H1"), what="Walk-rounds", owner="CEO",
                  actor=people["coord"])
    client.force_login(people["viewer"])  # viewer on R1, above H1
    assert "Walk-rounds" in client.get("/assessment/units/H1/actions/").content.decode()
    assert "Walk-rounds" in client.get("/assessment/units/R1/actions/?below=1").content.decode()
    assert "Walk-rounds" not in client.get("/assessment/units/R1/actions/").content.decode()
    client.force_login(people["other"])
    assert client.get("/assessment/units/H1/actions/").status_code == 403


def test_instrument_pages_list_elements_and_tactics(client, people, content):
    client.force_login(people["other"])
    assert b"Safer Together self-assessment" in client.get("/assessment/instruments/").content
    text = client.get("/assessment/instruments/safer-together/").content.decode()
    assert "st.clg.01" in text and "Leaders hold regular safety walk-rounds" in text


def test_pages_speak_norwegian(client, people, closed):
    from django.conf import settings

    client.force_login(people["coord"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nb"
    text = client.get(f"/assessment/{closed.pk}/report/").content.decode()
    assert "Hvor starte" in text and "Profil per område" in text
    assert "Kompetanse i pasientsikkerhet og kvalitetsforbedring" in text


def test_members_see_the_spread_only_after_rating_everything(client, people, nap):
    from safehands.assessment.services import assessment_start, ratings_save, team_member_invite
    from safehands.orgs.models import OrgUnit

    a = assessment_start(org_unit=OrgUnit.objects.get(code="H1"), instrument=nap, title="S",
                         actor=people["coord"])
    team_member_invite(assessment=a, username="nurse", actor=people["coord"])
    client.force_login(people["nurse"])
    page = client.get(f"/assessment/{a.pk}/consensus/").content.decode()
    assert "Rate every element yourself first" in page and "consensus-form" not in page
    codes = nap.elements.values_list("code", flat=True)
    ratings_save(assessment=a, ratings={c: ("2", "") for c in codes}, actor=people["nurse"])
    page = client.get(f"/assessment/{a.pk}/consensus/").content.decode()
    assert "consensus-form" in page
    client.force_login(people["viewer"])  # not on the team: a leader reading along
    assert "consensus-form" in client.get(f"/assessment/{a.pk}/consensus/").content.decode()


def test_programme_administrator_edits_an_element_in_the_admin(client, make_user, content):
    from safehands.assessment.models import Element
    from safehands.audit.models import AuditEvent

    admin = make_user("padmin", is_programme_admin=True, is_staff=True)
    client.force_login(admin)
    element = Element.objects.get(code="nap.lc.01")
    page = client.get(f"/admin/assessment/element/{element.pk}/change/")
    assert page.status_code == 200
    form = {"name": "Leaders follow up safety every month", "name_nb": element.name_nb,
            "source": element.source, "confidence": "M", "position": element.position,
            "instrument": element.instrument_id, "area": element.area_id,
            "criteria": element.criteria}
    response = client.post(f"/admin/assessment/element/{element.pk}/change/", form)
    assert response.status_code == 302, response.content[:500]
    element.refresh_from_db()
    assert element.name == "Leaders follow up safety every month" and element.locally_edited
    assert AuditEvent.objects.filter(action="assessment.element.edited").exists()


def test_coordinator_imports_ratings_from_a_file(client, people, nap):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from safehands.assessment.services import assessment_start, team_member_invite
    from safehands.orgs.models import OrgUnit

    a = assessment_start(org_unit=OrgUnit.objects.get(code="H1"), instrument=nap, title="P",
                         actor=people["coord"])
    team_member_invite(assessment=a, username="nurse", actor=people["coord"])
    client.force_login(people["coord"])
    good = SimpleUploadedFile("RATINGS.csv", b"rater,element,rating\nnurse,nap.lc.01,3\n")
    page = client.post(f"/assessment/{a.pk}/import/", {"file": good}, follow=True)
    assert "Imported: 1 ratings created or changed." in page.content.decode()
    bad = SimpleUploadedFile("RATINGS.csv", b"rater,element,rating\nnurse,nap.lc.02,9\n")
    page = client.post(f"/assessment/{a.pk}/import/", {"file": bad}, follow=True)
    assert "row 2, field rating: &#x27;9&#x27; is not on the scale" in page.content.decode()
    assert Rating.objects.count() == 1


def test_action_status_owner_and_due_date_change_on_the_plan(client, people, content):
    from safehands.assessment.services import action_create
    from safehands.orgs.models import OrgUnit

    action = action_create(org_unit=OrgUnit.objects.get(code="H1"), what="Audit", owner="Kari",
                           actor=people["coord"])
    client.force_login(people["nurse"])
    client.post(f"/assessment/actions/{action.pk}/status/", {
        "status": "in_progress", "owner": "Ola", "due_date": "2027-01-15"})
    action.refresh_from_db()
    assert (action.status, action.owner, str(action.due_date)) == (
        "in_progress", "Ola", "2027-01-15")
    page = client.post(f"/assessment/actions/{action.pk}/status/", {
        "status": "done", "owner": "Ola", "due_date": "15.01.2027"}, follow=True)
    assert "is not a date; write YYYY-MM-DD." in page.content.decode()
    action.refresh_from_db()
    assert action.status == "in_progress"
