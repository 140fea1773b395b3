"""Every time kept about a tip, its outbox work and the audit log is cut to the minute by
its field (traceobject.fields.MinuteDateTimeField); the rows stored before are cut too."""

from django.db import migrations

import traceobject.clock
import traceobject.fields
from traceobject.fields import minute_cut


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0002_created_at_to_the_minute"),
    ]

    operations = [
        migrations.AlterField(
            model_name="outboxmessage",
            name="created_at",
            field=traceobject.fields.MinuteDateTimeField(
                default=traceobject.clock.minute_now, editable=False
            ),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="sent_at",
            field=traceobject.fields.MinuteDateTimeField(blank=True, db_index=True, null=True),
        ),
        minute_cut("outbox", {"outboxmessage": ["created_at", "sent_at"]}),
    ]
