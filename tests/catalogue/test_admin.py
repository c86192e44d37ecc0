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
