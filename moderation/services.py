"""Writes for the back office."""

from __future__ import annotations

from moderation.models import FailedTask


def failed_task_record(*, task_name: str, task_id: str, args: list, error: str) -> FailedTask:
    return FailedTask.objects.create(
        task_name=task_name, task_id=task_id, args=args, error=error[:5000]
    )
