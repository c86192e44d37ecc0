"""The one permission function: roles over subtrees, rank order, and its query twin."""

from __future__ import annotations

import pytest

from safehands.core.errors import AccessDenied
from safehands.orgs.access import (
    NEEDS_LOGIN,
    NEEDS_PROGRAMME_ADMIN,
    NO_ACCESS_TO_UNIT,
    authorize,
    can,
    org_units_permitted,
)


def test_role_on_a_unit_reaches_its_whole_subtree_and_nothing_else(tree, make_user):
    user = make_user("hilde", ("H1", "viewer"))
    allowed = {code for code, unit in tree.items() if can(user, "org.view", unit)}
    assert allowed == {"H1", "W1", "W2"}


def test_the_query_twin_gives_exactly_the_units_the_function_allows(tree, make_user):
    user = make_user("mixed", ("T1", "viewer"), ("W3", "coordinator"), ("M1", "admin"))
    for permission in ("org.view", "membership.view", "org.edit"):
        by_function = {c for c, u in tree.items() if can(user, permission, u)}
        by_query = set(org_units_permitted(user, permission).values_list("code", flat=True))
        assert by_function == by_query, permission
    assert set(org_units_permitted(user, "org.edit").values_list("code", flat=True)) == {
        "M1", "N1"}


def test_a_lower_role_is_refused_with_the_role_it_needs(tree, make_user):
    user = make_user("rita", ("W1", "reporter"))
    with pytest.raises(AccessDenied) as denied:
        authorize(user, "audit.view", tree["W1"])
    assert denied.value.message == "This needs the coordinator role for Ward One."


def test_no_role_at_all_names_the_unit(tree, make_user):
    user = make_user("outsider", ("W3", "admin"))
    with pytest.raises(AccessDenied) as denied:
        authorize(user, "org.view", tree["W1"])
    assert denied.value.message == NO_ACCESS_TO_UNIT
    assert denied.value.extra == {"permission": "org.view", "org_unit": "W1"}


def test_a_role_below_does_not_reach_up(tree, make_user):
    user = make_user("ward.admin", ("W1", "admin"))
    assert not can(user, "org.view", tree["H1"])
    assert not can(user, "org.view", tree["NO"])


def test_anonymous_and_inactive_users_get_nothing(tree, make_user):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(AccessDenied, match=str(NEEDS_LOGIN)):
        authorize(AnonymousUser(), "catalogue.view")
    user = make_user("gone", ("NO", "admin"), is_active=False)
    assert not can(user, "org.view", tree["W1"])
    assert not org_units_permitted(user, "org.view").exists()


def test_catalogue_edit_needs_the_programme_admin_flag(tree, make_user):
    national_admin = make_user("nat", ("NO", "admin"))
    programme_admin = make_user("prog", is_programme_admin=True)
    with pytest.raises(AccessDenied, match=str(NEEDS_PROGRAMME_ADMIN)):
        authorize(national_admin, "catalogue.edit")
    authorize(programme_admin, "catalogue.edit")
    assert can(national_admin, "catalogue.view")


def test_superuser_may_do_everything(tree, make_user):
    root = make_user("root", is_superuser=True)
    assert all(can(root, "org.edit", unit) for unit in tree.values())
    assert org_units_permitted(root, "org.edit").count() == len(tree)


def test_unknown_permission_is_a_programming_error(tree, make_user):
    with pytest.raises(ValueError, match="Unknown permission"):
        can(make_user("x"), "org.fly", tree["NO"])
