"""Each claim carries its tip's object (tips/evidence.py reads an object's claims as one
index range instead of one look-up per tip: 11,600 look-ups for the largest object at 1 M
tips). Filled in from the tips; the index comes in 0020, built concurrently."""

import django.db.models.deletion
from django.db import migrations, models

FILL = """
    UPDATE tips_tipclaim SET traced_object_id = (
        SELECT tips_tip.traced_object_id FROM tips_tip WHERE tips_tip.id = tips_tipclaim.tip_id
    ) WHERE traced_object_id IS NULL
"""


class Migration(migrations.Migration):
    dependencies = [
        ("objects", "0006_object_display_sha256"),
        ("tips", "0018_tipclaim_tally"),
    ]

    operations = [
        migrations.AddField(
            model_name="tipclaim",
            name="traced_object",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="objects.tracedobject",
            ),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop, elidable=True),
    ]
