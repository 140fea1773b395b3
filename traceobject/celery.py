"""The Celery application, configured from Django settings (every CELERY_* setting).

Tasks are a thin interface: they take ids, load the row and call a service function. They
must be idempotent, because acknowledgement is late and a task may run again after a crash.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery, Task
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "traceobject.settings")

logger = logging.getLogger(__name__)

app = Celery("traceobject")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class RetryingTask(Task):
    """Base for our tasks: bounded retries with backoff, then a failure logged (and
    recorded in the database by audit.services.failed_task_record_from_signal).

    Only errors worth retrying (a database or broker hiccup) are listed in `autoretry_for` by a
    task; anything else fails at once and is recorded.
    """

    max_retries = 5
    retry_backoff = 10
    retry_backoff_max = 3600  # == settings.CELERY_MAX_COUNTDOWN (the visibility timeout needs it)
    retry_jitter = True

    def on_failure(  # noqa: D401 (Celery's hook name)
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        # The failure is recorded as a FailedTask by the audit app (its task_failure receiver):
        # this module configures Celery and imports no app.
        logger.error("task %s[%s] failed for good: %r", self.name, task_id, exc)


@worker_ready.connect
def heartbeat_start(sender: Any, **kwargs: Any) -> None:
    """Beat from the worker's own event loop, so /healthz/ can tell a silent worker.

    The timer runs in the consumer's loop: a worker that stops taking messages stops
    beating too, not just one whose process is gone.
    """
    from django.conf import settings

    from traceobject.health import worker_heartbeat_write

    worker_heartbeat_write()
    sender.timer.call_repeatedly(settings.WORKER_HEARTBEAT_SECONDS, worker_heartbeat_write)
