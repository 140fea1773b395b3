"""Every time kept about a tip, its outbox work and the audit log is cut to the minute by
its field (traceobject.fields.MinuteDateTimeField); the rows stored before are cut too."""

from django.db import migrations

import traceobject.fields
from traceobject.fields import minute_cut


class Migration(migrations.Migration):
    dependencies = [
        ("tips", "0014_tip_group_read"),
    ]

    operations = [
        migrations.AlterField(
            model_name="tip",
            name="answered_at",
            field=traceobject.fields.MinuteDateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="tip",
            name="closed_at",
            field=traceobject.fields.MinuteDateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="tip",
            name="contact_deleted_at",
            field=traceobject.fields.MinuteDateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="tip",
            name="first_triaged_at",
            field=traceobject.fields.MinuteDateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="tip",
            name="receipt_invalidated_at",
            field=traceobject.fields.MinuteDateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="tip",
            name="received_at",
            field=traceobject.fields.MinuteDateTimeField(
                db_index=True, verbose_name="received (to the minute)"
            ),
        ),
        migrations.AlterField(
            model_name="tip",
            name="urgent_alert_sent_at",
            field=traceobject.fields.MinuteDateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="tipfollowup",
            name="received_at",
            field=traceobject.fields.MinuteDateTimeField(),
        ),
        migrations.AlterField(
            model_name="tipgroup",
            name="created_at",
            field=traceobject.fields.MinuteDateTimeField(auto_now_add=True),
        ),
        migrations.AlterField(
            model_name="tipgroup",
            name="flood_detected_at",
            field=traceobject.fields.MinuteDateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="tipmessage",
            name="created_at",
            field=traceobject.fields.MinuteDateTimeField(auto_now_add=True),
        ),
        migrations.AlterField(
            model_name="tipnote",
            name="created_at",
            field=traceobject.fields.MinuteDateTimeField(auto_now_add=True),
        ),
        minute_cut(
            "tips",
            {
                "tip": [
                    "answered_at",
                    "closed_at",
                    "contact_deleted_at",
                    "first_triaged_at",
                    "receipt_invalidated_at",
                    "received_at",
                    "urgent_alert_sent_at",
                ],
                "tipfollowup": ["received_at"],
                "tipgroup": ["created_at", "flood_detected_at"],
                "tipmessage": ["created_at"],
                "tipnote": ["created_at"],
            },
        ),
    ]
