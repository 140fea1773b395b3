"""The evidence board's tally, stored (tips/tally_models.py, tips/tally.py): the tables,
and on PostgreSQL the triggers that mark what to count again, then a mark for every claim
there is, so that each object's first board after the upgrade counts it all once.

Safe under the running release: new tables only; the triggers add one INSERT per statement
that writes claims, and one per tip whose group, status, language or time changes or group
whose flood decision changes, whichever release makes the change. The marks are written after the triggers exist, so
no change between the two is missed.
"""

import django.db.models.deletion
from django.db import migrations, models

import traceobject.fields

# On the claims, statement triggers with transition tables: one INSERT ... SELECT per
# statement, however many claims it wrote.
MARK_CLAIMS = """
CREATE OR REPLACE FUNCTION tips_tally_mark_claims() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO tips_tallymark (traced_object_id, kind, value)
        SELECT DISTINCT traced_object_id, kind, value FROM new_rows
        WHERE traced_object_id IS NOT NULL
        ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO tips_tallymark (traced_object_id, kind, value)
        SELECT DISTINCT traced_object_id, kind, value FROM old_rows
        WHERE traced_object_id IS NOT NULL
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tips_tipclaim_tally_insert AFTER INSERT ON tips_tipclaim
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tips_tally_mark_claims();
CREATE TRIGGER tips_tipclaim_tally_update AFTER UPDATE ON tips_tipclaim
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tips_tally_mark_claims();
CREATE TRIGGER tips_tipclaim_tally_delete AFTER DELETE ON tips_tipclaim
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tips_tally_mark_claims();
"""
# A tip's group (a group deleted sets it to NULL: an UPDATE too), status, language or time:
# row triggers whose WHEN the database checks without calling anything, so that the many
# UPDATEs that change none of these (a strength, an assignment) cost nothing.
MARK_TIPS = """
CREATE OR REPLACE FUNCTION tips_tally_mark_tip() RETURNS trigger AS $$
BEGIN
    INSERT INTO tips_tallymark (traced_object_id, kind, value)
    SELECT DISTINCT traced_object_id, kind, value FROM tips_tipclaim
    WHERE tip_id = NEW.id AND traced_object_id IS NOT NULL
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tips_tip_tally AFTER UPDATE ON tips_tip
    FOR EACH ROW
    WHEN (OLD.group_id IS DISTINCT FROM NEW.group_id OR OLD.status IS DISTINCT FROM NEW.status
          OR OLD.language IS DISTINCT FROM NEW.language
          OR OLD.received_at IS DISTINCT FROM NEW.received_at)
    EXECUTE FUNCTION tips_tally_mark_tip();
"""
# A group's flood decision: every claim of its tips.
MARK_GROUPS = """
CREATE OR REPLACE FUNCTION tips_tally_mark_group() RETURNS trigger AS $$
BEGIN
    INSERT INTO tips_tallymark (traced_object_id, kind, value)
    SELECT DISTINCT c.traced_object_id, c.kind, c.value
    FROM tips_tip AS t JOIN tips_tipclaim AS c ON c.tip_id = t.id
    WHERE t.group_id = NEW.id AND c.traced_object_id IS NOT NULL
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tips_tipgroup_tally AFTER UPDATE ON tips_tipgroup
    FOR EACH ROW WHEN (OLD.flood IS DISTINCT FROM NEW.flood)
    EXECUTE FUNCTION tips_tally_mark_group();
"""
MARK_ALL = """
INSERT INTO tips_tallymark (traced_object_id, kind, value)
SELECT DISTINCT traced_object_id, kind, value FROM tips_tipclaim
WHERE traced_object_id IS NOT NULL
ON CONFLICT DO NOTHING;
"""
DROP = """
DROP TRIGGER IF EXISTS tips_tipclaim_tally_insert ON tips_tipclaim;
DROP TRIGGER IF EXISTS tips_tipclaim_tally_update ON tips_tipclaim;
DROP TRIGGER IF EXISTS tips_tipclaim_tally_delete ON tips_tipclaim;
DROP TRIGGER IF EXISTS tips_tip_tally ON tips_tip;
DROP TRIGGER IF EXISTS tips_tipgroup_tally ON tips_tipgroup;
DROP FUNCTION IF EXISTS tips_tally_mark_claims();
DROP FUNCTION IF EXISTS tips_tally_mark_tip();
DROP FUNCTION IF EXISTS tips_tally_mark_group();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in (MARK_CLAIMS, MARK_TIPS, MARK_GROUPS, MARK_ALL):
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("objects", "0008_owner_ref_unique"),
        ("tips", "0022_relay_unique_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="TallyMark",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("traced_object_id", models.BigIntegerField()),
                ("kind", models.CharField(max_length=10)),
                ("value", models.CharField(max_length=200)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("traced_object_id", "kind", "value"), name="tallymark_unique"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="ClaimPoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("value", models.CharField(max_length=200)),
                ("lat", models.FloatField()),
                ("lon", models.FloatField()),
                ("groups", models.JSONField()),
                ("tips", models.JSONField()),
                ("languages", models.JSONField()),
                ("slots", models.JSONField()),
                ("first_at", traceobject.fields.MinuteDateTimeField()),
                ("certain", models.BooleanField()),
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
                "indexes": [
                    models.Index(fields=["traced_object", "value"], name="claimpoint_object")
                ],
            },
        ),
        migrations.CreateModel(
            name="ClaimTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.CharField(max_length=10)),
                ("value", models.CharField(max_length=200)),
                ("tips", models.PositiveIntegerField()),
                ("groups", models.PositiveIntegerField()),
                ("direct", models.PositiveIntegerField()),
                ("via", models.BooleanField()),
                ("languages", models.JSONField()),
                ("slots", models.PositiveIntegerField()),
                ("certain", models.BooleanField()),
                ("score", models.FloatField()),
                ("first_at", traceobject.fields.MinuteDateTimeField()),
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
                "indexes": [
                    models.Index(
                        fields=["traced_object", "kind", "-score", "-groups", "-tips"],
                        name="claimtally_best",
                    )
                ],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
