"""The admin shows an event's metadata, never its free text, and changes nothing."""

from __future__ import annotations


def test_the_admin_never_shows_a_reports_text(client, report, make_user):
    event = report(description="Secret details of what happened on the night shift.").event
    staff = make_user("it.staff", is_staff=True, is_superuser=True)
    client.force_login(staff)
    listing = client.get("/admin/events/event/")
    assert listing.status_code == 200 and event.reference in listing.content.decode()
    detail = client.get(f"/admin/events/event/{event.pk}/change/")
    assert detail.status_code == 200
    assert "Secret details" not in detail.content.decode()
    assert "Secret details" not in listing.content.decode()
    assert client.post(f"/admin/events/event/{event.pk}/delete/").status_code == 403
