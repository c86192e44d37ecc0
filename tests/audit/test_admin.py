"""The audit trail is listed, filtered and never edited in the admin pages."""

from __future__ import annotations

from safehands.audit.models import AuditEvent
from safehands.orgs.services import membership_grant


def test_admin_lists_the_trail_with_filters_and_refuses_changes(client, tree, make_user):
    admin = make_user("root", is_superuser=True, is_staff=True)
    membership_grant(user=make_user("kari"), org_unit=tree["W1"], role="viewer", actor=admin)
    client.force_login(admin)
    response = client.get("/admin/audit/auditevent/?action=orgs.membership.grant")
    assert response.status_code == 200
    assert b"orgs.membership.grant" in response.content
    event = AuditEvent.objects.get(action="orgs.membership.grant")
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}
                       ).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_non_staff_users_cannot_open_the_admin(client, tree, make_user):
    client.force_login(make_user("kari", ("NO", "admin")))
    assert client.get("/admin/audit/auditevent/").status_code == 302
