"""The one way to queue background work: write it to the outbox in the caller's transaction;
it is relayed to Celery once that transaction commits, and by the beat job every minute.

Tasks are named by their dotted path (a string, never an import), so a service never
imports its app's tasks module, and every task named here must be idempotent: a message
can go out twice if the process dies between sending and marking it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils.module_loading import import_string

from outbox.models import OutboxMessage
from traceobject.clock import minute_now

logger = logging.getLogger(__name__)

OUTBOX_BATCH = 100
# Sent rows are kept this long, for an operator to see recent work go out, then deleted.
SENT_RETENTION = timedelta(days=1)


def outbox_put(*, task: str, kwargs: dict) -> OutboxMessage:
    """Write work to do; it is relayed once the surrounding transaction commits."""
    message = OutboxMessage.objects.create(task=task, kwargs=kwargs)
    transaction.on_commit(outbox_relay_quietly)
    return message


def outbox_relay_quietly() -> None:
    try:
        outbox_relay()
    except Exception:  # the beat job relays again; the request must not fail for this
        logger.exception("outbox relay failed; it will be retried")


def outbox_relay(*, limit: int = OUTBOX_BATCH) -> int:
    """Send pending outbox messages to Celery; return how many went out.

    Stops at the first broker error, leaving the rest pending for the next run.
    """
    sent = 0
    pending = OutboxMessage.objects.filter(sent_at__isnull=True).order_by("id")
    for message in pending[:limit]:
        try:
            # The dotted path of one of our tasks (written by outbox_put, never by a visitor).
            import_string(message.task).apply_async(kwargs=message.kwargs)
        except Exception as exc:
            OutboxMessage.objects.filter(pk=message.pk).update(
                attempts=message.attempts + 1, last_error=repr(exc)[:300]
            )
            logger.warning("outbox: broker unavailable (%r); %s left pending", exc, message.task)
            break
        OutboxMessage.objects.filter(pk=message.pk).update(
            sent_at=minute_now(), attempts=message.attempts + 1
        )
        sent += 1
    return sent


def outbox_sent_delete(*, older_than: timedelta = SENT_RETENTION) -> int:
    """Delete rows sent more than `older_than` ago: what they did is done, and a row written
    with a tip is one more trace of it. Pending rows are never deleted."""
    cutoff = minute_now() - older_than
    deleted, _by_model = OutboxMessage.objects.filter(sent_at__lt=cutoff).delete()
    return deleted
