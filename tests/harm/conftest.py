"""GTT fixtures: a team on Hospital One with two primary reviewers and a physician."""

from __future__ import annotations

import pytest


@pytest.fixture
def team(tree):
    from safehands.harm.services import gtt_team_create

    return gtt_team_create(code="GTT-H1", population=tree["H1"], actor=None, source="system")


@pytest.fixture
def crew(team, make_user):
    """nurse.a and nurse.b (primary reviewers), doctor (physician), coord (coordinator on H1)."""
    from safehands.harm.services import gtt_member_add

    users = {
        "nurse.a": make_user("nurse.a", ("H1", "reporter")),
        "nurse.b": make_user("nurse.b", ("H1", "reporter")),
        "doctor": make_user("doctor", ("H1", "reporter")),
        "coord": make_user("coord", ("H1", "coordinator")),
    }
    for name, role in [("nurse.a", "primary_reviewer"), ("nurse.b", "primary_reviewer"),
                       ("doctor", "physician"), ("coord", "coordinator")]:
        gtt_member_add(team=team, user=users[name], role=role, actor=None, source="system")
    return users


DISCHARGES = """stay_id,admission_time,discharge_time,age,service
S01,2025-03-01 08:00,2025-03-04 10:00,67,medicine
S02,2025-03-02 09:00,2025-03-03 08:00,54,surgery
S03,2025-03-02 09:00,2025-03-06 12:00,15,medicine
S04,2025-03-02 09:00,2025-03-06 12:00,44,Psychiatry
S05,2025-03-03 09:00,2025-03-07 12:00,80,medicine
S06,2025-03-04 09:00,2025-03-08 12:00,72,surgery
S07,2025-03-05 09:00,2025-03-09 12:00,61,orthopaedics
S08,2025-03-05 09:00,2025-03-10 12:00,33,medicine
S09,2025-03-06 09:00,2025-03-11 12:00,45,medicine
S10,2025-03-06 09:00,2025-03-12 12:00,56,surgery
S11,2025-03-07 09:00,2025-03-12 12:00,77,medicine
S12,2025-03-07 09:00,2025-03-13 12:00,88,medicine
S13,2025-03-08 09:00,2025-03-13 12:00,91,medicine
S14,2025-03-08 09:00,2025-03-14 12:00,23,surgery
S15,2025-02-20 09:00,2025-03-20 12:00,66,medicine
"""


@pytest.fixture
def discharges():
    return DISCHARGES
