"""Tips between partner portals (docs/network.md, "Tips"): the relay table, and on the
tips, follow-ups and messages where a relayed one came from, with a db_default so that the
running release's inserts go on. Their unique indexes come in 0022, built concurrently."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import traceobject.clock
import traceobject.fields


class Migration(migrations.Migration):
    dependencies = [
        ("network", "0001_initial"),
        ("objects", "0006_object_display_sha256"),
        ("tips", "0020_tipclaim_object_tally"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="TipRelay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("tip", "Tip, to the object's owner"),
                            ("tip-answer", "Tipster's answer, to the owner"),
                            ("tip-status", "Status, back to the relaying portal"),
                            ("tip-question", "Question, back to the relaying portal"),
                        ],
                        max_length=20,
                    ),
                ),
                ("message_id", models.CharField(editable=False, max_length=32, unique=True)),
                ("payload", models.JSONField(blank=True, default=dict, editable=False)),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("waiting", "Waiting"),
                            ("delivered", "Delivered"),
                            ("refused", "Refused"),
                        ],
                        default="waiting",
                        max_length=10,
                    ),
                ),
                (
                    "created_at",
                    traceobject.fields.MinuteDateTimeField(
                        default=traceobject.clock.minute_now, editable=False
                    ),
                ),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("next_attempt_at", traceobject.fields.MinuteDateTimeField(blank=True, null=True)),
                ("last_error", models.CharField(blank=True, max_length=300)),
                ("refused_reason", models.CharField(blank=True, max_length=40)),
                ("delivered_at", traceobject.fields.MinuteDateTimeField(blank=True, null=True)),
                ("owner_ref", models.CharField(blank=True, max_length=100)),
            ],
            options={
                "ordering": ["id"],
            },
        ),
        migrations.AddField(
            model_name="tip",
            name="source_message_id",
            field=models.CharField(
                blank=True, db_default="", default="", editable=False, max_length=32
            ),
        ),
        migrations.AddField(
            model_name="tip",
            name="source_partner",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                db_index=False,
                related_name="+",
                to="network.partner",
                verbose_name="relayed by",
            ),
        ),
        migrations.AddField(
            model_name="tipfollowup",
            name="source_message_id",
            field=models.CharField(
                blank=True, db_default="", default="", editable=False, max_length=32
            ),
        ),
        migrations.AddField(
            model_name="tipmessage",
            name="source_message_id",
            field=models.CharField(
                blank=True, db_default="", default="", editable=False, max_length=32
            ),
        ),
        migrations.AlterField(
            model_name="tipmessage",
            name="author",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="tiprelay",
            name="partner",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="network.partner"
            ),
        ),
        migrations.AddField(
            model_name="tiprelay",
            name="tip",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="relays", to="tips.tip"
            ),
        ),
        migrations.AddIndex(
            model_name="tiprelay",
            index=models.Index(
                condition=models.Q(("state", "waiting")),
                fields=["partner", "id"],
                name="tiprelay_waiting",
            ),
        ),
        migrations.AddIndex(
            model_name="tiprelay",
            index=models.Index(fields=["tip", "kind"], name="tiprelay_tip"),
        ),
    ]
