"""Whether a row's task has run: done_at, set by the task_success signal, not by the relay."""

from django.db import migrations

import traceobject.fields


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0003_times_to_the_minute"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxmessage",
            name="done_at",
            field=traceobject.fields.MinuteDateTimeField(blank=True, db_index=True, null=True),
        ),
    ]
