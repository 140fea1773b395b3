"""The evidence board's covering index on the claims, by object (tips/evidence.py): an
object's claims read from the index alone, one range. It replaces 0018's index by tip.
Built CONCURRENTLY on PostgreSQL, so the grouping keeps writing claims meanwhile;
elsewhere without the included columns (as Django builds an Index with `include` there)."""

from django.db import migrations, models

NAME, OLD = "tipclaim_object_tally", "tipclaim_tally"
INCLUDE = ("tip", "kind", "value", "uncertain", "lat", "lon")
COLUMNS = ("tip_id", "kind", "value", "uncertain", "lat", "lon")


def tally_index(apps, schema_editor):
    table = schema_editor.quote_name(apps.get_model("tips", "TipClaim")._meta.db_table)
    quote = schema_editor.quote_name
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    if concurrently:
        columns = ", ".join(quote(column) for column in COLUMNS)
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {quote(NAME)} ON {table} "
            f"({quote('traced_object_id')}) INCLUDE ({columns})"
        )
    else:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(NAME)} ON {table} (traced_object_id)"
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
                    index=models.Index(fields=["traced_object"], include=INCLUDE, name=NAME),
                ),
            ],
            database_operations=[
                migrations.RunPython(tally_index, tally_index_back, elidable=False),
            ],
        ),
    ]
