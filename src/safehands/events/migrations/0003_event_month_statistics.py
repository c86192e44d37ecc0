"""Statistics on the month of occurrence (Oslo time), event type and outcome, on PostgreSQL.

The analysis groups events by `date_trunc('month', occurred_at AT TIME ZONE 'Europe/Oslo')`,
type and outcome. Without statistics on that expression the planner guesses hundreds of
thousands of groups for a few thousand, and so aggregates on one core after a sort; with
them it aggregates in parallel (`safehands events stats` over a million reports: see
bench/bench_events_stats.py). Other databases have no such statistics and need none.
"""

from __future__ import annotations

from django.db import migrations

NAME = "events_event_month_type_outcome"
CREATE = (f"CREATE STATISTICS IF NOT EXISTS {NAME} (ndistinct) ON event_type, outcome, "
          "(date_trunc('month', occurred_at AT TIME ZONE 'Europe/Oslo')) FROM events_event")


def forwards(apps, schema_editor) -> None:
    connection = schema_editor.connection
    if connection.vendor == "postgresql" and connection.pg_version >= 140000:
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("events", "0002_event_recent_index")]

    operations = [migrations.RunPython(forwards, backwards)]
