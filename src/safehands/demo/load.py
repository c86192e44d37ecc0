"""Demo organisations and users, for `safehands setup --demo`. Idempotent."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml
from django.contrib.auth import get_user_model
from django.db import transaction

from safehands.core.errors import DomainError
from safehands.orgs.models import Membership
from safehands.orgs.queries import org_unit_get
from safehands.orgs.services import membership_grant, org_units_import

# Each capability loads its own demo data after the organisations and users exist:
# "module:function", called with no arguments, idempotent, returning counts to print.
DEMO_STEPS: list[str] = [
    "safehands.measurement.demo:demo_load",
    "safehands.culture.demo:demo_load",
    "safehands.harm.demo:demo_load",
    "safehands.assessment.demo:demo_load",
    "safehands.events.demo:demo_load",
]

DEMO_PASSWORD = "safehands-demo"
DEMO_IMPORT_FAILED = "The demo organisations did not import: {problems}"


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    grants: list[dict[str, str]]
    note: str
    programme_admin: bool = False


def demo_users() -> list[DemoUser]:
    text = resources.files("safehands.demo").joinpath("users.yaml").read_text("utf-8")
    return [DemoUser(**entry) for entry in yaml.safe_load(text)]


def demo_orgs_csv() -> str:
    return resources.files("safehands.demo").joinpath("orgs.csv").read_text("utf-8")


@transaction.atomic
def demo_load() -> dict[str, int]:
    summary = org_units_import(text=demo_orgs_csv(), actor=None, source="system")
    if summary.problems:
        raise DomainError(DEMO_IMPORT_FAILED.format(
            problems="; ".join(p.message for p in summary.problems[:5])))
    User = get_user_model()
    created_users = 0
    for demo in demo_users():
        user = User.objects.filter(username=demo.username).first()
        if user is None:
            first, _, last = demo.name.partition(" ")
            user = User.objects.create_user(
                username=demo.username, password=DEMO_PASSWORD, first_name=first,
                last_name=last, is_programme_admin=demo.programme_admin,
                is_staff=demo.programme_admin,
            )
            created_users += 1
        for grant in demo.grants:
            unit = org_unit_get(code=grant["org"])
            if not Membership.objects.filter(user=user, org_unit=unit, role=grant["role"]).exists():
                membership_grant(user=user, org_unit=unit, role=grant["role"], actor=None,
                                 source="system")
    return {"org_units_created": summary.created, "org_units_updated": summary.updated,
            "users_created": created_users}


def demo_steps_run() -> dict[str, dict[str, Any]]:
    """Run every capability's demo loader, in order; each is idempotent."""
    results = {}
    for target in DEMO_STEPS:
        module_name, function_name = target.split(":")
        results[module_name] = getattr(importlib.import_module(module_name), function_name)()
    return results
