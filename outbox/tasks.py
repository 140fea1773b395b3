"""The beat job that relays what the outbox still holds (written while the broker was down)."""

from __future__ import annotations

from django.db import OperationalError

from outbox import services
from traceobject.celery import RetryingTask
from traceobject.celery import app as celery_app


@celery_app.task(base=RetryingTask, autoretry_for=(OperationalError,))
def relay_outbox() -> int:
    """Every minute: relay what is pending, and forget what went out long enough ago."""
    services.outbox_sent_delete()
    return services.outbox_relay()
