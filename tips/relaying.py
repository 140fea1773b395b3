"""Tips between partner portals (issue #21, docs/network.md, "Tips"): the messages we owe a
partner about a tip, kept in TipRelay rows and delivered in order, once.

Outbound, on the portal that relays: a tip on a partner's object ("tip") and the tipster's
answers to its questions ("tip-answer"). Back, on the portal that owns the object: a public
status change ("tip-status") and an analyst's question ("tip-question"). Each row is written
in the transaction of the change that causes it, with an outbox job; the job (and a beat job
every minute, tips.tasks.relays_send_due) sends a partner's messages oldest first and stops
at the first that does not go through, so a later message never overtakes an earlier one.
A retry seals the same message again (a fresh nonce and time) with the same id, which the
receiver stores once. Nothing in a payload says when the tipster wrote, nor anything about
their browser or address; their contact details are sealed to the owner's key as they
arrive and never stored readable here.

This module writes relays and sends them; what a partner's messages do here is
tips/inbound.py's.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet

from network.models import Partner
from objects.models import TracedObject
from outbox.services import outbox_put
from tips.models import (
    PUBLIC_STATUS,
    PublicStatus,
    RelayKind,
    RelayState,
    Tip,
    TipFollowUp,
    TipMessage,
    TipRelay,
    TipStatus,
)
from tips.relay_models import handed_over
from traceobject.clock import minute_now

logger = logging.getLogger(__name__)

SEND_TASK = "tips.tasks.relay_send"
SEND_BATCH = 200  # messages one run sends to one partner before it lets the next run go on
BACKOFF_MINUTES = (1, 2, 4, 8, 15)  # then every 15 minutes, for as long as the owner is down
# HTTP answers that mean "later", not "never": the owner is busy, slow or limiting us.
TRANSIENT_STATUSES = {408, 425, 429}
# Refusals an administrator's fix ends (the owner adds us as a partner, accepts our new key,
# or the clocks agree again): the message waits for it rather than being lost.
TRANSIENT_REASONS = {"unknown_sender", "bad_signature", "stale", "undecryptable", "replayed"}
_REASON = re.compile(r"[a-z0-9_-]{1,40}")
# pg_advisory_lock's first key: one sender per partner at a time (the second is its id).
LOCK_CLASS = 210021


def object_owner(obj: TracedObject | None) -> Partner | None:
    """The partner portal that owns `obj`; None for our own objects (and for none)."""
    if obj is None or obj.owner_id is None:  # ours: no query for the owner
        return None
    return obj.owner


def object_owner_ref(obj: TracedObject) -> str:
    """The object's reference at its owner (its code there)."""
    return obj.owner_ref


def message_id_new() -> str:
    return secrets.token_hex(16)


def contact_seal(*, partner: Partner, contact: str) -> str:
    """The tipster's contact details sealed to the owner's encryption key (base64): only
    the owner can open them, not this portal, not its staff, not a stolen database."""
    from nacl.public import PublicKey, SealedBox

    key = PublicKey(base64.b64decode(partner.encryption_key))
    return base64.b64encode(SealedBox(key).encrypt(contact.encode())).decode()


def _put(*, partner: Partner, tip: Tip, kind: str, payload: dict) -> TipRelay:
    relay = TipRelay.objects.create(
        partner=partner, tip=tip, kind=kind, message_id=message_id_new(), payload=payload
    )
    outbox_put(task=SEND_TASK, kwargs={"partner_id": partner.pk})
    return relay


# --- Writing relays (each in the caller's transaction) --------------------------------------


def tip_relay_new(*, tip: Tip, partner: Partner, contact: str = "") -> TipRelay:
    """The "tip" message to the owner of the tip's object. Only what the owner needs to
    take it as one of its own tips: no time, no address, no browser."""
    assert tip.traced_object is not None
    sealed = ""
    if contact:
        if partner.encryption_key:
            sealed = contact_seal(partner=partner, contact=contact)
        else:  # a partner added without its key cannot be given them; never keep them here
            logger.warning("relay: partner %s has no encryption key; contact not kept", partner.pk)
    payload = {
        "owner_ref": object_owner_ref(tip.traced_object),
        "body": tip.body,
        "language": tip.language,
        "urgent": tip.urgent,
        "country": tip.country,
        "where": tip.where,
        "links": list(tip.links),
        "contact_sealed": sealed,
    }
    return _put(partner=partner, tip=tip, kind=RelayKind.TIP, payload=payload)


def without_relayed_out(tips: QuerySet[Tip]) -> QuerySet[Tip]:
    """Leave out the tips we relayed to the owner of their object: the owner reads them.
    One the owner refused comes back to our analysts (its text is still here)."""
    return tips.exclude(handed_over())


def tip_relayed_out(tip: Tip) -> TipRelay | None:
    """The "tip" relay that sent `tip` to its object's owner, if it was relayed."""
    return TipRelay.objects.filter(tip=tip, kind=RelayKind.TIP).select_related("partner").first()


def follow_up_forward(*, follow_up: TipFollowUp) -> TipRelay | None:
    """The tipster added to a tip we relayed: the addition goes to the owner too."""
    relayed = tip_relayed_out(follow_up.tip)
    if relayed is None or relayed.state == RelayState.REFUSED:  # the owner never took it
        return None
    payload = {"tip": relayed.message_id, "body": follow_up.body}
    return _put(partner=relayed.partner, tip=follow_up.tip, kind=RelayKind.ANSWER, payload=payload)


def question_flow_back(*, message: TipMessage) -> TipRelay | None:
    """An analyst asked the tipster of a tip a partner relayed: the question goes back."""
    tip = message.tip
    partner = tip.source_partner if tip.source_partner_id is not None else None
    if partner is None:
        return None
    payload = {"tip": tip.source_message_id, "body": message.body}
    return _put(partner=partner, tip=tip, kind=RelayKind.QUESTION, payload=payload)


def status_flow_back(*, tip: Tip) -> TipRelay | None:
    """The tip's status changed: if a partner relayed it and the status its tipster sees
    is not the one last sent back ("received" at first), send the new one back."""
    partner = tip.source_partner if tip.source_partner_id is not None else None
    if partner is None:
        return None
    public = str(PUBLIC_STATUS[TipStatus(tip.status)])
    last = (
        TipRelay.objects.filter(tip=tip, kind=RelayKind.STATUS)
        .order_by("-id")
        .values_list("payload", flat=True)
        .first()
    )
    if (last or {}).get("status", PublicStatus.RECEIVED) == public:
        return None
    payload = {"tip": tip.source_message_id, "status": public}
    return _put(partner=partner, tip=tip, kind=RelayKind.STATUS, payload=payload)


def statuses_flow_back(tip_ids: Iterable[int]) -> int:
    """status_flow_back for tips changed in bulk (a flood rejected): those a partner
    relayed get their status sent back."""
    sent = 0
    relayed = Tip.objects.filter(pk__in=list(tip_ids), source_partner__isnull=False)
    for tip in relayed.select_related("source_partner").order_by("id"):
        sent += status_flow_back(tip=tip) is not None
    return sent


# --- Sending ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What became of one attempt: delivered (with the receiver's answer), refused for
    good (with its reason), or to try again later (with the error, for the administrator)."""

    delivered: bool = False
    refused: str = ""
    error: str = ""
    payload: dict | None = None


def exchange(*, partner: Partner, kind: str, payload: dict, message_id: str) -> Answer:
    """Seal the message to `partner`, post it to its inbox and read its answer."""
    from network import client, envelope

    try:
        raw = envelope.message_seal(
            partner=partner, kind=kind, payload=payload, message_id=message_id
        )
        status, body = client.post(partner=partner, url=partner.inbox_url, body=raw)
    except envelope.Refused as refused:
        if refused.reason == "oversized":  # ours: never smaller on a retry
            return Answer(refused="oversized")
        return Answer(error=f"not sent: {refused.reason}")  # the address, say: try later
    except OSError as exc:  # down, unreachable, timed out
        return Answer(error=f"not sent: {type(exc).__name__}")
    if status == 200:
        try:
            acked = envelope.document_verify(partner=partner, raw=body, kind="ack")
        except envelope.Refused as refused:
            return Answer(error=f"acknowledgement not valid: {refused.reason}")
        return answer_read(acked)
    reason = refusal_reason(body)
    if status >= 500 or status in TRANSIENT_STATUSES or reason in TRANSIENT_REASONS:
        return Answer(error=f"HTTP {status} {reason}".strip())
    return Answer(refused=reason or f"http_{status}")


def answer_read(acked: dict) -> Answer:
    """A receiver's acknowledgement: its handler may refuse the message for good."""
    if acked.get("refused"):
        return Answer(refused=_reason(acked["refused"]) or "refused")
    return Answer(delivered=True, payload=acked)


def refusal_reason(body: bytes) -> str:
    """The reason of a refusal answer ({"refused": reason}), cut to a safe word."""
    try:
        answer = json.loads(body[:2000])
    except ValueError:
        return ""
    return _reason(answer.get("refused")) if isinstance(answer, dict) else ""


def _reason(value: Any) -> str:
    value = str(value or "").lower()
    return value if _REASON.fullmatch(value) else ""


@contextmanager
def _sender_lock(partner_id: int) -> Iterator[bool]:
    """Whether this run may send to the partner: one sender at a time, or two would race
    each other's order. A session lock, not a row lock: no transaction stays open while a
    message is on its way."""
    if connection.vendor != "postgresql":  # development on SQLite: one worker
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_CLASS, partner_id])
        got = bool(cursor.fetchone()[0])
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_CLASS, partner_id])


def relays_send(*, partner_id: int, now: datetime | None = None) -> int:
    """Send the partner's waiting messages, oldest first; return how many went through
    (delivered or refused). Stops at the first that must wait: it is retried with backoff,
    and the ones after it wait behind it."""
    done = 0
    with _sender_lock(partner_id) as mine:
        if not mine:
            return 0  # another run is sending to this partner; it sends these too
        partner = Partner.objects.filter(pk=partner_id).first()
        if partner is None or not _network_on():
            return 0
        while done < SEND_BATCH:
            head = TipRelay.objects.filter(partner=partner, state=RelayState.WAITING).first()
            if head is None:
                break
            if head.next_attempt_at and head.next_attempt_at > (now or minute_now()):
                break
            if not partner.active:  # removed: cut off at once, nothing more goes to it
                relay_refused(relay=head, reason="partner_removed")
            elif not relay_attempt(relay=head, partner=partner, now=now):
                break
            done += 1
    return done


def _network_on() -> bool:
    from network.keys import network_enabled

    return network_enabled()


def relay_attempt(*, relay: TipRelay, partner: Partner, now: datetime | None = None) -> bool:
    """One attempt at one message; whether it went through (delivered or refused)."""
    answer = exchange(
        partner=partner, kind=relay.kind, payload=relay.payload, message_id=relay.message_id
    )
    if answer.delivered:
        relay_delivered(relay=relay, acked=answer.payload or {})
        return True
    if answer.refused:
        relay_refused(relay=relay, reason=answer.refused)
        return True
    attempts = relay.attempts + 1
    wait = BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1]
    TipRelay.objects.filter(pk=relay.pk, state=RelayState.WAITING).update(
        attempts=attempts,
        next_attempt_at=(now or minute_now()) + timedelta(minutes=wait),
        last_error=answer.error[:300],
    )
    logger.info("relay %s to partner %s waits: %s", relay.pk, partner.pk, answer.error)
    return False


def relay_delivered(*, relay: TipRelay, acked: dict) -> None:
    """Acknowledged: keep only what the receipt and the administrator need. The payload
    (the copy of the tip and the contact details sealed to the owner) goes: a tip on a
    partner's object never had them stored otherwise here."""
    with transaction.atomic():
        TipRelay.objects.filter(pk=relay.pk).update(
            state=RelayState.DELIVERED,
            payload=_kept(relay),
            attempts=relay.attempts + 1,
            delivered_at=minute_now(),
            next_attempt_at=None,
            last_error="",
            owner_ref=str(acked.get("ref", ""))[:100] if relay.kind == RelayKind.TIP else "",
        )


def relay_refused(*, relay: TipRelay, reason: str) -> None:
    """Refused for good: the administrator sees the reason; what it carried goes."""
    TipRelay.objects.filter(pk=relay.pk).update(
        state=RelayState.REFUSED,
        payload=_kept(relay),
        attempts=relay.attempts + 1,
        refused_reason=reason[:40],
        next_attempt_at=None,
    )
    logger.warning("relay %s to partner %s refused: %s", relay.pk, relay.partner_id, reason)


def _kept(relay: TipRelay) -> dict:
    """What stays of a payload once its message is done: a status (no one's words, and
    what the next status is compared with); nothing of a tip, answer or question."""
    return relay.payload if relay.kind == RelayKind.STATUS else {}


def partners_due(*, now: datetime | None = None) -> list[int]:
    """Partners with a message waiting whose time has come (the beat job's list)."""
    waiting = TipRelay.objects.filter(state=RelayState.WAITING)
    due = waiting.filter(next_attempt_at__isnull=True) | waiting.filter(
        next_attempt_at__lte=now or minute_now()
    )
    return sorted(set(due.values_list("partner_id", flat=True)))


def relays_send_due(*, now: datetime | None = None) -> int:
    return sum(relays_send(partner_id=pk, now=now) for pk in partners_due(now=now))
