"""Make a database ready for the load test, after `safehands setup --demo`.

    DATABASE_URL=postgres://… python load/prepare.py --out ACCOUNTS.json [--units 300]
        [--months 36] [--importers 20]

It adds the synthetic regions of `safehands data generate` below the demo's national unit
(4 regions, their trusts and hospitals, `--units` care units enrolled in falls, `--months`
months of values ending last month), so the national dashboard reads the demo and the
synthetic units together, and the people who work on them:

- one reporter per care unit, with a password and an API token, each on a unit of their own,
  so that two simulated people never save the same value at once (a unit's team saves its
  month together, units save side by side);
- `--importers` more units whose data arrive by file through the API (a token each);
- leaders who read dashboards: a viewer of the nation and one of each synthetic region.

Reporters and viewers sign in without a second factor (only coordinators and
administrators must have one), so the web pages are driven with their passwords. The file
written holds every account, its unit and the measures the unit reports; the locustfile
reads it. The accounts are for a throwaway database: the password is one fixed text and its
hash is computed once for all of them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

PASSWORD = "load-test-password-not-for-real-use"
NATION = "NO"  # the demo's national unit
SYNTHETIC_ROOT = "NAT"  # the root of the synthetic tree, left out: its regions go below NO
REGIONS = [f"{SYNTHETIC_ROOT}-R{r}" for r in range(1, 5)]


def tree_csv(units: int) -> str:
    """The synthetic tree without its root, its regions below the demo's national unit."""
    from safehands.measurement.demo import national_tree_csv

    lines = national_tree_csv(units).splitlines()
    kept = [lines[0]]
    for line in lines[1:]:
        code, rest = line.split(",", 1)
        if code == SYNTHETIC_ROOT:
            continue
        if code in REGIONS:
            rest = rest.replace(f",region,{SYNTHETIC_ROOT},", f",region,{NATION},")
        kept.append(f"{code},{rest}")
    return "\n".join(kept) + "\n"


def prepare(*, units: int, months: int, importers: int) -> dict[str, Any]:
    """Build the nation and its accounts in the configured database; returns the accounts."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from safehands.accounts.services import api_token_create
    from safehands.catalogue.models import Measure, TargetArea
    from safehands.measurement import periods
    from safehands.measurement.demo import (
        NATIONAL_AREA,
        national_unit_codes,
        national_values_csv,
    )
    from safehands.measurement.services import data_values_import, enrolment_create
    from safehands.orgs.models import OrgUnit
    from safehands.orgs.services import membership_grant, org_units_import

    if importers >= units:
        raise SystemExit("--importers must be fewer than --units")
    tree = org_units_import(text=tree_csv(units), actor=None, source="system")
    if tree.problems:
        raise SystemExit(f"the synthetic tree did not import: {tree.problems[:3]}")
    codes = national_unit_codes(units)
    area = TargetArea.objects.get(code=NATIONAL_AREA)
    started = periods.parse(periods.latest("monthly", count=months + 1)[0]).start
    with transaction.atomic():
        for unit in OrgUnit.objects.filter(code__in=codes).exclude(enrolments__target_area=area):
            enrolment_create(unit=unit, target_area=area, started=started, actor=None,
                             phase="implementing", source="system")
    text, _ = national_values_csv(units=units, months=months)
    summary = data_values_import(text=text, fmt="csv", actor=None, source="system",
                                 file_name="load-test")
    if summary.conflicts:
        raise SystemExit(f"the synthetic values did not import: {summary.conflicts[:3]}")
    measures = {m.code: m.value_type for m in Measure.objects.filter(
        target_area__code=NATIONAL_AREA, origin="package", frequency="monthly",
        is_retired=False).order_by("position", "code")}
    User = get_user_model()
    hashed = make_password(PASSWORD)
    by_code = {u.code: u for u in OrgUnit.objects.filter(code__in=[NATION, *REGIONS])}
    by_code.update({u.code: u for u in OrgUnit.objects.filter(code__in=codes)})

    def account(username: str, code: str, role: str, token: bool) -> dict[str, Any]:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create(username=username, password=hashed,
                                       first_name="Load", last_name=username)
        membership_grant(user=user, org_unit=by_code[code], role=role, actor=None,
                         source="system")
        row = {"username": username, "code": code}
        if token:
            row["token"] = api_token_create(user=user, name="load test", actor=None,
                                            source="system")
        return row

    with transaction.atomic():
        team_codes, import_codes = codes[:units - importers], codes[units - importers:]
        accounts = {
            "password": PASSWORD,
            "measures": measures,
            "units": [account(f"load.unit.{i:04d}", code, "reporter", True)
                      for i, code in enumerate(team_codes)],
            "importers": [account(f"load.import.{i:03d}", code, "reporter", True)
                          for i, code in enumerate(import_codes)],
            "leaders": [account("load.leader.nation", NATION, "viewer", False)]
            + [account(f"load.leader.{code.lower()}", code, "viewer", False)
               for code in REGIONS],
        }
    accounts["values_imported"] = summary.created
    return accounts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="accounts file to write")
    parser.add_argument("--units", type=int, default=300, help="care units in the nation")
    parser.add_argument("--months", type=int, default=36, help="months of values per unit")
    parser.add_argument("--importers", type=int, default=20,
                        help="units whose data arrive by file")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safehands.settings")
    import django

    django.setup()
    accounts = prepare(units=args.units, months=args.months, importers=args.importers)
    args.out.write_text(json.dumps(accounts, indent=1), encoding="utf-8")
    print(f"prepared {len(accounts['units'])} unit teams, {len(accounts['importers'])} "
          f"importing units, {len(accounts['leaders'])} leaders; "
          f"{accounts['values_imported']:,} values", file=sys.stderr)


if __name__ == "__main__":
    main()
