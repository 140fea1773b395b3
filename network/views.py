"""The network's two public addresses: our signed identity and the inbox (docs/network.md)."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from network import keys
from network.envelope import Refused, document_sign, message_open, refusal_record
from network.inbox import handler_for

_STATUS = {
    "oversized": 413,
    "rate_limited": 429,
    "unknown_sender": 403,
    "removed_sender": 403,
    "bad_signature": 403,
    "wrong_recipient": 403,
}


def _signed(raw: bytes, status: int = 200) -> HttpResponse:
    response = HttpResponse(raw, status=status, content_type="application/json")
    # Signed anew on every request and never a visitor's: no cache of ours or anyone's keeps it.
    response["Cache-Control"] = "no-store"
    return response


def well_known_payload() -> dict:
    return {
        "name": settings.NETWORK_NAME,
        "origin": keys.our_origin(),
        "signing_keys": keys.signing_public_keys(),
        "encryption_key": keys.encryption_public_key(),
        "feed": keys.absolute_url("/network/feed.json"),
        "inbox": keys.absolute_url("/network/inbox/"),
        "version": 1,
    }


@require_GET
def well_known(request: HttpRequest) -> HttpResponse:
    if not keys.network_enabled():
        raise Http404
    return _signed(document_sign(kind="well-known", payload=well_known_payload()))


def _refused(reason: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps({"refused": reason}),
        status=_STATUS.get(reason, 400),
        content_type="application/json",
    )
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@require_POST
def inbox(request: HttpRequest) -> HttpResponse:
    """One signed, sealed message from a partner; the answer is a signed "ack" document."""
    if not keys.network_enabled():
        raise Http404
    cap = settings.NETWORK_MAX_MESSAGE_BYTES
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > cap:
        refusal_record(Refused("oversized"))
        return _refused("oversized")
    # Read from the stream, not request.body: nothing beyond the cap is ever held.
    raw = request.read(cap + 1)
    try:
        opened = message_open(raw)
        handler = handler_for(opened.kind)
        if handler is None:
            refused = Refused("unknown_kind")
            refusal_record(refused, partner=opened.partner)
            raise refused
        answer = handler(opened)
    except Refused as refused:
        refusal_record(refused)
        return _refused(refused.reason)
    return _signed(document_sign(kind="ack", payload=answer))
