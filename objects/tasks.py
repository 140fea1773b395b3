"""Celery tasks for objects: thin wrappers that take ids and call the intake's functions."""

from __future__ import annotations

from django.db import OperationalError

from objects import intake, partners
from traceobject.celery import RetryingTask
from traceobject.celery import app as celery_app


@celery_app.task(base=RetryingTask, autoretry_for=(OperationalError, OSError))
def intake_object(object_id: int) -> str:
    return intake.object_intake(object_id=object_id).state


@celery_app.task(base=RetryingTask, autoretry_for=(OperationalError, OSError))
def notify_resemblance(new_id: int, existing_id: int) -> int:
    """Mail the other case's owners a link to their object that a new crop resembles."""
    return intake.resemblance_notify(new_id=new_id, existing_id=existing_id)


@celery_app.task(base=RetryingTask, autoretry_for=(OperationalError,))
def requeue_stalled_intake() -> int:
    """Beat job: queue again the drafts whose intake task was lost, and clear orphan uploads."""
    requeued = intake.intake_requeue_stalled()
    intake.intake_root_clear_orphans()
    return requeued


@celery_app.task(base=RetryingTask, autoretry_for=(OperationalError,))
def partners_poll() -> int:
    """Beat job: poll the signed object feed of every partner whose turn it is."""
    return partners.partners_poll_due()
