"""AuditEntry and FailedTask now belong to the audit app (audit 0001 took over their tables)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0003_audit_append_only"),
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="AuditEntry"),
                migrations.DeleteModel(name="FailedTask"),
            ],
            database_operations=[],
        ),
    ]
