"""The unique indexes that make a relayed tip, answer or question stored once (a retry
whose acknowledgement was lost finds it), built CONCURRENTLY on PostgreSQL so that tips go
on arriving meanwhile; plainly elsewhere."""

from django.db import migrations, models

INDEXES = {  # name: (table, columns, condition), as Django writes these constraints
    "tip_unique_source_message": (
        "tips_tip",
        '"source_partner_id", "source_message_id"',
        '"source_partner_id" IS NOT NULL',
    ),
    "tipfollowup_unique_source_message": (
        "tips_tipfollowup",
        '"tip_id", "source_message_id"',
        "NOT (\"source_message_id\" = '')",
    ),
    "tipmessage_unique_source_message": (
        "tips_tipmessage",
        '"tip_id", "source_message_id"',
        "NOT (\"source_message_id\" = '')",
    ),
}


def indexes_create(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name, (table, columns, condition) in INDEXES.items():
        schema_editor.execute(
            f'CREATE UNIQUE INDEX {concurrently}IF NOT EXISTS "{name}" ON "{table}" '
            f"({columns}) WHERE {condition}"
        )


def indexes_drop(apps, schema_editor):
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("tips", "0021_network_relay"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddConstraint(
                    model_name="tip",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(("source_partner__isnull", False)),
                        fields=("source_partner", "source_message_id"),
                        name="tip_unique_source_message",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="tipfollowup",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(("source_message_id", ""), _negated=True),
                        fields=("tip", "source_message_id"),
                        name="tipfollowup_unique_source_message",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="tipmessage",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(("source_message_id", ""), _negated=True),
                        fields=("tip", "source_message_id"),
                        name="tipmessage_unique_source_message",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(indexes_create, indexes_drop, elidable=False),
            ],
        ),
    ]
