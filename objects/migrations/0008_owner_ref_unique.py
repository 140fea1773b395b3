"""A partner's object is imported once: its owner's reference is unique per owner (and the
index serves the look-up by owner). Built CONCURRENTLY on PostgreSQL; plainly elsewhere."""

from django.db import migrations, models

NAME = "object_owner_ref_unique"


def index_create(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f'CREATE UNIQUE INDEX {concurrently}IF NOT EXISTS "{NAME}" ON "objects_tracedobject" '
        '("owner_id", "owner_ref") WHERE "owner_id" IS NOT NULL'
    )


def index_drop(apps, schema_editor):
    schema_editor.execute(f'DROP INDEX IF EXISTS "{NAME}"')


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("objects", "0007_partner_objects"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddConstraint(
                    model_name="tracedobject",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(("owner__isnull", False)),
                        fields=("owner", "owner_ref"),
                        name=NAME,
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(index_create, index_drop, elidable=False),
            ],
        ),
    ]
