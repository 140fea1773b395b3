"""Celery tasks for tips: thin wrappers that take ids and call services."""

from __future__ import annotations

from dataclasses import asdict

from celery import Task
from django.conf import settings
from django.db import OperationalError

from tips import alerts, grouping, recovery, relay_models, relaying, services, tally
from traceobject.celery import RetryingTask
from traceobject.celery import app as celery_app

# Waits for a window are not failures: they may take many more tries than errors do.
WAITS = 1000


@celery_app.task(bind=True, base=RetryingTask, autoretry_for=(OperationalError, OSError))
def alert_urgent_report(self: Task, tip_id: int) -> int:
    """One mail for the reports not alerted yet. In the worker: after a short wait, so a
    burst makes one mail, and one mail per window (the next window's takes the rest)."""
    if self.request.is_eager or self.request.called_directly:  # no worker: at once
        return services.urgent_report_alert(tip_id=tip_id)
    if self.request.retries == 0 and settings.URGENT_ALERT_GATHER_SECONDS:
        raise self.retry(countdown=settings.URGENT_ALERT_GATHER_SECONDS, max_retries=WAITS)
    try:
        return services.urgent_report_alert(tip_id=tip_id, one_per_window=True)
    except alerts.AlertLater as later:
        raise self.retry(countdown=later.seconds, max_retries=WAITS) from None


@celery_app.task(base=RetryingTask, autoretry_for=(OperationalError,))
def apply_retention() -> dict:
    """Daily: the tips' retention schedule, then the relay rows to partners done with."""
    return {
        **asdict(services.retention_apply()),
        "relays_deleted": relay_models.relays_done_delete(),
    }


@celery_app.task(base=RetryingTask, autoretry_for=(OperationalError,))
def analyse_tip(tip_id: int) -> int | None:
    """Group the tip with its near-duplicates and extract its claims. Idempotent."""
    return grouping.tip_analyse(tip_id=tip_id)


@celery_app.task(base=RetryingTask, autoretry_for=(OperationalError,))
def tally_refresh_marked() -> dict:
    """Every TALLY_REFRESH_SECONDS: the evidence boards' stored tallies, counted again where
    tips changed (tips/tally.py), so that a board rarely counts when it is opened."""
    return tally.refresh_marked()


@celery_app.task(base=RetryingTask, autoretry_for=(OperationalError,))
def requeue_lost_work() -> dict:
    """Every five minutes: group the tips and alert the reports whose work was lost."""
    return asdict(recovery.tips_lost_work_requeue())


@celery_app.task(base=RetryingTask, autoretry_for=(OperationalError,))
def relay_send(partner_id: int) -> int:
    """Send a partner portal's waiting messages about tips, in order (tips/relaying.py).
    A partner that does not answer is not a failure: its messages wait, with backoff."""
    return relaying.relays_send(partner_id=partner_id)


@celery_app.task(base=RetryingTask, autoretry_for=(OperationalError,))
def relays_send_due() -> int:
    """Every minute: the messages whose next attempt has come (the owner was down)."""
    return relaying.relays_send_due()
