"""Tip.group_read, whether anyone has started on the tip's group (tips/models.py says why it is
stored on the tip), filled for the groups already started on (one of their tips assigned or no
longer new); the queue's order index puts it before the group's strength.

The fill is one UPDATE (a copy of tips.grouping.group_reads_refresh_all, frozen here as
migrations must be), before the site takes traffic.
"""

from django.db import migrations, models

FILL = """
    UPDATE tips_tip SET group_read = TRUE
    WHERE group_id IN (SELECT group_id FROM tips_tip WHERE group_id IS NOT NULL
                       AND (status <> 'new' OR assigned_to_id IS NOT NULL))
"""


def reads_fill(apps, schema_editor):
    schema_editor.execute(FILL)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ANALYZE tips_tip")


class Migration(migrations.Migration):
    dependencies = [
        ("tips", "0013_tip_group_size"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="tip", name="tip_queue_order"),
        migrations.AddField(
            model_name="tip",
            name="group_read",
            field=models.BooleanField(
                default=False, editable=False, verbose_name="group being read"
            ),
        ),
        migrations.RunPython(reads_fill, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name="tip",
            index=models.Index(
                fields=["status", "-urgent", "group_read", "-group_size", "received_at", "id"],
                include=["group_id"],
                name="tip_queue_order",
            ),
        ),
    ]
