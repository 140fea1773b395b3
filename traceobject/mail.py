"""Outgoing staff mail that says nothing about when, to the second, something happened.

Django would stamp a `Date` header with the second and a `Message-ID` that embeds the time
to a hundredth of a second; for an alert sent right after a tip arrives, either would tie
the tip to its second. Both are replaced here: the date to the minute, the id random.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from email.utils import format_datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import QuerySet

from traceobject.clock import minute_now


def mail_send(*, subject: str, body: str, to: list[str]) -> int:
    """Send one plain-text mail; return how many were sent (0 or 1), like send_mail."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    message = EmailMessage(
        # A mail header must never carry a newline (header injection).
        subject=" ".join(subject.splitlines()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        headers={
            "Date": format_datetime(minute_now()),
            "Message-ID": f"<{secrets.token_hex(16)}@{domain}>",
        },
    )
    return message.send()


def mail_once(
    *, rows: QuerySet, field: str, claimed_at: datetime, subject: str, body: str, to: list[str]
) -> bool:
    """Send one mail about `rows` once, however many runs try at the same moment: the rows
    are claimed first (`field`, empty until then, set to `claimed_at`), and a failed send
    releases the claim, so the task's retry sends it. False when already claimed."""
    if not rows.filter(**{f"{field}__isnull": True}).update(**{field: claimed_at}):
        return False
    try:
        mail_send(subject=subject, body=body, to=to)
    except BaseException:
        rows.filter(**{field: claimed_at}).update(**{field: None})
        raise
    return True


def site_link(path: str) -> str:
    """An absolute link for staff mail: SITE_URL and a path from reverse()."""
    return settings.SITE_URL.rstrip("/") + path
