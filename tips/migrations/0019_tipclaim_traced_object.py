"""Each claim carries its tip's object (tips/evidence.py reads an object's claims as one
index range instead of one look-up per tip: 11,600 look-ups for the largest object at 1 M
tips). Added nullable, which takes no time; 0020 fills it in batches and builds the index
concurrently."""

import django.db.models.deletion
from django.db import migrations, models


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
    ]
