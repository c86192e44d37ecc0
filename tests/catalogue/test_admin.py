"""Editing in the Django admin: programme administrators may, other staff may only look."""

from __future__ import annotations

import json

import pytest

from safehands.audit.models import AuditEvent
from safehands.catalogue.models import TargetArea


def _form(area: TargetArea, **changes) -> dict:
    data = {
        "name": area.name, "name_nb": area.name_nb, "description": area.description,
        "description_nb": area.description_nb, "source": area.source,
        "confidence": area.confidence, "note": area.note, "position": area.position,
        "programme": area.programme_id, "number": area.number,
        "settings": json.dumps(area.settings),
    }
    data.update(changes)
    return data


def _url(area: TargetArea, action: str = "change") -> str:
    return f"/admin/catalogue/targetarea/{area.pk}/{action}/"


def test_programme_admin_may_change_and_the_edit_is_marked_and_audited(
        client, loaded, programme_admin):
    area = TargetArea.objects.get(code="falls")
    client.force_login(programme_admin)
    response = client.post(_url(area), _form(area, name_nb="Fall"))
    assert response.status_code == 302, response.content.decode()[:2000]
    area.refresh_from_db()
    assert area.name_nb == "Fall" and area.locally_edited
    event = AuditEvent.objects.get(action="catalogue.target_area.edited")
    assert event.actor == programme_admin and event.after["name_nb"] == "Fall"


def test_admin_form_applies_the_model_rules(client, loaded, programme_admin):
    area = TargetArea.objects.get(code="falls")
    client.force_login(programme_admin)
    response = client.post(_url(area), _form(area, settings='["spa"]'))
    assert response.status_code == 200
    assert "Unknown setting" in response.content.decode()
    area.refresh_from_db()
    assert area.settings == ["hospital", "nursing_home"] and not area.locally_edited


def test_other_staff_may_look_but_not_change(client, loaded, staff_user):
    area = TargetArea.objects.get(code="falls")
    client.force_login(staff_user)
    assert client.get("/admin/catalogue/targetarea/").status_code == 200
    page = client.get(_url(area))
    assert page.status_code == 200 and b'name="name_nb"' not in page.content  # read-only view
    response = client.post(_url(area), _form(area, name_nb="Fall"))
    assert response.status_code == 403
    area.refresh_from_db()
    assert area.name_nb != "Fall" and not area.locally_edited
    assert client.get("/admin/catalogue/targetarea/add/").status_code == 403


@pytest.mark.parametrize("who", ["programme_admin", "staff_user"])
def test_nobody_may_delete_catalogue_items(client, loaded, request, who):
    area = TargetArea.objects.get(code="falls")
    client.force_login(request.getfixturevalue(who))
    assert client.post(_url(area, "delete"), {"post": "yes"}).status_code == 403
    assert TargetArea.objects.filter(code="falls").exists()


def test_the_code_cannot_change_once_set(client, loaded, programme_admin):
    area = TargetArea.objects.get(code="falls")
    client.force_login(programme_admin)
    client.post(_url(area), _form(area, code="tumbles", name_nb="Fall"))
    area.refresh_from_db()
    assert area.code == "falls" and area.name_nb == "Fall"


@pytest.mark.parametrize("model", ["programme", "aim", "targetarea", "bundleelement", "measure",
                                   "actionplan", "actionplanarea", "recommendation"])
def test_every_admin_page_opens_for_a_programme_admin(client, loaded, programme_admin, model):
    from django.apps import apps

    item = apps.get_model("catalogue", model).objects.order_by("pk").first()
    client.force_login(programme_admin)
    assert client.get(f"/admin/catalogue/{model}/").status_code == 200
    assert client.get(f"/admin/catalogue/{model}/?is_retired__exact=0&q=a").status_code == 200
    page = client.get(f"/admin/catalogue/{model}/{item.pk}/change/")
    assert page.status_code == 200 and b'name="name_nb"' in page.content
    assert client.get(f"/admin/catalogue/{model}/add/").status_code == 200


def test_a_measure_edit_in_the_admin_keeps_its_compliance_elements(client, loaded,
                                                                   programme_admin):
    from django.forms.models import model_to_dict

    from safehands.catalogue.models import Measure

    measure = Measure.objects.get(code="falls.bundle_compliance")
    data = {k: ("" if v is None else v) for k, v in model_to_dict(measure).items()
            if k not in ("id", "compliance_elements", "code", "origin", "locally_edited")}
    data.update(target_area=measure.target_area_id, sampling="Ten patients a month.")
    client.force_login(programme_admin)
    response = client.post(f"/admin/catalogue/measure/{measure.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    measure.refresh_from_db()
    assert measure.sampling == "Ten patients a month." and measure.locally_edited
    assert measure.compliance_elements.count() == 3
