"""Signed messages and documents between partner portals (docs/network.md, "Messages").

A message is one canonical JSON object signed with Ed25519, its body a sealed box to the
recipient; a document (well-known, feed, acknowledgement) is signed the same way, to "*", its
body readable. Everything refused is recorded once, with the partner and the reason only."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import IntegrityError, transaction
from django.utils import timezone
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from network import keys
from network.models import Partner, Refusal, SeenNonce
from network.refused import REASONS, Refused
from traceobject.windows import timeout_until, unix_now, window_of

__all__ = [
    "REASONS",
    "Opened",
    "Refused",
    "canonical",
    "document_sign",
    "document_verify",
    "message_open",
    "message_seal",
    "network_cleanup",
    "refusal_record",
]

logger = logging.getLogger(__name__)
VERSION = 1
SIGNATURE_CONTEXT = b"traceobject-v1\n"
DOCUMENT_MAX_AGE_SECONDS = 7 * 24 * 3600
FIELDS = frozenset({"v", "kind", "from", "to", "id", "nonce", "ts", "key", "body", "sig"})
_HEX32 = re.compile(r"[0-9a-f]{32}")
_KIND = re.compile(r"[a-z][a-z0-9-]{0,39}")
# Refusals from portals that are not partners are attacker-chosen: at most this many rows a
# minute, so that a flood of forged senders cannot fill the table (every one is still counted
# in the log at most once a minute per origin and reason).
UNKNOWN_REFUSALS_PER_MINUTE = 100


@dataclass(frozen=True)
class Opened:
    partner: Partner
    kind: str
    message_id: str
    payload: dict


def canonical(value: Any) -> bytes:
    """The one byte string a JSON value signs as: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _signed(envelope: dict[str, Any]) -> bytes:
    unsigned = {name: value for name, value in envelope.items() if name != "sig"}
    signature = keys.signing_key().sign(SIGNATURE_CONTEXT + canonical(unsigned)).signature
    return canonical({**unsigned, "sig": keys.b64(signature)})


def _minute_ts() -> int:
    # To the minute: a message sent as a tip arrives must not tell the tip's second.
    return int(unix_now()) // 60 * 60


def message_seal(*, partner: Partner, kind: str, payload: dict, message_id: str) -> bytes:
    """A message to `partner`: `payload` sealed to its encryption key, signed by us.

    `message_id` is the idempotency key: a retry sends the same id (with a new nonce)."""
    if not _HEX32.fullmatch(message_id) or not _KIND.fullmatch(kind):
        raise ValueError("message_id must be 32 lowercase hex digits and kind a short name")
    sealed = keys.seal(public_key=partner.encryption_key, plaintext=canonical(payload))
    raw = _signed(
        {
            "v": VERSION,
            "kind": kind,
            "from": keys.our_origin(),
            "to": partner.origin,
            "id": message_id,
            "nonce": secrets.token_hex(16),
            "ts": _minute_ts(),
            "key": keys.signing_public_keys()[0],
            "body": keys.b64(sealed),
        }
    )
    if len(raw) > settings.NETWORK_MAX_MESSAGE_BYTES:
        raise _recorded(Refused("oversized", "ours, not sent"), partner=partner)
    return raw


def document_sign(*, kind: str, payload: dict) -> bytes:
    """A public document signed by us, to anyone ("*"): its body is the payload's JSON."""
    return _signed(
        {
            "v": VERSION,
            "kind": kind,
            "from": keys.our_origin(),
            "to": "*",
            "id": secrets.token_hex(16),
            "nonce": secrets.token_hex(16),
            "ts": _minute_ts(),
            "key": keys.signing_public_keys()[0],
            "body": canonical(payload).decode(),
        }
    )


def _parse(raw: bytes, max_bytes: int) -> dict[str, Any]:
    if len(raw) > max_bytes:
        raise Refused("oversized")
    try:
        envelope = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Refused("malformed", "not JSON") from None
    if not isinstance(envelope, dict) or set(envelope) != FIELDS:
        raise Refused("malformed", "fields")
    strings = ("kind", "from", "to", "id", "nonce", "key", "body", "sig")
    if envelope["v"] != VERSION or not all(isinstance(envelope[n], str) for n in strings):
        raise Refused("malformed", "types")
    ts = envelope["ts"]
    if isinstance(ts, bool) or not isinstance(ts, int):
        raise Refused("malformed", "ts")
    if not (_HEX32.fullmatch(envelope["id"]) and _HEX32.fullmatch(envelope["nonce"])):
        raise Refused("malformed", "id or nonce")
    return envelope


def _sender(envelope: dict[str, Any], partner: Partner | None) -> Partner:
    claimed = envelope["from"]
    if partner is None:
        partner = Partner.objects.filter(origin=claimed).first()
        if partner is None:
            raise Refused("unknown_sender")
    elif partner.origin != claimed:
        raise Refused("unknown_sender", "not the partner asked")
    if not partner.active:
        raise Refused("removed_sender")
    return partner


def _verify(envelope: dict[str, Any], partner: Partner) -> None:
    if envelope["key"] not in (partner.signing_keys or []):
        raise Refused("bad_signature", "key not accepted")
    unsigned = {name: value for name, value in envelope.items() if name != "sig"}
    try:
        VerifyKey(base64.b64decode(envelope["key"], validate=True)).verify(
            SIGNATURE_CONTEXT + canonical(unsigned),
            base64.b64decode(envelope["sig"], validate=True),
        )
    except (BadSignatureError, ValueError, binascii.Error, TypeError):
        raise Refused("bad_signature") from None


def _check_age(ts: int, *, past: int) -> None:
    now = unix_now()
    if ts < now - past or ts > now + settings.NETWORK_CLOCK_SKEW_SECONDS:
        raise Refused("stale")


def _rate_check(partner: Partner) -> None:
    now = unix_now()
    window, end = window_of(60, now)
    key = f"network-partner:{window}:{partner.pk}"
    cache = caches[settings.RATELIMIT_USE_CACHE]
    cache.add(key, 0, timeout_until(end, now))
    try:
        count = cache.incr(key)
    except ValueError:
        cache.add(key, 1, timeout_until(end, now))
        count = 1
    if count > settings.NETWORK_PARTNER_MESSAGES_PER_MINUTE:
        raise Refused("rate_limited")


def _nonce_record(partner: Partner, nonce: str) -> None:
    try:
        with transaction.atomic():
            SeenNonce.objects.create(partner=partner, nonce=nonce)
    except IntegrityError:
        raise Refused("replayed") from None


def message_open(raw: bytes) -> Opened:
    """Checks a message to us and opens it; raises Refused (recorded) otherwise."""
    partner = None
    claimed = ""
    try:
        envelope = _parse(raw, settings.NETWORK_MAX_MESSAGE_BYTES)
        claimed = envelope["from"]
        partner = _sender(envelope, None)
        _verify(envelope, partner)
        if envelope["to"] != keys.our_origin():
            raise Refused("wrong_recipient")
        _check_age(envelope["ts"], past=settings.NETWORK_CLOCK_SKEW_SECONDS)
        _rate_check(partner)
        _nonce_record(partner, envelope["nonce"])
        try:
            sealed = base64.b64decode(envelope["body"], validate=True)
        except (ValueError, binascii.Error):
            raise Refused("malformed", "body") from None
        payload = json.loads(keys.unseal(sealed).decode("utf-8"))
        if not isinstance(payload, dict):
            raise Refused("malformed", "payload")
    except Refused as refused:
        raise _recorded(refused, partner=partner, origin=claimed) from None
    except (UnicodeDecodeError, ValueError):
        raise _recorded(Refused("malformed", "payload"), partner=partner, origin=claimed) from None
    return Opened(
        partner=partner, kind=envelope["kind"], message_id=envelope["id"], payload=payload
    )


def document_verify(*, partner: Partner, raw: bytes, kind: str) -> dict:
    """The payload of a public document `partner` signed, of this kind, at most 7 days old."""
    try:
        envelope = _parse(raw, _document_cap())
        _sender(envelope, partner)
        _verify(envelope, partner)
        if envelope["to"] != "*" or envelope["kind"] != kind:
            raise Refused("malformed", "not that document")
        _check_age(envelope["ts"], past=DOCUMENT_MAX_AGE_SECONDS)
        payload = json.loads(envelope["body"])
        if not isinstance(payload, dict):
            raise Refused("malformed", "payload")
    except Refused as refused:
        raise _recorded(refused, partner=partner) from None
    except ValueError:
        raise _recorded(Refused("malformed", "payload"), partner=partner) from None
    return payload


def _document_cap() -> int:
    # A feed lists every public object with its translations: bigger than a message.
    return 64 * settings.NETWORK_MAX_MESSAGE_BYTES


def refusal_record(refused: Refused, *, partner: Partner | None = None, origin: str = "") -> None:
    """One Refusal row and one log line: the partner (or claimed origin) and the reason, never
    anything of a visitor. Idempotent on the same exception."""
    if refused.recorded:
        return
    refused.recorded = True
    known = partner if partner is not None and partner.pk else None
    origin = (partner.origin if partner is not None else origin)[:300]
    if known is None:
        now = unix_now()
        window, end = window_of(60, now)
        cache = caches[settings.RATELIMIT_USE_CACHE]
        key = f"network-refusals:{window}"
        cache.add(key, 0, timeout_until(end, now))
        if cache.incr(key) > UNKNOWN_REFUSALS_PER_MINUTE:
            return
    Refusal.objects.create(partner=known, origin=origin, reason=refused.reason)
    logger.warning("network refused %s from %s", refused.reason, origin or "-")


def _recorded(refused: Refused, *, partner: Partner | None = None, origin: str = "") -> Refused:
    refusal_record(refused, partner=partner, origin=origin)
    return refused


def network_cleanup() -> int:
    """Forgets nonces older than the replay window (a replay that old is stale anyway) and
    refusals older than 90 days. Run by beat (network.tasks.network_cleanup)."""
    window = timedelta(seconds=2 * settings.NETWORK_CLOCK_SKEW_SECONDS + 120)
    nonces, _ = SeenNonce.objects.filter(seen_at__lt=timezone.now() - window).delete()
    Refusal.objects.filter(at__lt=timezone.now() - timedelta(days=90)).delete()
    return nonces
