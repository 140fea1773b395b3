"""Partner portals' objects (docs/network.md, "Objects"): who owns an object and what its
owner's feed said, nullable or with a db_default so that the running release's inserts go
on; the owner's unique reference comes in 0008, built concurrently."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("network", "0001_initial"),
        ("objects", "0006_object_display_sha256"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="tracedobject",
            name="object_public_only_when_approved",
        ),
        migrations.RemoveConstraint(
            model_name="tracedobject",
            name="object_identified_has_outcome",
        ),
        migrations.AddField(
            model_name="tracedobject",
            name="owner",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="network.partner",
            ),
        ),
        migrations.AddField(
            model_name="tracedobject",
            name="owner_image_sha256",
            field=models.CharField(
                blank=True, db_default="", default="", editable=False, max_length=64
            ),
        ),
        migrations.AddField(
            model_name="tracedobject",
            name="owner_ref",
            field=models.CharField(
                blank=True, db_default="", default="", editable=False, max_length=40
            ),
        ),
        migrations.AddField(
            model_name="tracedobject",
            name="owner_state",
            field=models.CharField(
                blank=True, db_default="", default="", editable=False, max_length=20
            ),
        ),
        migrations.AddField(
            model_name="tracedobject",
            name="owner_updated",
            field=models.CharField(
                blank=True, db_default="", default="", editable=False, max_length=40
            ),
        ),
        migrations.AlterField(
            model_name="tracedobject",
            name="uploaded_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="uploaded_objects",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddConstraint(
            model_name="tracedobject",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("state__in", ("published", "identified")), _negated=True),
                    models.Q(("approved_by__isnull", False), ("published_at__isnull", False)),
                    models.Q(("owner__isnull", False), ("published_at__isnull", False)),
                    _connector="OR",
                ),
                name="object_public_only_when_approved",
            ),
        ),
        migrations.AddConstraint(
            model_name="tracedobject",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("state", "identified"), _negated=True),
                    models.Q(("outcome", ""), _negated=True),
                    ("owner__isnull", False),
                    _connector="OR",
                ),
                name="object_identified_has_outcome",
            ),
        ),
        migrations.AddConstraint(
            model_name="tracedobject",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("owner__isnull", False), ("uploaded_by__isnull", False), _connector="OR"
                ),
                name="object_ours_has_uploader",
            ),
        ),
    ]
