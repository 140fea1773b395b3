"""OutboxMessage now belongs to the outbox app (outbox 0001 took over its table)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tips", "0003_tip_tip_queue_order"),
        ("outbox", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="OutboxMessage")],
            database_operations=[],
        ),
    ]
