"""A group's strength from the evidence (tips/strength.py): Tip.group_strength, each claim's
agreement per object (ClaimAgreement), and the queue's index, which now sorts by strength
before size; the page views counted per object and day (ObjectViewDay, tips/activity.py).

Safe under the running release: the column has a db_default (one voice, 100), so the old
code's inserts succeed and the queue's order is today's until strengths are filled; the new
index is built CONCURRENTLY on PostgreSQL before the old one is dropped, so the queue always
has one. Strengths are filled afterwards, object by object, by `manage.py tips_strength`.
"""

import django.db.models.deletion
from django.db import migrations, models

QUEUE_INDEX = models.Index(
    fields=[
        "status",
        "-urgent",
        "group_read",
        "-group_strength",
        "-group_size",
        "received_at",
        "id",
    ],
    include=["group_id"],
    name="tip_queue_strength",
)
OLD_QUEUE_INDEX = models.Index(
    fields=["status", "-urgent", "group_read", "-group_size", "received_at", "id"],
    include=["group_id"],
    name="tip_queue_order",
)


def _options(schema_editor):
    return {"concurrently": True} if schema_editor.connection.vendor == "postgresql" else {}


def _index_swap(new, old):
    def swap(apps, schema_editor):
        model = apps.get_model("tips", "Tip")
        options = _options(schema_editor)
        schema_editor.execute(new.create_sql(model, schema_editor, **options))
        schema_editor.execute(old.remove_sql(model, schema_editor, **options))

    return swap


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("objects", "0006_object_display_sha256"),
        ("tips", "0016_tipclaim_place"),
    ]

    operations = [
        migrations.CreateModel(
            name="ClaimAgreement",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("country", "Country"),
                            ("domain", "Web domain"),
                            ("name", "Name (brand or shop)"),
                            ("place", "Place"),
                        ],
                        max_length=10,
                    ),
                ),
                ("value", models.CharField(max_length=200)),
                ("score", models.PositiveIntegerField()),
                (
                    "traced_object",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="objects.tracedobject",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("traced_object", "kind", "value"), name="claimagreement_unique"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="ObjectViewDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("views", models.PositiveIntegerField(default=0)),
                (
                    "traced_object",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="objects.tracedobject",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("traced_object", "day"), name="objectviewday_unique"
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="tip",
            name="group_strength",
            field=models.PositiveIntegerField(
                db_default=100, default=100, editable=False, verbose_name="strength of its group"
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="tip", name="tip_queue_order"),
                migrations.AddIndex(model_name="tip", index=QUEUE_INDEX),
            ],
            database_operations=[
                migrations.RunPython(
                    _index_swap(QUEUE_INDEX, OLD_QUEUE_INDEX),
                    _index_swap(OLD_QUEUE_INDEX, QUEUE_INDEX),
                    elidable=False,
                )
            ],
        ),
    ]
