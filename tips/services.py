"""Writes for tips: receiving a tip or report, follow-ups through the receipt, and the
retention schedule. Status changes are triage's (tips/triage.py), the only writer of
Tip.status."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from objects.models import TracedObject
from outbox.services import outbox_put
from tips import triage
from tips.crypto import contact_encrypt, receipt_hash, receipt_new, submission_hash
from tips.models import CLOSED_STATUSES, Tip, TipFollowUp, TipKind, TipStatus

logger = logging.getLogger(__name__)

RETENTION_BATCH = 500


@dataclass(frozen=True)
class TipContent:
    body: str
    country: str = ""
    where: str = ""
    occurred: str = ""  # reports only: when it happened, in the tipster's words
    links: list[str] = field(default_factory=list)
    contact: str = ""  # only ever passed when the visitor ticked the consent box


class TipAlreadyReceived(Exception):
    """This form (its one-time submission token) was already received."""


@dataclass(frozen=True)
class ReceivedTip:
    tip: Tip
    receipt: str  # shown to the visitor once; only its hash is stored


def minute_now() -> datetime:
    """The time to the minute: the exact second could help match a tip to a connection log."""
    return timezone.now().replace(second=0, microsecond=0)


def tip_receive(
    *,
    content: TipContent,
    language: str,
    traced_object: TracedObject | None = None,
    urgent: bool = False,
    submission: str = "",
) -> ReceivedTip:
    """Store a tip (or, without an object, a report) and its outbox work in one transaction.

    `submission` is the form's one-time token: sent again, it raises TipAlreadyReceived
    instead of storing a second tip (the database's unique index decides, even in a race).
    """
    submission_key = submission_hash(submission) if submission else None
    for _attempt in range(3):  # a receipt collision is astronomically rare; never fail on it
        receipt = receipt_new()
        try:
            with transaction.atomic():
                tip = Tip.objects.create(
                    kind=TipKind.OBJECT if traced_object else TipKind.REPORT,
                    traced_object=traced_object,
                    body=content.body,
                    country=content.country,
                    where=content.where,
                    occurred=content.occurred,
                    links=content.links,
                    contact_encrypted=contact_encrypt(content.contact) if content.contact else "",
                    language=language[:10],
                    urgent=urgent,
                    received_at=minute_now(),
                    receipt_hash=receipt_hash(receipt),
                    submission_hash=submission_key,
                )
                if urgent:
                    outbox_put(task="tips.tasks.alert_urgent_report", kwargs={"tip_id": tip.pk})
            return ReceivedTip(tip=tip, receipt=receipt)
        except IntegrityError:
            if submission_key and Tip.objects.filter(submission_hash=submission_key).exists():
                raise TipAlreadyReceived from None
            if Tip.objects.filter(receipt_hash=receipt_hash(receipt)).exists():
                continue
            raise
    raise RuntimeError("could not draw an unused receipt")


def tip_by_receipt(receipt: str) -> Tip | None:
    return (
        Tip.objects.filter(receipt_hash=receipt_hash(receipt), receipt_invalidated_at__isnull=True)
        .select_related("traced_object")
        .prefetch_related("messages", "follow_ups")
        .first()
    )


def tip_add_follow_up(*, tip: Tip, body: str) -> TipFollowUp:
    with transaction.atomic():
        follow_up = TipFollowUp.objects.create(tip=tip, body=body, received_at=minute_now())
        triage.tip_resume_after_follow_up(tip=tip)
    return follow_up


# --- Retention --------------------------------------------------------------------------


@dataclass
class RetentionReport:
    contacts_deleted: int = 0
    rejected_deleted: int = 0
    receipts_invalidated: int = 0


def _in_batches(queryset: QuerySet, apply) -> int:
    """Apply to primary keys in batches, so a backlog never holds one long lock."""
    done = 0
    while ids := list(queryset.values_list("pk", flat=True)[:RETENTION_BATCH]):
        # Re-apply the conditions: a tip reopened since the ids were read is left alone.
        done += apply(queryset.filter(pk__in=ids))
    return done


def retention_apply(*, now: datetime | None = None) -> RetentionReport:
    """Delete contacts and rejected tips and invalidate receipts past their time. Idempotent."""
    now = now or timezone.now()
    report = RetentionReport()
    closed = Tip.objects.filter(status__in=CLOSED_STATUSES, closed_at__isnull=False)
    report.contacts_deleted = _in_batches(
        closed.exclude(contact_encrypted="").filter(
            closed_at__lte=now - timedelta(days=settings.TIP_CONTACT_RETENTION_DAYS)
        ),
        lambda batch: batch.update(contact_encrypted="", contact_deleted_at=now),
    )
    report.receipts_invalidated = _in_batches(
        closed.filter(
            receipt_hash__isnull=False,
            closed_at__lte=now - timedelta(days=settings.TIP_RECEIPT_RETENTION_DAYS),
        ),
        lambda batch: batch.update(receipt_hash=None, receipt_invalidated_at=now),
    )
    report.rejected_deleted = _in_batches(
        Tip.objects.filter(
            status=TipStatus.REJECTED,
            closed_at__lte=now - timedelta(days=settings.TIP_REJECTED_RETENTION_DAYS),
        ),
        lambda batch: batch.delete()[1].get("tips.Tip", 0),
    )
    return report
