"""The evidence board's covering index on the claims (tips/evidence.py): an object's claims
read tip by tip from the index alone. Built CONCURRENTLY on PostgreSQL, so the grouping
keeps writing claims meanwhile; elsewhere without the included columns (as Django builds
an Index with `include` there)."""

from django.db import migrations, models

NAME = "tipclaim_tally"
INCLUDE = ("kind", "value", "uncertain", "lat", "lon")


def tally_index(apps, schema_editor):
    table = schema_editor.quote_name(apps.get_model("tips", "TipClaim")._meta.db_table)
    quote = schema_editor.quote_name
    if schema_editor.connection.vendor == "postgresql":
        columns = ", ".join(quote(column) for column in INCLUDE)
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {quote(NAME)} ON {table} "
            f"({quote('tip_id')}) INCLUDE ({columns})"
        )
    else:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {quote(NAME)} ON {table} (tip_id)")


def tally_index_drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(NAME)}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("tips", "0017_group_strength"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="tipclaim",
                    index=models.Index(fields=["tip"], include=INCLUDE, name=NAME),
                )
            ],
            database_operations=[
                migrations.RunPython(tally_index, tally_index_drop, elidable=False),
            ],
        ),
    ]
