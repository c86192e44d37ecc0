"""Fixtures shared by the whole suite: a small org tree and users with roles on it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

TREE_CSV = """code,name,kind,parent_code,name_nb
NO,Norway,national,,Norge
R1,Region One,region,NO,Region en
R2,Region Two,region,NO,Region to
T1,Trust One,trust,R1,
H1,Hospital One,hospital,T1,
W1,Ward One,unit,H1,
W2,Ward Two,unit,H1,
T2,Trust Two,trust,R2,
H2,Hospital Two,hospital,T2,
W3,Ward Three,unit,H2,
M1,Municipality One,municipality,NO,
N1,Nursing Home One,nursing_home,M1,
"""


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 is slow on purpose; tests that are not about hashing use a fast hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def tree(db) -> dict:
    """Twelve org units in two regions and a municipality, keyed by code."""
    from safehands.orgs.models import OrgUnit
    from safehands.orgs.services import org_units_import

    summary = org_units_import(text=TREE_CSV, actor=None, source="system")
    assert not summary.problems, summary.problems
    return {u.code: u for u in OrgUnit.objects.all()}


@pytest.fixture
def make_user(db) -> Callable:
    """make_user("name", ("W1", "reporter"), ...) -> a user with those roles."""
    from django.contrib.auth import get_user_model

    from safehands.orgs.models import Membership, OrgUnit

    def make(username: str, *grants: tuple[str, str], **fields) -> object:
        user = get_user_model().objects.create_user(
            username=username, password="correct horse battery", **fields)
        for code, role in grants:
            Membership.objects.create(user=user, org_unit=OrgUnit.objects.get(code=code),
                                      role=role)
        return user

    return make
