"""Tip.group_size, the strength of the tip's group (tips/models.py says why it is stored on the
tip), filled for the tips already grouped; the indexes that serve the queue's orders by it and
the "held by flood breaker" filter.

The fill is one UPDATE … FROM (a copy of tips.grouping.group_sizes_refresh_all, frozen here as
migrations must be): about a minute at a million tips, before the site takes traffic.
"""

from django.conf import settings
from django.db import migrations, models

FILL = """
    UPDATE tips_tip SET group_size = CASE WHEN sizes.n > 100 THEN 100 ELSE sizes.n END
    FROM (SELECT group_id, COUNT(*) AS n FROM tips_tip WHERE group_id IS NOT NULL
          GROUP BY group_id) AS sizes
    WHERE tips_tip.group_id = sizes.group_id
"""


def sizes_fill(apps, schema_editor):
    schema_editor.execute(FILL)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ANALYZE tips_tip")


class Migration(migrations.Migration):
    dependencies = [
        ("objects", "0005_object_translations"),
        ("tips", "0012_tip_answered_at"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(model_name="tip", name="tip_queue_order"),
        migrations.AddField(
            model_name="tip",
            name="group_size",
            field=models.PositiveIntegerField(
                default=1, editable=False, verbose_name="tips in its group"
            ),
        ),
        migrations.RunPython(sizes_fill, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name="tip",
            index=models.Index(
                fields=["status", "-urgent", "-group_size", "received_at", "id"],
                include=["group_id"],
                name="tip_queue_order",
            ),
        ),
        migrations.AddIndex(
            model_name="tip",
            index=models.Index(
                fields=["group_size", "received_at", "id"], name="tip_group_strength"
            ),
        ),
        migrations.AddIndex(
            model_name="tip",
            index=models.Index(
                condition=models.Q(("kind", "report")),
                fields=["received_at", "id"],
                include=["group_id"],
                name="tip_reports",
            ),
        ),
        migrations.AddIndex(
            model_name="tip",
            index=models.Index(
                condition=models.Q(("held_by_breaker", True)),
                fields=["received_at", "id"],
                name="tip_held_by_breaker",
            ),
        ),
    ]
