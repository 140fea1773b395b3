"""The messages about tips owed to partner portals (tips/relaying.py sends them)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from network.models import Partner
from traceobject.clock import minute_now
from traceobject.fields import MinuteDateTimeField


class RelayKind(models.TextChoices):
    TIP = "tip", _("Tip, to the object's owner")
    ANSWER = "tip-answer", _("Tipster's answer, to the owner")
    STATUS = "tip-status", _("Status, back to the relaying portal")
    QUESTION = "tip-question", _("Question, back to the relaying portal")


class RelayState(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    DELIVERED = "delivered", _("Delivered")
    REFUSED = "refused", _("Refused")


class TipRelayQuerySet(models.QuerySet["TipRelay"]):
    def handing_over(self) -> TipRelayQuerySet:
        """The "tip" messages that hand a tip to its object's owner and still stand (waiting
        or delivered): the owner's analysts triage those tips. A refused one hands nothing
        over, so its tip is ours again."""
        return self.filter(kind=RelayKind.TIP).exclude(state=RelayState.REFUSED)

    def done_with(self, *, before: datetime) -> TipRelayQuerySet:
        """Delivered before `before` and needed no more: never a "tip" message (it maps the
        owner's messages back to its tip, and goes with the tip), nor a tip's latest status
        (the next status is compared with it); waiting and refused ones stay too."""
        later_status = TipRelay.objects.filter(
            tip=OuterRef("tip"), kind=RelayKind.STATUS, pk__gt=OuterRef("pk")
        )
        return (
            self.filter(state=RelayState.DELIVERED, delivered_at__lt=before)
            .exclude(kind=RelayKind.TIP)
            .exclude(Q(kind=RelayKind.STATUS) & ~Exists(later_status))
        )


# Relay rows deleted per statement by relays_done_delete: no backlog holds one long lock.
DELETE_BATCH = 1000


def relays_done_delete(*, now: datetime | None = None) -> int:
    """Delete the relay rows done with for TIP_RELAY_KEEP_DAYS (TipRelayQuerySet.done_with),
    in batches; the retention job's part for partner portals. Idempotent."""
    cutoff = (now or minute_now()) - timedelta(days=settings.TIP_RELAY_KEEP_DAYS)
    deleted = 0
    while ids := list(
        TipRelay.objects.done_with(before=cutoff).values_list("pk", flat=True)[:DELETE_BATCH]
    ):
        # Asked again on the batch: a status that has become a tip's latest meanwhile stays.
        deleted += TipRelay.objects.done_with(before=cutoff).filter(pk__in=ids).delete()[0]
    return deleted


def handed_over(tip_ref: OuterRef | None = None) -> Exists:
    """Whether the tip (`OuterRef("pk")` of a tips query) was handed over to its owner."""
    return Exists(TipRelay.objects.handing_over().filter(tip=tip_ref or OuterRef("pk")))


def handed_over_to(field: str, tip_ref: OuterRef | None = None) -> Subquery:
    """`field` of the standing "tip" relay of the tip (None when it was not handed over):
    one subquery in the tips' own query, so a list page runs no query per row."""
    relays = TipRelay.objects.handing_over().filter(tip=tip_ref or OuterRef("pk"))
    return Subquery(relays.order_by("id").values(field)[:1])


class TipRelay(models.Model):
    """One message about a tip to a partner portal (tips/relaying.py): a tip on its object
    and the tipster's answers, or a status and questions back to the portal that relayed
    it. Sent in order per partner, retried until acknowledged or refused; once it is, the
    payload (the only copy of what it carried besides the tip itself) is emptied."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    tip = models.ForeignKey("tips.Tip", on_delete=models.CASCADE, related_name="relays")
    kind = models.CharField(max_length=20, choices=RelayKind.choices)
    # The idempotency key: every attempt carries it, the receiver stores the message once.
    message_id = models.CharField(max_length=32, unique=True, editable=False)
    # What the message carries; the tipster's contact details only sealed to the owner's
    # key (never readable here). Emptied once delivered or refused.
    payload = models.JSONField(default=dict, blank=True, editable=False)
    state = models.CharField(max_length=10, choices=RelayState.choices, default=RelayState.WAITING)
    created_at = MinuteDateTimeField(default=minute_now, editable=False)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = MinuteDateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    refused_reason = models.CharField(max_length=40, blank=True)
    delivered_at = MinuteDateTimeField(null=True, blank=True)
    # The owner's reference of the tip, from its acknowledgement of a "tip" message.
    owner_ref = models.CharField(max_length=100, blank=True)

    objects = TipRelayQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            # The sender's question: the oldest message still waiting for a partner.
            models.Index(
                fields=["partner", "id"],
                condition=Q(state="waiting"),
                name="tiprelay_waiting",
            ),
            models.Index(fields=["tip", "kind"], name="tiprelay_tip"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of tip #{self.tip_id} to {self.partner_id} ({self.state})"
