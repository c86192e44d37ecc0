"""Every qicharts2 0.8.1 reference case agrees with qic().

Numbers within 1e-9 relative (the t chart back-transform alone differs by ~1e-15); signals, run
statistics, parts, baseline and include identical. Rows are matched on (facet1, facet2, x), as the
reference README asks. For `method_bestbox_*` cases runs.signal is not compared: it
comes from qicharts2's experimental tables, out of scope. Case ids are `<case>__<chart>`.
"""

from __future__ import annotations

import pytest

from tests.spc._golden import compare, entry_id, manifest, manifest_entries, run_entry

ENTRIES = manifest_entries()


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry_id(e) for e in ENTRIES])
def test_reference_case_matches_qicharts2(entry: dict) -> None:
    result = run_entry(entry)
    problems = compare(entry, result)
    assert not problems, f"{entry_id(entry)}: " + "; ".join(problems[:10])


def test_manifest_is_complete() -> None:
    assert ENTRIES and len(ENTRIES) == manifest()["n_ok"]
    assert len({entry_id(e) for e in ENTRIES}) == len(ENTRIES)
