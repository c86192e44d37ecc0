from __future__ import annotations

import datetime

import pytest
from django.utils import timezone


@pytest.fixture
def catalogue(db):
    from safehands.catalogue.services import catalogue_load

    catalogue_load(actor=None, source="system")


@pytest.fixture
def people(tree, make_user, catalogue) -> dict:
    """A nurse and two coordinators in trust one, a coordinator of trust two."""
    return {
        "nurse": make_user("nurse", ("W1", "reporter")),
        "handler": make_user("handler", ("H1", "coordinator")),
        "lead": make_user("lead", ("T1", "coordinator")),
        "viewer": make_user("viewer", ("H1", "viewer")),
        "other": make_user("other", ("T2", "coordinator")),
        "other_nurse": make_user("other_nurse", ("W3", "reporter")),
    }


@pytest.fixture
def report(tree, people):
    """report(**changes) -> a Receipt for a low-harm fall on ward one, reported by the nurse."""
    from safehands.events.services import event_report

    def make(**changes):
        fields = {
            "org_unit": tree["W1"], "event_type": "fall", "outcome": "low",
            "occurred_at": timezone.now() - datetime.timedelta(hours=3),
            "description": "Patient fell on the way to the bathroom at night.",
            "reached_patient": True, "actor": people["nurse"],
        }
        fields.update(changes)
        return event_report(**fields)

    return make


@pytest.fixture
def places(transactional_db, tree, catalogue):
    """The tree and the catalogue, committed, for the live server of the browser tests."""
    return tree


@pytest.fixture
def violations(page):
    """Content-Security-Policy violations the page reports while a browser test runs."""
    seen: list[str] = []
    page.expose_function("reportViolation", lambda text: seen.append(text))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "window.reportViolation(e.violatedDirective + ' ' + e.blockedURI));")
    return seen
