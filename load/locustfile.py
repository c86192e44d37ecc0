"""The load test's mix of work, for locust: unit teams, leaders and file imports.

    SAFEHANDS_LOAD_ACCOUNTS=accounts.json locust -f load/locustfile.py --headless …

The accounts file is what `load/prepare.py` wrote. Three kinds of simulated people, in
proportion 12 : 4 : 1:

- **UnitTeam**: a care unit's reporter, signed in with the form. Saves the current month's
  values through the API (one measure at a time, as an integration would) and through the
  data-entry page (open it, fill every field, save: CSRF token and all); reads the unit's
  overview, a measure's chart page and its chart.csv; lists its values through the API.
- **Leader**: a viewer of the nation or of a region, signed in. Reads the nation's or the
  region's dashboard and a measure's roll-up chart and roll-up.csv.
- **Importer**: a unit whose data come by file. Every so often sends a small CSV (its
  measures for this month and the last) to the imports endpoint: a dry run, then the import.

Every answer must be what a working server gives (2xx, or a redirect followed to a 2xx);
anything else, or a saved form that did not redirect, or an import with conflicts, counts as
a failure. Request names are the URL shapes, so the figures read per endpoint.

SAFEHANDS_LOAD_SMOKE=1 is the short version the test suite runs: one person of each kind,
each doing every one of its tasks in turn, so that a few seconds exercise them all.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from datetime import date
from pathlib import Path
from typing import Any

from locust import HttpUser, between, constant

ACCOUNTS: dict[str, Any] = json.loads(
    Path(os.environ["SAFEHANDS_LOAD_ACCOUNTS"]).read_text(encoding="utf-8"))
SMOKE = os.environ.get("SAFEHANDS_LOAD_SMOKE") == "1"
RATIO_TYPES = {"proportion", "rate"}
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_FIELD = re.compile(r'name="(v-\d+-[^"]+)-(numerator|denominator|value|comment)"')


def this_month() -> str:
    return date.today().strftime("%Y-%m")


def last_month() -> str:
    today = date.today()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year}-{month:02d}"


def numbers(value_type: str) -> dict[str, float | None]:
    """Numbers every rule accepts for the value type (whole, numerator within denominator)."""
    if value_type in RATIO_TYPES:
        denominator = random.randint(15, 40)
        return {"numerator": random.randint(0, 10), "denominator": denominator, "value": None}
    return {"numerator": None, "denominator": None, "value": random.randint(0, 9)}


def mix(weights: dict[Any, int]) -> Any:
    """The weighted tasks, or in smoke mode one task that runs each of them in turn."""
    if not SMOKE:
        return weights

    def every_task_once(user: HttpUser) -> None:
        for task in weights:
            task(user)

    return [every_task_once]


class SignedIn(HttpUser):
    abstract = True
    pool: list[dict[str, Any]] = []
    _next = itertools.count()

    def on_start(self) -> None:
        # Each simulated person takes the next account: no two share a unit.
        self.account = self.pool[next(self._next) % len(self.pool)]
        self.code = self.account["code"]
        page = self.client.get("/login/", name="GET /login/")
        token = _CSRF.search(page.text)
        with self.client.post("/login/", name="POST /login/", catch_response=True, data={
                "username": self.account["username"], "password": ACCOUNTS["password"],
                "csrfmiddlewaretoken": token.group(1) if token else ""}) as answer:
            if answer.ok and "/login/" in answer.url:
                answer.failure("the sign-in was refused")

    def page(self, path: str, name: str) -> None:
        self.client.get(path, name=name)


class UnitTeam(SignedIn):
    fixed_count = 1 if SMOKE else 0  # smoke: exactly one of each kind
    weight = 12
    wait_time = constant(1) if SMOKE else between(0.5, 2.5)
    pool = ACCOUNTS["units"]
    _next = itertools.count()

    def api(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.account['token']}"}

    def save_value_api(self) -> None:
        code, value_type = random.choice(list(ACCOUNTS["measures"].items()))
        self.client.post(f"/api/v1/measurement/units/{self.code}/values",
                         name="POST /api/v1/measurement/units/[unit]/values",
                         headers=self.api(), json={"measure": code, "period": this_month(),
                                                   **numbers(value_type)})

    def save_month_form(self) -> None:
        path = f"/measurement/{self.code}/entry/?period={this_month()}"
        page = self.client.get(path, name="GET /measurement/[unit]/entry/")
        token = _CSRF.search(page.text)
        fields = {}
        for prefix, field in _FIELD.findall(page.text):
            fields.setdefault(prefix, set()).add(field)
        data = {"csrfmiddlewaretoken": token.group(1) if token else "",
                "period": this_month()}
        for prefix, present in fields.items():
            if "numerator" in present:
                denominator = random.randint(15, 40)
                data[f"{prefix}-numerator"] = str(random.randint(0, 10))
                data[f"{prefix}-denominator"] = str(denominator)
            else:
                data[f"{prefix}-value"] = str(random.randint(0, 9))
            data[f"{prefix}-comment"] = ""
        with self.client.post(path, data=data, name="POST /measurement/[unit]/entry/",
                              catch_response=True) as answer:
            if answer.ok and not answer.history:
                answer.failure("the month was not saved (no redirect after the form)")

    def overview(self) -> None:
        self.page(f"/measurement/{self.code}/", "GET /measurement/[unit]/")

    def chart(self) -> None:
        measure = random.choice(list(ACCOUNTS["measures"]))
        self.page(f"/measurement/{self.code}/measures/{measure}/",
                  "GET /measurement/[unit]/measures/[measure]/")

    def chart_csv(self) -> None:
        measure = random.choice(list(ACCOUNTS["measures"]))
        self.page(f"/measurement/{self.code}/measures/{measure}/chart.csv",
                  "GET /measurement/[unit]/measures/[measure]/chart.csv")

    def values_api(self) -> None:
        self.client.get(f"/api/v1/measurement/units/{self.code}/values",
                        params={"period_from": last_month()}, headers=self.api(),
                        name="GET /api/v1/measurement/units/[unit]/values")

    tasks = mix({save_value_api: 4, save_month_form: 1, overview: 2, chart: 4,
                 chart_csv: 2, values_api: 1})


class Leader(SignedIn):
    fixed_count = 1 if SMOKE else 0  # smoke: exactly one of each kind
    weight = 4
    wait_time = constant(1) if SMOKE else between(1, 4)
    pool = ACCOUNTS["leaders"]
    _next = itertools.count()

    def dashboard(self) -> None:
        self.page(f"/measurement/{self.code}/dashboard/", "GET /measurement/[org]/dashboard/")

    def rollup(self) -> None:
        measure = random.choice(list(ACCOUNTS["measures"]))
        self.page(f"/measurement/{self.code}/rollups/{measure}/",
                  "GET /measurement/[org]/rollups/[measure]/")

    def rollup_csv(self) -> None:
        measure = random.choice(list(ACCOUNTS["measures"]))
        self.page(f"/measurement/{self.code}/rollups/{measure}/rollup.csv",
                  "GET /measurement/[org]/rollups/[measure]/rollup.csv")

    tasks = mix({dashboard: 4, rollup: 2, rollup_csv: 1})


class Importer(HttpUser):
    fixed_count = 1 if SMOKE else 0  # smoke: exactly one of each kind
    weight = 1
    wait_time = constant(1) if SMOKE else between(5, 15)
    _next = itertools.count()

    def on_start(self) -> None:
        pool = ACCOUNTS["importers"]
        self.account = pool[next(self._next) % len(pool)]

    def send(self, text: str, *, dry_run: bool, name: str) -> None:
        with self.client.post(
                "/api/v1/measurement/imports", name=name, catch_response=True,
                headers={"Authorization": f"Bearer {self.account['token']}"},
                json={"format": "csv", "text": text, "dry_run": dry_run}) as answer:
            if answer.ok and answer.json().get("conflicts"):
                answer.failure(f"the import found conflicts: {answer.json()['conflicts'][:2]}")

    def import_file(self) -> None:
        rows = ["org_unit,measure,period,numerator,denominator,value,comment"]
        for period in (last_month(), this_month()):
            for measure, value_type in ACCOUNTS["measures"].items():
                given = numbers(value_type)
                cells = ["" if given[f] is None else str(given[f])
                         for f in ("numerator", "denominator", "value")]
                rows.append(",".join([self.account["code"], measure, period, *cells, ""]))
        text = "\n".join(rows) + "\n"
        self.send(text, dry_run=True, name="POST /api/v1/measurement/imports (dry run)")
        self.send(text, dry_run=False, name="POST /api/v1/measurement/imports")

    tasks = mix({import_file: 1})
