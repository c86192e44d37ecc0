"""The read log's service and model: one row per read, the unusual flag, append-only rows,
retention and the purge command."""

from __future__ import annotations

import datetime

import pytest
from click.testing import CliRunner
from django.db import connection, transaction
from django.utils import timezone

from safehands.audit.models import ReadEvent, ReadKind, ReadLogAppendOnly, ReadPurpose
from safehands.audit.services import read_event_create, read_events_purge, read_log_days
from safehands.cli.main import cli
from safehands.orgs.reads import client_address, owning_organisation_path, record_read


def _read(user, unit, objects=None, **extra):
    return record_read(actor=user, unit=unit, kind=ReadKind.GTT_RECORD,
                       purpose=ReadPurpose.GTT_RECORD_REVIEW,
                       objects=objects if objects is not None else [unit], **extra)


def test_record_read_writes_one_row_with_who_what_where_and_why(tree, make_user):
    kari = make_user("kari", ("H1", "coordinator"))
    event = record_read(actor=kari, unit=tree["W1"], kind=ReadKind.GTT_RECORD,
                        purpose=ReadPurpose.GTT_PERIOD_REVIEW,
                        objects=[tree["W1"], tree["W2"]], where="/harm/teams/X/periods/1/",
                        source="web", client_address="10.0.0.7")
    assert ReadEvent.objects.count() == 1
    event.refresh_from_db()
    assert (event.actor, event.actor_username, event.kind, event.purpose) == (
        kari, "kari", "gtt_record", "gtt_period_review")
    assert (event.object_type, event.object_id, event.object_ids, event.object_count) == (
        "orgs.orgunit", "", [str(tree["W1"].pk), str(tree["W2"].pk)], 2)
    assert event.object_repr == "Ward One, Ward Two"
    assert (event.org_path, event.org_code) == (tree["W1"].path, "W1")
    assert (event.where, event.source, event.client_address) == (
        "/harm/teams/X/periods/1/", "web", "10.0.0.7")
    assert (event.unusual, event.unusual_reason, event.granted_at) == (False, "", "")
    assert timezone.now() - event.at < datetime.timedelta(minutes=1)


def test_one_record_read_names_the_record(tree, make_user):
    event = _read(make_user("kari", ("H1", "viewer")), tree["H1"], objects=[tree["H1"]])
    assert (event.object_id, event.object_count) == (str(tree["H1"].pk), 1)


@pytest.mark.parametrize(("grant", "unit", "reason", "granted_at"), [
    (("H1", "coordinator"), "H1", "", ""),          # the hospital's own people
    (("H1", "viewer"), "W1", "", ""),               # a hospital role over its ward
    (("T1", "coordinator"), "W2", "", ""),          # the trust owns the hospital's data
    (("W1", "reporter"), "W1", "", ""),
    (("M1", "admin"), "N1", "", ""),                # a municipality over its nursing home
    (("R1", "coordinator"), "H1", "above_organisation", "R1"),  # regional role, hospital data
    (("NO", "viewer"), "W1", "above_organisation", "NO"),       # national role, ward records
    (("NO", "admin"), "N1", "above_organisation", "NO"),
    (("R1", "coordinator"), "R1", "", ""),          # regional data read by the region
    (("NO", "coordinator"), "R2", "above_organisation", "NO"),
])
def test_reads_through_a_role_above_the_owning_organisation_are_unusual(
        tree, make_user, grant, unit, reason, granted_at):
    event = _read(make_user("reader", grant), tree[unit])
    assert (event.unusual, event.unusual_reason, event.granted_at) == (
        bool(reason), reason, granted_at)


def test_a_local_role_makes_a_read_usual_even_beside_a_national_one(tree, make_user):
    reader = make_user("reader", ("NO", "admin"), ("H1", "viewer"))
    assert _read(reader, tree["W1"]).unusual is False
    assert _read(reader, tree["W3"]).granted_at == "NO"


def test_programme_admin_and_superuser_reads_are_flagged_with_their_reason(tree, make_user):
    admin = make_user("padmin", ("R1", "admin"), is_programme_admin=True)
    event = _read(admin, tree["W1"])
    assert (event.unusual_reason, event.granted_at) == ("programme_admin", "R1")
    root = make_user("root", is_superuser=True)
    event = _read(root, tree["W1"])
    assert (event.unusual, event.unusual_reason, event.granted_at) == (True, "superuser", "")


def test_owning_organisation_is_the_highest_trust_or_municipality_above(tree):
    assert owning_organisation_path(tree["W1"]) == tree["T1"].path
    assert owning_organisation_path(tree["N1"]) == tree["M1"].path
    assert owning_organisation_path(tree["R2"]) == tree["R2"].path


def test_a_read_is_one_insert_whatever_the_number_of_records(tree, make_user,
                                                             django_assert_num_queries):
    reader = make_user("reader", ("H1", "coordinator"))
    reader._safehands_grants = [(tree["H1"].path, 3)]
    # one query for the kinds of the units above, one insert
    with django_assert_num_queries(2):
        _read(reader, tree["H1"], objects=list(tree.values()))
    assert ReadEvent.objects.get().object_count == len(tree)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("kind", "everything", "unknown read kind 'everything'"),
    ("purpose", "curiosity", "unknown read purpose 'curiosity'"),
    ("source", "email", "unknown read source 'email'"),
    ("org_path", "", "a read needs the org path"),
])
def test_read_event_create_refuses_unknown_values(tree, field, value, message):
    arguments = {"actor": None, "kind": "gtt_record", "purpose": "gtt_record_review",
                 "org_path": tree["H1"].path, "objects": [], field: value}
    with pytest.raises(ValueError, match=message):
        read_event_create(**arguments)
    assert not ReadEvent.objects.exists()


def test_rows_cannot_be_changed_or_deleted_through_the_orm(tree, make_user):
    event = _read(make_user("kari", ("H1", "viewer")), tree["H1"])
    event.actor_username = "someone.else"
    with pytest.raises(ReadLogAppendOnly, match="append-only"):
        event.save()
    with pytest.raises(ReadLogAppendOnly):
        event.delete()
    with pytest.raises(ReadLogAppendOnly):
        ReadEvent.objects.filter(pk=event.pk).update(actor_username="x")
    with pytest.raises(ReadLogAppendOnly):
        ReadEvent.objects.all().delete()
    event.refresh_from_db()
    assert event.actor_username == "kari"


def test_the_database_refuses_to_change_a_row(tree, make_user):
    if connection.vendor not in ("sqlite", "postgresql"):
        pytest.skip("the guard is a trigger on SQLite and PostgreSQL")
    event = _read(make_user("kari", ("H1", "viewer")), tree["H1"])
    with (pytest.raises(Exception, match="append-only"), transaction.atomic(),
          connection.cursor() as cursor):
        cursor.execute("UPDATE audit_readevent SET actor_username = 'x' WHERE id = %s",
                       [event.pk])
    event.refresh_from_db()
    assert event.actor_username == "kari"


def test_deleting_the_reader_keeps_the_row_with_their_name(tree, make_user):
    kari = make_user("kari", ("H1", "viewer"))
    event = _read(kari, tree["H1"])
    kari.delete()
    event.refresh_from_db()
    assert (event.actor, event.actor_username) == (None, "kari")


def test_client_address_believes_the_forwarded_header_only_behind_a_declared_proxy(
        rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.4")
    settings.SECURE_PROXY_SSL_HEADER = None
    assert client_address(request) == "10.0.0.1"
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client_address(request) == "192.0.2.4"


def _old_and_new(tree, user, days_ago: list[int]) -> None:
    now = timezone.now()
    for days in days_ago:
        ReadEvent.objects.create(actor=user, actor_username=user.username, kind="gtt_record",
                                 purpose="gtt_record_review", org_path=tree["H1"].path,
                                 at=now - datetime.timedelta(days=days))


def test_purge_removes_only_rows_older_than_the_limit(tree, make_user, settings):
    settings.SAFEHANDS_READ_LOG_DAYS = 30
    _old_and_new(tree, make_user("kari"), [0, 29, 31, 400, 401])
    seen = []
    deleted = read_events_purge(batch_size=2, progress=lambda done, total: seen.append(
        (done, total)))
    assert deleted == 3
    assert seen == [(2, 3), (3, 3)]
    left = sorted((timezone.now() - e.at).days for e in ReadEvent.objects.all())
    assert left == [0, 29]


def test_the_default_retention_is_ten_years(settings):
    del settings.SAFEHANDS_READ_LOG_DAYS
    assert read_log_days() == 3650


@pytest.mark.parametrize("days", [0, -5, "30", True])
def test_a_bad_retention_setting_is_refused_before_anything_is_deleted(tree, make_user,
                                                                      settings, days):
    settings.SAFEHANDS_READ_LOG_DAYS = days
    _old_and_new(tree, make_user("kari"), [5000])
    with pytest.raises(ValueError, match="SAFEHANDS_READ_LOG_DAYS must be a whole number"):
        read_events_purge()
    assert ReadEvent.objects.count() == 1


def test_purge_reads_command_reports_progress_and_keeps_young_rows(tree, make_user, settings):
    settings.SAFEHANDS_READ_LOG_DAYS = 100
    _old_and_new(tree, make_user("kari"), [1, 99, 101, 102, 103])
    runner = CliRunner()
    result = runner.invoke(cli, ["audit", "purge-reads", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Would delete 3 of 5 read-log rows." in result.output
    assert ReadEvent.objects.count() == 5
    result = runner.invoke(cli, ["audit", "purge-reads", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "Keeping 100 days of reads" in result.output
    assert "Deleted 2 of 3 (66%)." in result.output
    assert "Deleted 3 of 3 (100%)." in result.output
    assert "Deleted 3 read-log rows; 2 kept." in result.output
    assert ReadEvent.objects.count() == 2


def test_purge_reads_command_names_a_bad_setting(settings, db):
    settings.SAFEHANDS_READ_LOG_DAYS = 0
    result = CliRunner().invoke(cli, ["audit", "purge-reads"])
    assert result.exit_code == 1
    assert "SAFEHANDS_READ_LOG_DAYS must be a whole number of days, 1 or more." in result.output
