"""The beat job that relays what the outbox still holds (written while the broker was down)."""

from __future__ import annotations

from django.db import OperationalError

from outbox import services
from traceobject.celery import RetryingTask
from traceobject.celery import app as celery_app


@celery_app.task(base=RetryingTask, autoretry_for=(OperationalError,))
def relay_outbox() -> int:
    """Every minute: forget what was done long enough ago, send again what was handed out
    long ago and never done, and relay what is pending."""
    services.outbox_sent_delete()
    services.outbox_reconcile()
    return services.outbox_relay()
