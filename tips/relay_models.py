"""The messages about tips owed to partner portals (tips/relaying.py sends them)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
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
