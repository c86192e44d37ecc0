"""Every qicharts2 0.8.1 reference case agrees with qic().

Numbers within 1e-9 relative (the t chart back-transform alone differs by ~1e-15); signals, run
statistics, parts, baseline and include identical. Rows are matched on (facet1, facet2, x), as the
reference README asks. For `method_bestbox_*` cases only the Anhøj runs columns are compared:
runs.signal there comes from qicharts2's experimental tables, out of scope.
"""

from __future__ import annotations

import pytest

from tests.spc._golden import compare, entry_id, manifest_entries, run_entry

ENTRIES = manifest_entries()


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["case"] + "__" + e["chart"] for e in ENTRIES])
def test_reference_case_matches_qicharts2(entry: dict) -> None:
    result = run_entry(entry)
    problems = compare(entry, result)
    assert not problems, f"{entry_id(entry)}: " + "; ".join(problems[:10])


def test_manifest_is_complete() -> None:
    assert len(ENTRIES) == 372
    assert len({entry_id(e) for e in ENTRIES}) == len(ENTRIES)
