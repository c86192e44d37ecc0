"""Two people saving the same data value at once: one wins, the other is told, nothing lost."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from safehands.core.errors import Conflict
from safehands.measurement import periods, services
from safehands.measurement.models import DataValue


def _month() -> str:
    return periods.latest("monthly", count=2)[0]


@pytest.fixture
def nurses(make_user):
    return make_user("nurse.a", ("W1", "reporter")), make_user("nurse.b", ("W1", "reporter"))


def _save(unit, measure, nurse, numerator, expected):
    return services.data_value_upsert(unit=unit, measure=measure, period=_month(),
                                      numerator=numerator, denominator=1000, actor=nurse,
                                      expected_version=expected)


def test_a_stale_save_is_refused_and_the_first_value_kept(enrolled, tree, measures, nurses):
    a, b = nurses
    rate = measures["falls.rate"]
    _save(tree["W1"], rate, a, 3, 0)
    first = _save(tree["W1"], rate, a, 4, 1)  # both opened version 1; a saves first
    with pytest.raises(Conflict) as raised:
        _save(tree["W1"], rate, b, 9, 1)
    assert "numerator 4" in raised.value.message and raised.value.extra["version"] == 2
    value = DataValue.objects.get(pk=first.pk)
    assert (value.numerator, value.version) == (4, 2)


def test_saving_what_is_already_there_is_no_conflict(enrolled, tree, measures, nurses):
    a, b = nurses
    rate = measures["falls.rate"]
    _save(tree["W1"], rate, a, 3, 0)
    _save(tree["W1"], rate, a, 4, 1)
    assert _save(tree["W1"], rate, b, 4, 1).version == 2


def test_two_first_entries_the_second_is_told(enrolled, tree, measures, nurses):
    a, b = nurses
    rate = measures["falls.rate"]
    _save(tree["W1"], rate, a, 3, 0)
    with pytest.raises(Conflict):
        _save(tree["W1"], rate, b, 5, 0)


def _entry(client: Client, prefix: str, version: str, numerator: str):
    month = _month()
    data = {"period": month, f"{prefix}-numerator": numerator, f"{prefix}-version": version}
    if numerator:
        data[f"{prefix}-denominator"] = "1000"
    return client.post(f"/measurement/W1/entry/?period={month}", data)


def test_the_entry_form_tells_the_second_nurse(enrolled, nurses):
    a, b = Client(), Client()
    a.force_login(nurses[0])
    b.force_login(nurses[1])
    month = _month()
    rows = a.get(f"/measurement/W1/entry/?period={month}").context["rows"]
    prefix = next(r["prefix"] for r in rows if r["measure"].code == "falls.rate")
    b.get(f"/measurement/W1/entry/?period={month}")
    assert _entry(a, prefix, "0", "3").status_code == 302
    response = _entry(b, prefix, "0", "7")
    assert response.status_code == 400
    assert "Someone else saved this value" in response.content.decode()
    assert DataValue.objects.get(measure__code="falls.rate", period=month).numerator == 3
    # Emptying the cell on a stale form does not delete the other nurse's value either.
    assert _entry(b, prefix, "0", "").status_code == 400
    assert DataValue.objects.filter(measure__code="falls.rate", period=month).exists()


@pytest.mark.django_db(transaction=True)
def test_two_saves_at_the_same_moment_one_wins(enrolled, tree, measures, nurses):
    if connection.vendor != "postgresql":
        pytest.skip("row locks across connections are proven on PostgreSQL")
    rate = measures["falls.rate"]
    _save(tree["W1"], rate, nurses[0], 3, 0)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(nurse, numerator):
        from django.db import connections

        try:
            barrier.wait()
            _save(tree["W1"], rate, nurse, numerator, 1)
            outcomes.append("saved")
        except Conflict:
            outcomes.append("told")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(nurse, n))
               for nurse, n in zip(nurses, (5, 6), strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["saved", "told"]
    value = DataValue.objects.get(measure=rate, period=_month())
    assert value.version == 2 and value.numerator in (5, 6)


def test_the_api_answers_409_to_a_stale_save(client, enrolled, tree, measures, nurses):
    _save(tree["W1"], measures["falls.rate"], nurses[0], 3, 0)
    client.force_login(nurses[1])
    body = {"measure": "falls.rate", "period": _month(), "numerator": 8, "denominator": 1000,
            "expected_version": 0}
    response = client.post("/api/v1/measurement/units/W1/values", body,
                           content_type="application/json")
    assert response.status_code == 409
    assert response.json()["extra"]["version"] == 1
    fresh = client.post("/api/v1/measurement/units/W1/values", {**body, "expected_version": 1},
                        content_type="application/json")
    assert fresh.status_code == 200 and fresh.json()["numerator"] == 8
