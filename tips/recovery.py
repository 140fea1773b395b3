"""Work a tip needs that was lost before it was done: the broker's queue went with a Redis
restart, a worker was killed, or an outbox row gave up. Beat runs this every few minutes;
what is found is queued again through the outbox, never twice while it waits there, and
the tasks are idempotent (a tip is grouped once, an urgent report alerted once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from outbox.models import OutboxMessage
from outbox.services import outbox_put
from tips.models import Tip, TipKind
from tips.services import urgent_alert_recipients
from traceobject.clock import minute_now

ANALYSE = "tips.tasks.analyse_tip"
ALERT = "tips.tasks.alert_urgent_report"
REQUEUE_BATCH = 500


@dataclass
class Requeued:
    ungrouped: int = 0
    unalerted: int = 0


def _waiting(task: str) -> set[int]:
    """Tips whose work of `task` is in the outbox, not done yet."""
    return {
        tip_id
        for tip_id in OutboxMessage.objects.filter(task=task, done_at__isnull=True).values_list(
            "kwargs__tip_id", flat=True
        )
        if isinstance(tip_id, int)
    }


def _requeue(task: str, tips: QuerySet[Tip]) -> int:
    waiting = _waiting(task)
    ids = [pk for pk in tips.values_list("pk", flat=True)[:REQUEUE_BATCH] if pk not in waiting]
    with transaction.atomic():
        for pk in ids:
            outbox_put(task=task, kwargs={"tip_id": pk})
    return len(ids)


def tips_lost_work_requeue(*, older_than: timedelta | None = None) -> Requeued:
    """Queue again the grouping of tips still without a signature and the alert of urgent
    reports still unalerted, `older_than` (REQUEUE_AFTER_MINUTES) after they arrived."""
    if older_than is None:
        older_than = timedelta(minutes=settings.REQUEUE_AFTER_MINUTES)
    arrived_before = minute_now() - older_than
    report = Requeued()
    report.ungrouped = _requeue(
        ANALYSE,
        Tip.objects.filter(
            kind=TipKind.OBJECT, signature__isnull=True, received_at__lte=arrived_before
        ).order_by("pk"),
    )
    if urgent_alert_recipients():  # with nobody to tell, the alert would do nothing again
        report.unalerted = _requeue(
            ALERT,
            Tip.objects.filter(
                urgent=True, urgent_alert_sent_at__isnull=True, received_at__lte=arrived_before
            ).order_by("pk"),
        )
    return report
