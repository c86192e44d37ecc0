"""Reviewing granted roles at set intervals (Normen): due dates, the page, the reminder."""

from __future__ import annotations

import datetime

import pytest
from click.testing import CliRunner
from django.core import mail
from django.utils import timezone

from safehands.audit.models import AuditEvent
from safehands.cli.main import cli
from safehands.core.errors import AccessDenied
from safehands.orgs.models import Membership, RoleReview
from safehands.orgs.queries import role_review_status, role_reviewers, role_reviews_due
from safehands.orgs.services import role_review_record


@pytest.fixture
def staff(tree, make_user):
    admin = make_user("h1.admin", ("H1", "admin"), email="admin@h1.example")
    nurse = make_user("nurse", ("W1", "reporter"))
    make_user("t2.admin", ("T2", "admin"))  # no address: cannot be reached by mail
    make_user("w3.viewer", ("W3", "viewer"))
    return {"admin": admin, "nurse": nurse}


def _age_roles(days: int) -> None:
    Membership.objects.update(created_at=timezone.now() - datetime.timedelta(days=days))


def test_a_unit_never_reviewed_is_due_from_its_oldest_grant(tree, staff):
    _age_roles(200)
    status = role_review_status(unit=tree["W1"], days=180)
    assert status.memberships == 1 and status.last_review is None and status.overdue
    assert role_review_status(unit=tree["W2"]) is None  # no roles granted there
    due = [s.unit.code for s in role_reviews_due(days=180)]
    assert due == sorted(due) and set(due) == {"H1", "W1", "T2", "W3"}


def test_a_review_starts_the_next_interval_and_is_audited(tree, staff):
    _age_roles(200)
    role_review_record(org_unit=tree["W1"], actor=staff["admin"], note="All still needed")
    status = role_review_status(unit=tree["W1"], days=180)
    assert not status.overdue
    assert status.due_on == timezone.localdate() + datetime.timedelta(days=180)
    assert "W1" not in [s.unit.code for s in role_reviews_due(days=180)]
    assert AuditEvent.objects.filter(action="orgs.roles.reviewed", org_path=tree["W1"].path
                                     ).count() == 1


def test_only_an_administrator_of_the_unit_records_a_review(tree, staff):
    with pytest.raises(AccessDenied):
        role_review_record(org_unit=tree["W1"], actor=staff["nurse"])
    assert not RoleReview.objects.exists()


def test_the_reviewers_are_the_nearest_administrators(tree, staff):
    assert role_reviewers(unit=tree["W1"]) == [staff["admin"]]
    assert [u.username for u in role_reviewers(unit=tree["W3"])] == ["t2.admin"]
    assert role_reviewers(unit=tree["N1"]) == []


def test_the_page_shows_the_due_date_and_records_the_review(client, tree, staff):
    _age_roles(200)
    client.force_login(staff["admin"])
    page = client.get("/orgs/W1/").content.decode()
    assert "have not been reviewed yet" in page and "Review due since" in page
    response = client.post("/orgs/W1/members/reviewed/")
    assert response.status_code == 302
    assert "Roles here last reviewed on" in client.get("/orgs/W1/").content.decode()
    client.force_login(staff["nurse"])
    assert client.post("/orgs/W1/members/reviewed/").status_code == 403
    assert RoleReview.objects.count() == 1


def test_the_command_lists_and_mails_the_units_due(tree, staff):
    _age_roles(400)
    result = CliRunner().invoke(cli, ["orgs", "roles-due", "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "code,name,roles,last_reviewed,due_on" and len(lines) == 5
    result = CliRunner().invoke(cli, ["orgs", "roles-due", "--mail",
                                      "--base-url", "https://sh.example/"])
    assert result.exit_code == 0, result.output
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["admin@h1.example"]
    body = mail.outbox[0].body
    assert "https://sh.example/orgs/W1/" in body and "https://sh.example/orgs/H1/" in body
    assert "W3" not in body  # T2's administrator has no address
    audit = AuditEvent.objects.get(action="orgs.roles.reminded")
    assert audit.after["unreachable"] == ["t2.admin"] and audit.after["mails"] == 1
