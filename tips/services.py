"""Writes for tips: receiving a tip or report, follow-ups through the receipt, and the
retention schedule. Status changes are triage's (tips/triage.py), the only writer of
Tip.status."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from network.models import Partner
from objects.models import TracedObject
from outbox.services import outbox_put
from tips import alerts, grouping, relaying, triage
from tips.crypto import contact_encrypt, receipt_hash, receipt_new, submission_hash
from tips.models import CLOSED_STATUSES, Tip, TipFollowUp, TipKind, TipStatus
from tips.urgent import urgent_waiting_forget
from traceobject.clock import minute_now, to_the_minute

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


def tip_receive(
    *,
    content: TipContent,
    language: str,
    traced_object: TracedObject | None = None,
    urgent: bool = False,
    held_by_breaker: bool = False,
    submission: str = "",
    source_partner: Partner | None = None,
    source_message_id: str = "",
) -> ReceivedTip:
    """Store a tip (or, without an object, a report) and its outbox work in one transaction.

    `held_by_breaker`: an urgent report taken while a shared rate limit was exceeded, which
    would have refused any other tip; analysts see it marked (likely part of a flood).
    `submission` is the form's one-time token: sent again, it raises TipAlreadyReceived
    instead of storing a second tip (the database's unique index decides, even in a race).

    A tip on a partner's object is stored here all the same (the visitor gets their receipt
    at once) and relayed to the owner in the same transaction (tips/relaying.py): it is
    not grouped here, and its contact details are sealed to the owner, never kept readable.
    `source_partner` and its `source_message_id`: a tip a partner relayed to us (its
    tipster holds the partner's receipt, not one of ours); the message stored a second
    time raises IntegrityError, which tips/inbound.py reads as "stored already".
    """
    submission_key = submission_hash(submission) if submission else None
    owner = relaying.object_owner(traced_object)
    for _attempt in range(3):  # a receipt collision is astronomically rare; never fail on it
        receipt = "" if source_partner else receipt_new()
        contact = content.contact if content.contact and owner is None else ""
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
                    contact_encrypted=contact_encrypt(contact) if contact else "",
                    language=language[:10],
                    urgent=urgent,
                    held_by_breaker=held_by_breaker,
                    received_at=minute_now(),
                    receipt_hash=receipt_hash(receipt) if receipt else None,
                    submission_hash=submission_key,
                    source="partner" if source_partner else "web",
                    source_partner=source_partner,
                    source_message_id=source_message_id,
                )
                if urgent:
                    outbox_put(task="tips.tasks.alert_urgent_report", kwargs={"tip_id": tip.pk})
                    urgent_waiting_forget()  # the back office's banner shows it at once
                if owner is not None:
                    # The owner groups it with its own tips; here it waits for their news.
                    relaying.tip_relay_new(tip=tip, partner=owner, contact=content.contact)
                elif traced_object:
                    # Grouping and claims, in the worker once this tip is committed.
                    outbox_put(task="tips.tasks.analyse_tip", kwargs={"tip_id": tip.pk})
            return ReceivedTip(tip=tip, receipt=receipt)
        except IntegrityError:
            if source_partner:
                raise
            if submission_key and Tip.objects.filter(submission_hash=submission_key).exists():
                raise TipAlreadyReceived from None
            if Tip.objects.filter(receipt_hash=receipt_hash(receipt)).exists():
                continue
            raise
    raise RuntimeError("could not draw an unused receipt")


def tip_import(
    *,
    traced_object: TracedObject,
    content: TipContent,
    language: str,
    received_at: datetime,
    source: str,
    ref: str,
) -> Tip | None:
    """Store a tip from another channel (`manage.py import_tips`), grouped and its claims
    tallied before this returns; None when the channel's `source`+`ref` is already here.

    No receipt: the tipster reached a hotline or a partner, not this portal.
    """
    try:
        with transaction.atomic():
            tip = Tip.objects.create(
                kind=TipKind.OBJECT,
                traced_object=traced_object,
                body=content.body,
                country=content.country,
                where=content.where,
                links=content.links,
                language=language[:10],
                received_at=to_the_minute(received_at),
                receipt_hash=None,
                source=source,
                ref=ref,
            )
            grouping.tip_analyse_new(tip=tip)
    except IntegrityError:
        if ref and Tip.objects.filter(source=source, ref=ref).exists():
            return None  # imported before (the constraint on source and ref)
        raise
    return tip


def tip_by_receipt(receipt: str) -> Tip | None:
    return (
        Tip.objects.filter(receipt_hash=receipt_hash(receipt), receipt_invalidated_at__isnull=True)
        .select_related("traced_object")
        .prefetch_related("messages", "follow_ups")
        .first()
    )


def tip_add_follow_up(*, tip: Tip, body: str, source_message_id: str = "") -> TipFollowUp:
    """The tipster added to their tip (or answered a question). On a tip we relayed, the
    addition goes on to the owner; `source_message_id`: an addition a partner relayed to
    us (stored a second time, it raises IntegrityError: tips/inbound.py reads it)."""
    with transaction.atomic():
        follow_up = TipFollowUp.objects.create(
            tip=tip, body=body, received_at=minute_now(), source_message_id=source_message_id
        )
        triage.tip_resume_after_follow_up(tip=tip)
        relaying.follow_up_forward(follow_up=follow_up)
    return follow_up


# --- Alerting about an urgent report -----------------------------------------------------


def urgent_alert_recipients() -> list[str]:
    return list(settings.URGENT_ALERT_EMAILS) or list(
        get_user_model()
        .objects.filter(is_superuser=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def urgent_report_alert(*, tip_id: int, one_per_window: bool = False) -> int:
    """Mail the alert list about urgent report `tip_id` and every other one not alerted yet,
    in one mail (tips/alerts.py); return how many reports it named, 0 when another run
    already did. `one_per_window`: the worker's, see alerts.urgent_alerts_send."""
    return alerts.urgent_alerts_send(
        recipients=urgent_alert_recipients(), one_per_window=one_per_window
    )


# --- Retention --------------------------------------------------------------------------


@dataclass
class RetentionReport:
    contacts_deleted: int = 0
    rejected_deleted: int = 0
    receipts_invalidated: int = 0


def _in_batches(queryset: QuerySet[Tip], apply: Callable[[QuerySet[Tip]], int]) -> int:
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
        _tips_delete,
    )
    return report


def _tips_delete(batch: QuerySet[Tip]) -> int:
    """Delete, and shrink the groups they leave (Tip.group_size, Tip.group_read)."""
    with transaction.atomic():
        groups = set(batch.values_list("group_id", flat=True))
        deleted = batch.delete()[1].get("tips.Tip", 0)
        grouping.groups_recount(groups)
    return deleted
