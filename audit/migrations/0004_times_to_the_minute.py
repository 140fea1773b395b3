"""Every time kept about a tip, its outbox work and the audit log is cut to the minute by
its field (traceobject.fields.MinuteDateTimeField); the rows stored before are cut too."""

from django.db import migrations
from django.db.models.functions import TruncMinute

import traceobject.fields
from traceobject.fields import minute_cut

TRIGGER = "moderation_auditentry_append_only"


def audit_entries_cut(apps, schema_editor):
    """The append-only trigger refuses every UPDATE: it is set aside for this one, which
    changes nothing in an entry but the seconds of its time."""
    AuditEntry = apps.get_model("audit", "AuditEntry")
    postgres = schema_editor.connection.vendor == "postgresql"
    table = schema_editor.quote_name(AuditEntry._meta.db_table)
    if postgres:
        schema_editor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {TRIGGER}")
    AuditEntry.objects.update(at=TruncMinute("at"))
    if postgres:
        schema_editor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {TRIGGER}")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_audit_list_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="at",
            field=traceobject.fields.MinuteDateTimeField(auto_now_add=True),
        ),
        migrations.AlterField(
            model_name="failedtask",
            name="failed_at",
            field=traceobject.fields.MinuteDateTimeField(auto_now_add=True, db_index=True),
        ),
        minute_cut("audit", {"failedtask": ["failed_at"]}),
        migrations.RunPython(audit_entries_cut, migrations.RunPython.noop, elidable=True),
    ]
