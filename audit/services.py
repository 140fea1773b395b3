"""The one way to write the audit log (every staff action that reads or changes a tip, every
object transition, every login) and to record a task that failed for good. Entries are
append-only (audit/models.py)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import models

from audit.models import AuditEntry, FailedTask

logger = logging.getLogger(__name__)

# Keys whose values never enter the log, whatever a caller passes.
SECRET_KEYS = {"password", "contact", "token", "otp", "receipt", "secret"}


def _masked(data: dict[str, Any]) -> dict[str, Any]:
    return {
        key: "***" if any(secret in key.lower() for secret in SECRET_KEYS) else value
        for key, value in data.items()
    }


def log_action(
    action: str,
    *,
    user: Any = None,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record `action` (namespaced, e.g. "tip.forwarded") by `user` on `target`."""
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return AuditEntry.objects.create(
        action=action,
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        data=_masked(data or {}),
    )


def failed_task_record(*, task_name: str, task_id: str, args: list, error: str) -> FailedTask:
    return FailedTask.objects.create(
        task_name=task_name, task_id=task_id, args=args, error=error[:5000]
    )


def failed_task_record_from_signal(
    sender: Any = None,
    task_id: str | None = None,
    exception: BaseException | None = None,
    args: Any = None,
    kwargs: Any = None,
    **_extra: Any,
) -> None:
    """Celery's task_failure signal: a task failed after its last retry (or could not retry).

    Task arguments are ids only (never tip text), so they are safe to keep.
    """
    try:
        failed_task_record(
            task_name=getattr(sender, "name", str(sender)),
            task_id=task_id or "",
            args=[*(args or []), *([kwargs] if kwargs else [])],
            error=repr(exception),
        )
    except Exception:  # a database outage must not hide the original failure
        logger.exception("could not record the failure of task %s", task_id)
