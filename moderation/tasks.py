"""Celery tasks for forwarding: thin wrappers that take ids and call moderation.forwarding.

Both are idempotent: a forward already notified is skipped, so a relayed duplicate or a
retry after a crash sends nothing twice.
"""

from __future__ import annotations

from django.db import OperationalError

from moderation import forwarding
from traceobject.celery import RetryingTask
from traceobject.celery import app as celery_app


@celery_app.task(base=RetryingTask, autoretry_for=(OperationalError, OSError))
def notify_forward(forward_id: int) -> bool:
    return forwarding.forward_notify(forward_id=forward_id)


@celery_app.task(base=RetryingTask, autoretry_for=(OperationalError, OSError))
def send_forward_digests() -> int:
    return forwarding.forward_digests_send()
