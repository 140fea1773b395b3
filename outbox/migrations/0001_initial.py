"""The outbox moves here from the tips app, rows and all: every app queues work through it.

The table existed already (tips 0001): this migration takes it over in Django's state, then
renames it to this app's name.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [("tips", "0003_tip_tip_queue_order")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="OutboxMessage",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("task", models.CharField(max_length=200)),
                        ("kwargs", models.JSONField(default=dict)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("sent_at", models.DateTimeField(blank=True, db_index=True, null=True)),
                        ("attempts", models.PositiveIntegerField(default=0)),
                        ("last_error", models.CharField(blank=True, max_length=300)),
                    ],
                    options={"ordering": ["id"], "db_table": "tips_outboxmessage"},
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="outboxmessage", table=None),
    ]
