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


def test_admin_shows_the_read_log_and_refuses_to_add_change_or_delete(client, tree, make_user):
    from safehands.audit.models import ReadEvent
    from safehands.orgs.reads import record_read

    admin = make_user("root", is_superuser=True, is_staff=True)
    event = record_read(actor=admin, unit=tree["W1"], kind="gtt_record",
                        purpose="gtt_record_review", objects=[tree["W1"]])
    client.force_login(admin)
    listing = client.get("/admin/audit/readevent/?unusual__exact=1")
    assert listing.status_code == 200 and b"Ward One" in listing.content
    assert client.get(f"/admin/audit/readevent/{event.pk}/change/").status_code == 200
    assert client.get("/admin/audit/readevent/add/").status_code == 403
    assert client.post(f"/admin/audit/readevent/{event.pk}/change/",
                       {"actor_username": "x"}).status_code == 403
    assert client.post(f"/admin/audit/readevent/{event.pk}/delete/", {"post": "yes"}
                       ).status_code == 403
    assert client.post("/admin/audit/readevent/", {
        "action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    ).status_code in (200, 302, 403)
    event.refresh_from_db()
    assert event.actor_username == "root" and ReadEvent.objects.count() == 1
