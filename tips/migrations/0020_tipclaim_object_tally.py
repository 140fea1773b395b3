"""The claims' object filled in from their tips, in batches of BATCH tips, each its own
transaction (no lock held over the table: 2.4 M claims took 90 s in one statement); then
the evidence board's covering index on the claims, by object (tips/evidence.py): an
object's claims read from the index alone, one range. It replaces 0018's index by tip.
Built CONCURRENTLY on PostgreSQL, so the grouping keeps writing claims meanwhile;
elsewhere without the included columns (as Django builds an Index with `include` there).
Claims written meanwhile by the running release get their object from the next batches
or, after this migration, from this release's grouping."""

from django.db import migrations, models

NAME, OLD = "tipclaim_object_tally", "tipclaim_tally"
INCLUDE = ("tip", "value", "uncertain", "lat", "lon")
COLUMNS = ("tip_id", "value", "uncertain", "lat", "lon")


BATCH = 20_000

FILL = """
    UPDATE tips_tipclaim SET traced_object_id = (
        SELECT tips_tip.traced_object_id FROM tips_tip WHERE tips_tip.id = tips_tipclaim.tip_id
    ) WHERE traced_object_id IS NULL AND tip_id >= %s AND tip_id < %s
"""


def claims_fill(apps, schema_editor):
    if schema_editor.collect_sql:  # sqlmigrate (and the linter) only show what would run
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT min(tip_id), max(tip_id) FROM tips_tipclaim")
        first, last = cursor.fetchone()
        if first is None:
            return
        for start in range(first, last + 1, BATCH):
            cursor.execute(FILL, [start, start + BATCH])
        if schema_editor.connection.vendor == "postgresql":
            # Until autovacuum came by, the planner would believe every claim's object still
            # NULL (710 ms for the board at 1 M), and the index could not be read alone: the
            # rows every batch rewrote are not yet visible to all. VACUUM needs no
            # transaction (atomic = False) and blocks no writer.
            cursor.execute("VACUUM (ANALYZE) tips_tipclaim")


def tally_index(apps, schema_editor):
    table = schema_editor.quote_name(apps.get_model("tips", "TipClaim")._meta.db_table)
    quote = schema_editor.quote_name
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    if concurrently:
        columns = ", ".join(quote(column) for column in COLUMNS)
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {quote(NAME)} ON {table} "
            f"({quote('traced_object_id')}, {quote('kind')}) INCLUDE ({columns})"
        )
    else:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(NAME)} ON {table} (traced_object_id, kind)"
        )
    schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {quote(OLD)}")


def tally_index_back(apps, schema_editor):
    table = schema_editor.quote_name(apps.get_model("tips", "TipClaim")._meta.db_table)
    quote = schema_editor.quote_name
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {quote(OLD)} ON {table} (tip_id)")
    schema_editor.execute(f"DROP INDEX IF EXISTS {quote(NAME)}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("tips", "0019_tipclaim_traced_object"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="tipclaim", name=OLD),
                migrations.AddIndex(
                    model_name="tipclaim",
                    index=models.Index(
                        fields=["traced_object", "kind"], include=INCLUDE, name=NAME
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(claims_fill, migrations.RunPython.noop, elidable=True),
                migrations.RunPython(tally_index, tally_index_back, elidable=False),
            ],
        ),
    ]
