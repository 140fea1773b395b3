"""The outbox's /healthz/ line (registered by outbox.apps): how long the oldest unsent
message has waited, the broker or the relay lagging. It never fails the check."""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from outbox.models import OutboxMessage


def check_outbox() -> str:
    try:
        oldest = (
            OutboxMessage.objects.filter(sent_at__isnull=True)
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )
    finally:
        connection.close()  # a worker thread of traceobject.health
    if oldest is None:
        return "ok (nothing waiting)"
    return f"ok (oldest unsent {round((timezone.now() - oldest).total_seconds())} s old)"
