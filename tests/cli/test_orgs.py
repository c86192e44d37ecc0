"""`safehands orgs` and `safehands users` through click's runner, on the test database."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from safehands.cli.main import cli
from safehands.orgs.models import Membership, OrgUnit


@pytest.fixture
def run(db):
    def invoke(*args: str):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return invoke


def test_orgs_list_json_gives_code_name_kind_and_parent(tree, run):
    result = run("orgs", "list", "--format", "json")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert len(rows) == 12
    assert rows[0] == {"code": "NO", "name": "Norway", "kind": "national", "parent_code": None}
    assert {"code": "W1", "name": "Ward One", "kind": "unit", "parent_code": "H1"} in rows


def test_orgs_import_reports_each_bad_row_and_changes_nothing(tree, run, tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("code,name,kind,parent_code\nW9,Ward,unit,H1\nW8,Ward,unit,ZZ\n",
                    encoding="utf-8")
    result = run("orgs", "import", str(path))
    assert result.exit_code == 1
    assert "units.csv, row 3, parent_code: Parent 'ZZ' is neither in the file nor in the " \
           "database." in result.output
    assert "Nothing was imported: 1 problem(s) in units.csv." in result.output
    assert not OrgUnit.objects.filter(code="W9").exists()


def test_orgs_import_dry_run_then_real(tree, run, tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("code,name,kind,parent_code\nW9,Ward Nine,unit,H1\n", encoding="utf-8")
    assert "Would create 1" in run("orgs", "import", str(path), "--dry-run").output
    assert not OrgUnit.objects.filter(code="W9").exists()
    assert "Created 1" in run("orgs", "import", str(path)).output
    assert OrgUnit.objects.get(code="W9").path == "NO/R1/T1/H1/W9/"


def test_orgs_import_as_a_user_uses_their_rights(tree, run, tmp_path, make_user):
    make_user("w3admin", ("W3", "admin"))
    path = tmp_path / "units.csv"
    path.write_text("code,name,kind,parent_code\nW9,Ward Nine,unit,H1\n", encoding="utf-8")
    result = run("orgs", "import", str(path), "--as", "w3admin")
    assert result.exit_code == 1
    assert "You do not have access to this org unit." in result.output


def test_orgs_import_rejects_a_file_that_is_not_utf8(tree, run, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("code,name,kind,parent_code\nW9,Tr\xf8ndelag,unit,H1\n".encode("latin-1"))
    result = run("orgs", "import", str(path))
    assert result.exit_code == 1
    assert "latin1.csv: not UTF-8 text" in result.output


def test_users_grant_and_token(tree, run, make_user):
    make_user("kari")
    result = run("users", "grant", "kari", "--org", "W1", "--role", "reporter")
    assert result.exit_code == 0, result.output
    assert Membership.objects.get(user__username="kari").role == "reporter"
    assert run("users", "grant", "kari", "--org", "NOPE", "--role", "viewer").exit_code == 1
    token = run("users", "token", "kari", "--name", "export").output.strip()
    assert token.startswith("sh_") and len(token) > 30


def test_setup_with_demo_is_idempotent_and_prints_logins(run):
    first = run("setup", "--demo")
    assert first.exit_code == 0, first.output
    assert "national.leader" in first.output and "safehands-demo" in first.output
    lines = {line.split()[0]: line for line in first.output.splitlines()
             if line.startswith("  ") and "." in line.split()[0]}
    assert lines["ous.admin"].endswith(" *") and not lines["national.leader"].endswith(" *")
    assert "authenticator app too" in first.output
    units = OrgUnit.objects.count()
    assert units > 300
    second = run("setup", "--demo")
    assert second.exit_code == 0
    assert "0 org units and 0 users created" in second.output
    assert OrgUnit.objects.count() == units
