"""Admin: instruments and rounds are read-only; the minimum is set through the service."""

from __future__ import annotations

from safehands.audit.models import AuditEvent
from safehands.culture.models import ProgrammeSurveySettings


def test_admin_lists_load_and_are_read_only(client, open_round, make_user):
    admin = make_user("root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    for url in ("/admin/culture/instrument/", "/admin/culture/surveyround/",
                f"/admin/culture/instrument/{open_round.instrument.pk}/change/"):
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/culture/instrument/add/").status_code == 403
    assert client.get("/admin/culture/response/").status_code == 404


def test_minimum_set_in_the_admin_is_audited(client, db, make_user):
    from safehands.catalogue.models import Programme
    from safehands.catalogue.services import catalogue_load

    catalogue_load(actor=None, source="system")
    programme = Programme.objects.first()
    admin = make_user("root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    response = client.post("/admin/culture/programmesurveysettings/add/",
                           {"programme": programme.pk, "min_respondents": 7})
    assert response.status_code == 302
    assert ProgrammeSurveySettings.objects.get(programme=programme).min_respondents == 7
    assert AuditEvent.objects.filter(action="culture.settings.update").exists()
