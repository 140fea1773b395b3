"""The audit log and the failed-task records move here from the moderation app, data and all.

The tables existed already (moderation 0001-0003, with the append-only trigger on
PostgreSQL): this migration only takes them over in Django's state, then renames them to
this app's names. A renamed table keeps its rows, indexes and trigger.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("moderation", "0003_audit_append_only"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="FailedTask",
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
                        ("task_name", models.CharField(max_length=200)),
                        ("task_id", models.CharField(blank=True, max_length=64)),
                        ("args", models.JSONField(default=list)),
                        ("error", models.TextField()),
                        ("failed_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                    ],
                    options={"ordering": ["-failed_at"], "db_table": "moderation_failedtask"},
                ),
                migrations.CreateModel(
                    name="AuditEntry",
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
                        ("at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        ("action", models.CharField(db_index=True, max_length=64)),
                        ("username", models.CharField(blank=True, max_length=150)),
                        ("target_type", models.CharField(blank=True, db_index=True, max_length=64)),
                        ("target_id", models.CharField(blank=True, db_index=True, max_length=64)),
                        ("target_repr", models.CharField(blank=True, max_length=200)),
                        ("data", models.JSONField(blank=True, default=dict)),
                        (
                            "user",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "audit log entry",
                        "verbose_name_plural": "audit log",
                        "ordering": ["-at", "-id"],
                        "permissions": [("export_auditentry", "Can export the audit log")],
                        "db_table": "moderation_auditentry",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="failedtask", table=None),
        migrations.AlterModelTable(name="auditentry", table=None),
    ]
