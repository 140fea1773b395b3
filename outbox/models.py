"""Work to do after a transaction commits, written in that transaction.

Every app queues its background work here (outbox.services.outbox_put): a broker or worker
outage delays the work, it cannot lose it, and a service never imports its app's tasks.
"""

from django.db import models

from traceobject.clock import minute_now
from traceobject.fields import MinuteDateTimeField


class OutboxMessage(models.Model):
    """One task to send to Celery, relayed once the transaction that wrote it commits."""

    task = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    # To the minute, like every time kept about a tip: a row written in a tip's transaction
    # would otherwise date that tip to the millisecond. Done rows are deleted after a while.
    created_at = MinuteDateTimeField(default=minute_now, editable=False)
    # Handed to the broker: the work may still be lost with the broker or a killed worker.
    sent_at = MinuteDateTimeField(null=True, blank=True, db_index=True)
    # The task ran to its end (outbox.services.outbox_done_mark): only then is the work done.
    done_at = MinuteDateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.task} {self.kwargs}"
