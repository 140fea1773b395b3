"""Celery tasks for tips: thin wrappers that take ids and call services."""

from __future__ import annotations

from dataclasses import asdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from tips import services
from tips.models import Tip
from traceobject.celery import RetryingTask
from traceobject.celery import app as celery_app


@celery_app.task(base=RetryingTask, autoretry_for=(OperationalError, OSError))
def alert_urgent_report(tip_id: int) -> int:
    """Mail the alert list about an urgent report: a link only, never what was written.

    Idempotent: a report already alerted about is skipped, so a relayed duplicate sends
    nothing twice.
    """
    if not Tip.objects.filter(pk=tip_id, urgent=True, urgent_alert_sent_at__isnull=True).exists():
        return 0
    recipients = list(settings.URGENT_ALERT_EMAILS) or list(
        get_user_model()
        .objects.filter(is_superuser=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not recipients:
        return 0
    link = settings.SITE_URL.rstrip("/") + reverse("admin:tips_tip_change", args=[tip_id])
    # In the site's main language (the staff's), whichever page language the report came
    # from: an eager task runs in the request's thread, with its language still active.
    with translation.override(settings.LANGUAGE_CODE):
        subject = gettext("Urgent report #%(number)s: a child may be in danger now") % {
            "number": tip_id
        }
        message = gettext(
            "An urgent report has just been received. Open it in the back office:\n\n"
            "%(link)s\n\nThis mail holds no content of the report on purpose."
        ) % {"link": link}
    send_mail(
        subject=f"[{settings.PORTAL_NAME}] {subject}",
        message=message,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=recipients,
    )
    Tip.objects.filter(pk=tip_id).update(urgent_alert_sent_at=timezone.now())
    return len(recipients)


@celery_app.task(base=RetryingTask, autoretry_for=(OperationalError,))
def apply_retention() -> dict:
    return asdict(services.retention_apply())
