"""The one field type for every time kept about a tip, a group, a follow-up, a flood, an
outbox row or an audit entry: cut to the minute by the field itself, whatever the caller
passes (a default, auto_now, a `save()` or an `update()`), so no second can be stored.
tests/tips/test_no_exact_time.py checks every DateTimeField of those apps is this type."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models

from traceobject.clock import to_the_minute


class MinuteDateTimeField(models.DateTimeField):
    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = super().pre_save(model_instance, add)
        if isinstance(value, datetime):
            value = to_the_minute(value)
            # The instance then says what the row says (auto_now_add and defaults included).
            setattr(model_instance, self.attname, value)
        return value

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        # Used by save(), bulk_create() and update(), never by lookups: a filter with a
        # finer bound still compares as written.
        if isinstance(value, datetime):
            value = to_the_minute(value)
        return super().get_db_prep_save(value, connection)


def minute_cut(app_label: str, fields: dict[str, list[str]]) -> Any:
    """A migration step cutting the stored times of `fields` ({model: [field, ...]}) to the
    minute: one set-based UPDATE per model (date_trunc on PostgreSQL, strftime on SQLite)."""
    from django.db import migrations
    from django.db.models.functions import TruncMinute

    def forwards(apps: Any, schema_editor: Any) -> None:
        for model_name, names in fields.items():
            model = apps.get_model(app_label, model_name)
            model.objects.update(**{name: TruncMinute(name) for name in names})

    return migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)
