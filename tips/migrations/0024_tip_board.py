"""The index the evidence board reads an object's tips from alone (an index-only scan, not a
heap page per tip: at 1 M tips the object with 16,670 of them read in 3 ms, not 10), built
CONCURRENTLY on PostgreSQL so that tips go on arriving meanwhile; plainly elsewhere, where
Django leaves `include` out."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models

INDEX = models.Index(
    fields=["traced_object"],
    include=["id", "group_id", "received_at", "language", "status", "urgent"],
    name="tip_board",
)


class Concurrently(AddIndexConcurrently):
    """AddIndexConcurrently on PostgreSQL, AddIndex on the embedded database."""

    def _run(self, direction, app_label, schema_editor, from_state, to_state):
        postgres = schema_editor.connection.vendor == "postgresql"
        operation = AddIndexConcurrently if postgres else migrations.AddIndex
        getattr(operation, direction)(self, app_label, schema_editor, from_state, to_state)

    def database_forwards(self, *args):
        self._run("database_forwards", *args)

    def database_backwards(self, *args):
        self._run("database_backwards", *args)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("tips", "0023_claim_tally"),
    ]

    operations = [Concurrently(model_name="tip", index=INDEX)]
