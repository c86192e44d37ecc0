"""The API fuzzed against its own OpenAPI document, on the demo data, as several roles.

Schemathesis generates requests from the schema, valid and not, and checks every answer:
no server error, a status, headers and body that the schema declares for that operation, and
invalid input refused. Each generated request is sent as every role, then once more with its
path pointing at real demo objects (units, catalogue codes, GTT teams, survey rounds,
assessments), so the fuzzing reaches past "not found" into the answers with data.
The example count per operation is small in CI; `make bench` raises it
(`SAFEHANDS_FUZZ_EXAMPLES`).
"""

from __future__ import annotations

import importlib
import os
import zlib

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi import checks

from safehands.wsgi import application

EXAMPLES = int(os.environ.get("SAFEHANDS_FUZZ_EXAMPLES", "20"))

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

# Operations whose body carries a whole file (CSV or JSON rows) as text: a schema-valid
# string is rarely a valid file, and the 422 that lists its problems is the right answer, so
# the "schema-valid data is accepted" check does not apply to them. Every other check does.
FILE_BODIES = {("POST", "/api/v1/measurement/imports"),
               ("POST", "/api/v1/harm/teams/{team}/reviews/import")}

# Demo users: a national reader, a hospital administrator, a regional quality adviser and a
# ward's reporter, so answers are checked for wide, narrow and writing roles alike.
USERNAMES = ("national.leader", "ous.admin", "hso.coordinator", "rh.med.reporter")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> dict:
    """The demo data, loaded once for every operation in one transaction rolled back at the
    end; each test runs inside it in a savepoint of its own (the `db` fixture).

    Runs on the embedded database: on PostgreSQL, after the suite's live-server tests, the
    module-long transaction met a closed connection; the API's answers do not depend on the
    engine, and the engine-specific paths have their own tests on both."""
    from django.db import connection, transaction

    if connection.vendor == "postgresql":
        pytest.skip("fuzzed on the embedded database; see the docstring")

    with django_db_blocker.unblock(), transaction.atomic():
        yield _demo_load()
        transaction.set_rollback(True)


def _demo_load() -> dict:
    from django.contrib.auth import get_user_model

    from safehands.accounts.services import api_token_create
    from safehands.assessment.models import Assessment
    from safehands.catalogue.models import ActionPlan, Measure, Programme, TargetArea
    from safehands.cli.setup import CONTENT_STEPS
    from safehands.culture.models import SurveyRound
    from safehands.demo.load import demo_load, demo_steps_run
    from safehands.events.models import Event
    from safehands.harm.models import GttTeam
    from safehands.orgs.models import OrgUnit

    for _label, target in CONTENT_STEPS:
        module_name, function_name = target.split(":")
        getattr(importlib.import_module(module_name), function_name)(actor=None, source="system")
    demo_load()
    demo_steps_run()
    users = get_user_model().objects.filter(username__in=USERNAMES)
    assert users.count() == len(USERNAMES)

    def codes(model, field="code") -> list[str]:
        values = [str(v) for v in model.objects.order_by(field).values_list(field, flat=True)]
        assert values, model
        return values

    return {
        "tokens": [api_token_create(user=u, name="fuzz", actor=u) for u in users],
        "pools": {
            "org": codes(OrgUnit), "programme": codes(Programme),
            "target-area": codes(TargetArea), "action-plan": codes(ActionPlan),
            "measure": codes(Measure), "team": codes(GttTeam),
            "round_id": codes(SurveyRound, "pk"), "pk": codes(Assessment, "pk"),
            "id": codes(Event, "pk"),
        },
    }


@schema.hook
def filter_query(ctx, query) -> bool:
    """The period rules a pattern cannot carry: week 53 exists only in some years, and a
    range of days does not end before it starts."""
    from safehands.measurement.periods import PeriodError, parse

    first, last = (query or {}).get("date_from"), (query or {}).get("date_to")
    if isinstance(first, str) and isinstance(last, str) and first > last:
        return False
    for value in (query or {}).values():
        if isinstance(value, str) and "-W53" in value:
            try:
                parse(value)
            except PeriodError:
                return False
    return True


@schema.hook
def filter_body(ctx, body) -> bool:
    """The one report rule a schema cannot carry: it happened between 2000 and now."""
    from datetime import datetime

    from django.utils import timezone

    from safehands.events.services import EARLIEST

    value = body.get("occurred_at") if isinstance(body, dict) else None
    if not isinstance(value, str):
        return True
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return True
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    return EARLIEST <= when <= timezone.now()


def _pool(path: str, name: str) -> str:
    if name == "code":
        for kind in ("programme", "target-area", "action-plan"):
            if f"/catalogue/{kind}s/" in path:
                return kind
        return "org"
    return name


def _real_objects(case, pools: dict[str, list[str]]) -> dict[str, str] | None:
    """The generated path parameters, each swapped for a real object picked by its value.

    Only for requests generated as valid: an invalid one must stay invalid to be refused."""
    if not case.path_parameters or (case.meta and case.meta.generation.mode.is_negative):
        return None
    real = {}
    for name, value in case.path_parameters.items():
        pool = pools[_pool(case.path, name)]
        real[name] = pool[zlib.crc32(str(value).encode()) % len(pool)]
    return real


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_every_operation_answers_as_its_schema_says(case, demo, db):
    excluded = ([checks.positive_data_acceptance]
                if (case.method.upper(), case.path) in FILE_BODIES else [])
    real = _real_objects(case, demo["pools"])
    for key in demo["tokens"]:
        headers = {"Authorization": f"Bearer {key}"}
        case.call_and_validate(headers=headers, excluded_checks=excluded)
        if real:
            generated = dict(case.path_parameters)
            case.path_parameters.update(real)
            try:
                case.call_and_validate(headers=headers, excluded_checks=excluded)
            finally:
                case.path_parameters.update(generated)
