"""Celery tasks for tips: thin wrappers that take ids and call services."""

from __future__ import annotations

from dataclasses import asdict

from django.db import OperationalError

from tips import grouping, recovery, services
from traceobject.celery import RetryingTask
from traceobject.celery import app as celery_app


@celery_app.task(base=RetryingTask, autoretry_for=(OperationalError, OSError))
def alert_urgent_report(tip_id: int) -> int:
    return services.urgent_report_alert(tip_id=tip_id)


@celery_app.task(base=RetryingTask, autoretry_for=(OperationalError,))
def apply_retention() -> dict:
    return asdict(services.retention_apply())


@celery_app.task(base=RetryingTask, autoretry_for=(OperationalError,))
def analyse_tip(tip_id: int) -> int | None:
    """Group the tip with its near-duplicates and extract its claims. Idempotent."""
    return grouping.tip_analyse(tip_id=tip_id)


@celery_app.task(base=RetryingTask, autoretry_for=(OperationalError,))
def requeue_lost_work() -> dict:
    """Every five minutes: group the tips and alert the reports whose work was lost."""
    return asdict(recovery.tips_lost_work_requeue())
