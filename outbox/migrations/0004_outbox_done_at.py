"""Whether a row's task has run: done_at, set by the task_success signal, not by the relay.

Its index is built CONCURRENTLY on PostgreSQL, so the relay keeps writing meanwhile."""

from django.db import migrations

import traceobject.fields

FIELD = traceobject.fields.MinuteDateTimeField(blank=True, db_index=True, null=True)


def done_at_index(apps, schema_editor):
    model = apps.get_model("outbox", "OutboxMessage")
    table = model._meta.db_table
    name = schema_editor._create_index_name(table, ["done_at"])
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f"CREATE INDEX {concurrently}IF NOT EXISTS {schema_editor.quote_name(name)} "
        f"ON {schema_editor.quote_name(table)} ({schema_editor.quote_name('done_at')})"
    )


def done_at_index_drop(apps, schema_editor):
    model = apps.get_model("outbox", "OutboxMessage")
    name = schema_editor._create_index_name(model._meta.db_table, ["done_at"])
    schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("outbox", "0003_times_to_the_minute"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(model_name="outboxmessage", name="done_at", field=FIELD)
            ],
            database_operations=[
                migrations.AddField(
                    model_name="outboxmessage",
                    name="done_at",
                    field=traceobject.fields.MinuteDateTimeField(blank=True, null=True),
                ),
                migrations.RunPython(done_at_index, done_at_index_drop, elidable=False),
            ],
        ),
    ]
