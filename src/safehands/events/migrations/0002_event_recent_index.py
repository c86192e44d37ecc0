"""The work queue's order (newest report first) as an index: a page of a trust's 50,000 open
reports is then a walk down the index instead of a sort of all of them."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("events", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="event",
            index=models.Index(fields=["-reported_at", "-id"], name="event_recent"),
        ),
    ]
