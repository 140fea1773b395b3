"""The one way to queue background work: a row in the caller's transaction, relayed to
Celery after commit, done only once its task ran (docs/architecture.md)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from outbox.models import OutboxMessage
from traceobject.clock import minute_now

logger = logging.getLogger(__name__)

OUTBOX_BATCH = 100
# Done rows are kept this long, for an operator to see recent work go out, then deleted.
SENT_RETENTION = timedelta(days=1)
# A row sent this many times and never done is left for an operator (its task fails each
# time: audit.FailedTask says why) instead of being sent forever.
OUTBOX_MAX_ATTEMPTS = 5
TASK_ID_PREFIX = "outbox-"


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
            import_string(message.task).apply_async(
                kwargs=message.kwargs, task_id=f"{TASK_ID_PREFIX}{message.pk}"
            )
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


def outbox_done_mark(*, message_id: int) -> bool:
    """The task of `message_id` has run to its end. Idempotent: a second run marks nothing."""
    return bool(
        OutboxMessage.objects.filter(pk=message_id, done_at__isnull=True).update(
            done_at=minute_now()
        )
    )


def outbox_done_from_signal(sender: Any = None, **_extra: Any) -> None:
    """Celery's task_success signal, in the worker: mark the row whose id the task id bears."""
    task_id = str(getattr(getattr(sender, "request", None), "id", None) or "")
    if task_id.startswith(TASK_ID_PREFIX) and task_id[len(TASK_ID_PREFIX) :].isdigit():
        outbox_done_mark(message_id=int(task_id[len(TASK_ID_PREFIX) :]))


def outbox_reconcile(*, older_than: timedelta | None = None) -> int:
    """Send again what was handed to the broker `older_than` ago (REQUEUE_AFTER_MINUTES) and
    never done: the broker lost it (Redis restarted without its file) or the worker died
    with it. Tasks are idempotent, so a slow one that runs twice does no harm."""
    if older_than is None:
        older_than = timedelta(minutes=settings.REQUEUE_AFTER_MINUTES)
    return OutboxMessage.objects.filter(
        done_at__isnull=True,
        sent_at__lte=minute_now() - older_than,
        attempts__lt=OUTBOX_MAX_ATTEMPTS,
    ).update(sent_at=None)


def outbox_waiting(*, task: str, kwargs: dict) -> bool:
    """Whether this work is already in the outbox and not done (so it is not queued twice)."""
    return OutboxMessage.objects.filter(task=task, kwargs=kwargs, done_at__isnull=True).exists()


def outbox_sent_delete(*, older_than: timedelta = SENT_RETENTION) -> int:
    """Delete rows done more than `older_than` ago: what they did is done, and a row written
    with a tip is one more trace of it. Rows not done are never deleted."""
    cutoff = minute_now() - older_than
    deleted, _by_model = OutboxMessage.objects.filter(done_at__lt=cutoff).delete()
    return deleted
