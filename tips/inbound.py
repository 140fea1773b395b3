"""What a partner portal's messages about tips do here (docs/network.md, "Tips"); registered
with network.inbox by tips.apps. network has opened each message (signature, sender, time
window, nonce, rate) before a handler sees it: a handler checks the payload, as a form
checks a visitor's input, and answers a dict that network signs as the acknowledgement.

Every handler is idempotent on the message id: a message sent again because its
acknowledgement was lost gets the same answer and stores nothing twice. A message that can
never be taken is answered {"refused": reason}; the sender marks it refused for good.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.forms import ValidationError
from django.utils import timezone

from objects.models import ObjectState, TracedObject
from tips import services
from tips.models import (
    CLOSED_STATUSES,
    PublicStatus,
    RelayKind,
    Tip,
    TipFollowUp,
    TipMessage,
    TipRelay,
    TipStatus,
)
from traceobject.text import clean_text

if TYPE_CHECKING:
    from network.envelope import Opened

logger = logging.getLogger(__name__)

MAX_LINKS = 5
TIPPABLE = (ObjectState.PUBLISHED, ObjectState.IDENTIFIED, ObjectState.RETIRED)


class Unacceptable(Exception):
    """The payload cannot be taken; `reason` is the word the sender records."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _text(payload: dict, key: str, *, max_length: int, multiline: bool = True) -> str:
    value = payload.get(key, "")
    if not isinstance(value, str) or len(value) > max_length:
        raise Unacceptable("malformed")
    return clean_text(value, multiline=multiline)


def _links(payload: dict) -> list[str]:
    links = payload.get("links", [])
    if not isinstance(links, list) or len(links) > MAX_LINKS:
        raise Unacceptable("malformed")
    validate = URLValidator(schemes=["http", "https"])
    for link in links:
        if not isinstance(link, str) or len(link) > 500:
            raise Unacceptable("malformed")
        try:
            validate(link)
        except ValidationError:
            raise Unacceptable("malformed") from None
    return list(links)


def _contact(payload: dict) -> str:
    """The contact details the relaying portal sealed to our key, opened: they are
    encrypted again here with TIP_CONTACT_KEYS, as our own tipsters' are."""
    sealed = payload.get("contact_sealed", "")
    if not sealed:
        return ""
    if not isinstance(sealed, str) or len(sealed) > 2000:
        raise Unacceptable("malformed")
    try:
        opened = unseal(base64.b64decode(sealed, validate=True))
        contact = opened.decode() if opened is not None else None
    except (binascii.Error, UnicodeDecodeError):
        contact = None
    if contact is None:
        raise Unacceptable("undecryptable")
    return clean_text(contact, multiline=False)[:300]


def unseal(sealed: bytes) -> bytes | None:
    """Open a sealed box with our encryption keys (any of them: a key rotated out still
    opens what was sealed to it during the overlap); None when none does."""
    from network.envelope import Refused
    from network.keys import unseal as keys_unseal

    try:
        return keys_unseal(sealed)
    except Refused:
        return None


def _handled(handler: Any) -> Any:
    def wrapped(opened: Opened) -> dict:
        if not isinstance(opened.payload, dict):
            return {"refused": "malformed"}
        try:
            return handler(opened)
        except Unacceptable as unacceptable:
            # No payload in the log: it is a tipster's text.
            logger.warning(
                "network %s from partner %s refused: %s",
                opened.kind,
                opened.partner.pk,
                unacceptable.reason,
            )
            return {"refused": unacceptable.reason}

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


@_handled
def tip_handle(opened: Opened) -> dict:
    """A tip on one of our objects, relayed by the portal it was sent on: stored as one of
    our own (grouped, counted in floods and on the board, forwardable), marked with the
    partner, without a receipt here (the tipster holds the partner's)."""
    partner, payload = opened.partner, opened.payload
    stored = Tip.objects.filter(source_partner=partner, source_message_id=opened.message_id)
    if found := stored.values_list("pk", flat=True).first():
        return {"ref": str(found), "stored": True}  # sent again: its acknowledgement was lost
    code = payload.get("owner_ref")
    # One of our objects that was public (a retired one too: the tipster wrote before it
    # was retired); never a partner's object (not relayed on) nor a draft (not probed).
    obj = (
        TracedObject.objects.filter(owner__isnull=True, state__in=TIPPABLE, code=code).first()
        if isinstance(code, str)
        else None
    )
    if obj is None:
        raise Unacceptable("unknown_object")
    body = _text(payload, "body", max_length=5000)
    if not body:
        raise Unacceptable("malformed")
    country = _text(payload, "country", max_length=2, multiline=False).upper()
    if country and not country.isalpha():
        raise Unacceptable("malformed")
    content = services.TipContent(
        body=body,
        country=country,
        where=_text(payload, "where", max_length=500, multiline=False),
        links=_links(payload),
        contact=_contact(payload),
    )
    try:
        received = services.tip_receive(
            content=content,
            language=_text(payload, "language", max_length=10, multiline=False),
            traced_object=obj,
            urgent=payload.get("urgent") is True,
            source_partner=partner,
            source_message_id=opened.message_id,
        )
    except IntegrityError:  # the same message, delivered twice at once
        if found := stored.values_list("pk", flat=True).first():
            return {"ref": str(found), "stored": True}
        raise
    return {"ref": str(received.tip.pk), "stored": True}


@_handled
def answer_handle(opened: Opened) -> dict:
    """The tipster added to a tip the partner relayed to us (answering a question, say)."""
    tip = Tip.objects.filter(
        source_partner=opened.partner, source_message_id=_reference(opened.payload)
    ).first()
    if tip is None:
        raise Unacceptable("unknown_tip")
    body = _text(opened.payload, "body", max_length=5000)
    if not body:
        raise Unacceptable("malformed")
    added = TipFollowUp.objects.filter(tip=tip, source_message_id=opened.message_id)
    if not added.exists():
        try:
            services.tip_add_follow_up(tip=tip, body=body, source_message_id=opened.message_id)
        except IntegrityError:  # the same message, delivered twice at once
            if not added.exists():
                raise
    return {"stored": True}


def _relayed(opened: Opened) -> Tip:
    """The tip we relayed to the sender that a message back is about."""
    relay = (
        TipRelay.objects.filter(
            partner=opened.partner, kind=RelayKind.TIP, message_id=_reference(opened.payload)
        )
        .select_related("tip")
        .first()
    )
    if relay is None:
        raise Unacceptable("unknown_tip")
    return relay.tip


def _reference(payload: dict) -> str:
    reference = payload.get("tip")
    if not isinstance(reference, str) or not reference or len(reference) > 32:
        raise Unacceptable("malformed")
    return reference


@_handled
def status_handle(opened: Opened) -> dict:
    """The owner changed the status of a tip we relayed: its receipt here shows it.
    Messages from one partner arrive in order, so the last one sent is the one kept."""
    tip = _relayed(opened)
    try:
        status = PublicStatus(str(opened.payload.get("status")))
    except ValueError:
        raise Unacceptable("malformed") from None
    tip_status_from_owner(tip=tip, public_status=status)
    return {"stored": True}


@_handled
def question_handle(opened: Opened) -> dict:
    """An analyst of the owner asked the tipster of a tip we relayed: the receipt here
    shows the question, and the tipster's answer goes back (tips.services)."""
    tip = _relayed(opened)
    body = _text(opened.payload, "body", max_length=2000)
    if not body:
        raise Unacceptable("malformed")
    with transaction.atomic():
        TipMessage.objects.get_or_create(
            tip=tip, source_message_id=opened.message_id, defaults={"body": body}
        )
    return {"stored": True}


# The status a tip we relayed takes when its owner tells us the status its tipster sees
# (tips/inbound.py): the receipt here then shows what the owner's receipt would.
FROM_OWNER = {
    PublicStatus.RECEIVED: TipStatus.NEW,
    PublicStatus.IN_REVIEW: TipStatus.IN_REVIEW,
    PublicStatus.FORWARDED: TipStatus.FORWARDED,
    PublicStatus.CLOSED: TipStatus.CLOSED,
}


def tip_status_from_owner(*, tip: Tip, public_status: PublicStatus) -> bool:
    """The owner portal of a tip we relayed changed its status. Not audited: no staff
    member here acted (the relay row records the message). Closed starts the retention
    clock here too, so the receipt and what is kept of the tip expire as ours do."""
    status = FROM_OWNER[public_status]
    return bool(
        Tip.objects.filter(pk=tip.pk)
        .exclude(status=status)
        .update(
            status=status,
            closed_at=timezone.now() if status in CLOSED_STATUSES else None,
            rejected_reason="",
        )
    )


HANDLERS: dict[str, Callable[[Opened], dict]] = {
    RelayKind.TIP.value: tip_handle,
    RelayKind.ANSWER.value: answer_handle,
    RelayKind.STATUS.value: status_handle,
    RelayKind.QUESTION.value: question_handle,
}


def handlers_register() -> None:
    from network.inbox import handler_register

    for kind, handler in HANDLERS.items():
        handler_register(kind, handler)
