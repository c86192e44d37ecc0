"""The GTT demo: two teams, two years, a realistic harm level, idempotent."""

from __future__ import annotations

from datetime import date

from safehands.harm.models import GttTeam, ReviewPeriod, ReviewRecord, Stay
from safehands.harm.queries import national_estimates, team_rate_records


def test_demo_two_teams_two_years_realistic_harm_idempotent(db):
    from safehands.demo.load import demo_load as orgs_demo_load
    from safehands.harm.demo import demo_load

    orgs_demo_load()
    first = demo_load(today=date(2026, 11, 26))
    second = demo_load(today=date(2026, 11, 26))
    assert not Stay.objects.filter(discharge_time__date__gte=date(2026, 11, 26)).exists()
    assert first["gtt_teams_created"] == 2
    assert first["gtt_periods_sampled"] == 2 * 53
    assert first["gtt_records_confirmed"] == 2 * 52 * 10
    assert set(second.values()) == {0}
    assert GttTeam.objects.count() == 2
    assert ReviewPeriod.objects.filter(locked_at__isnull=False).exists()
    # the latest period waits for the team: sampled, not reviewed
    assert ReviewRecord.objects.exclude(status="confirmed").count() == 20
    for team in GttTeam.objects.all():
        records = team_rate_records(team=team)
        harmed = sum(1 for r in records if r.events) / len(records) * 100
        assert 11 <= harmed <= 15, (team.code, harmed)
        severities = [e.severity for r in records for e in r.events]
        assert (severities.count("E") + severities.count("F")) / len(severities) > 0.85
    years = national_estimates(unit=GttTeam.objects.first().population.parent)
    assert years and all(y.estimate.teams == 2 for y in years)
