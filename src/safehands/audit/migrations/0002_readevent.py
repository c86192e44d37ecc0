"""The read log, and a database guard that refuses to change a row once written.

The guard is a trigger on SQLite and PostgreSQL: any UPDATE that changes a column other than
`actor_id` going to NULL (a deleted user, as on_delete=SET_NULL does) is aborted. Deletes are
left to the application (the retention purge deletes old rows). On SQLite, Django rebuilds a
table for most later alterations, which drops its triggers: a migration that alters
audit_readevent must create the trigger again (tests/audit/test_read_log.py checks it holds).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


COLUMNS = ["id", "at", "actor_username", "kind", "object_type", "object_id", "object_ids",
           "object_count", "object_repr", "org_path", "purpose", "where", "source",
           "client_address", "unusual", "unusual_reason", "granted_at"]
MESSAGE = "The read log is append-only: a row cannot be changed."


def _changed(operator: str) -> str:
    columns = " OR ".join(f'NEW."{c}" {operator} OLD."{c}"' for c in COLUMNS)
    return f'{columns} OR (NEW."actor_id" IS NOT NULL AND NEW."actor_id" {operator} OLD."actor_id")'


def create_guard(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            'CREATE TRIGGER audit_readevent_append_only BEFORE UPDATE ON audit_readevent '
            f"WHEN {_changed('IS NOT')} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;")
    elif vendor == "postgresql":
        schema_editor.execute(
            "CREATE FUNCTION audit_readevent_append_only() RETURNS trigger AS $$ BEGIN "
            f"IF {_changed('IS DISTINCT FROM')} THEN RAISE EXCEPTION '{MESSAGE}'; END IF; "
            "RETURN NEW; END; $$ LANGUAGE plpgsql;")
        schema_editor.execute(
            "CREATE TRIGGER audit_readevent_append_only BEFORE UPDATE ON audit_readevent "
            "FOR EACH ROW EXECUTE FUNCTION audit_readevent_append_only();")


def drop_guard(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor in ("sqlite", "postgresql"):
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_readevent_append_only"
                              + (" ON audit_readevent" if vendor == "postgresql" else ""))
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS audit_readevent_append_only()")


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ReadEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('actor_username', models.CharField(blank=True, db_index=True, max_length=150)),
                ('kind', models.CharField(choices=[('gtt_record', 'GTT records (patient level)'), ('survey_responses', 'Survey answers (respondent level)'), ('survey_results', 'Survey results and action-plan text')], max_length=40)),
                ('object_type', models.CharField(max_length=80)),
                ('object_id', models.CharField(blank=True, max_length=80)),
                ('object_ids', models.JSONField(default=list)),
                ('object_count', models.PositiveIntegerField(default=0)),
                ('object_repr', models.TextField(blank=True)),
                ('org_path', models.CharField(db_index=True, max_length=800)),
                ('purpose', models.CharField(choices=[('gtt_period_review', 'GTT review: the records of a period'), ('gtt_record_review', 'GTT review: one record'), ('gtt_records_api', 'GTT records through the API'), ('survey_results', 'Survey results page'), ('survey_results_export', 'Survey results export (CSV)'), ('survey_results_api', 'Survey results through the API'), ('survey_responses_export', 'Survey answers export (FHIR)')], max_length=40)),
                ('where', models.CharField(blank=True, max_length=500)),
                ('source', models.CharField(default='web', max_length=20)),
                ('client_address', models.GenericIPAddressField(blank=True, null=True)),
                ('unusual', models.BooleanField(db_index=True, default=False)),
                ('unusual_reason', models.CharField(blank=True, choices=[('above_organisation', 'Role granted above the organisation that owns the data'), ('programme_admin', 'Programme administrator with a role above the organisation that owns the data'), ('superuser', 'Superuser without a role on the unit')], max_length=40)),
                ('granted_at', models.CharField(blank=True, max_length=40)),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-at', '-id'],
                'indexes': [models.Index(fields=['org_path', 'at'], name='audit_read_path_at')],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('unusual', False), ('unusual_reason', '')), models.Q(('unusual', True), models.Q(('unusual_reason', ''), _negated=True)), _connector='OR'), name='readevent_unusual_has_reason')],
            },
        ),
        migrations.RunPython(create_guard, drop_guard),
    ]
