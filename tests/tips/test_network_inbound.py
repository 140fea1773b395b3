"""A partner's "tip" message at the owner: taken as one of our own tips, checked as a form
checks a visitor's input, stored once (issue #21, items 4 and 5; tips/inbound.py)."""

from __future__ import annotations

import pytest

from outbox.models import OutboxMessage
from tests.tips.network_pair import Opened
from tips import inbound
from tips.models import Tip
from tips.services import TipContent, tip_receive

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("require_postgres")]

BODY = "This is the Sunny brand, sold in Lidl shops in Gdansk and Sopot."


def message(pair, message_id="a" * 32, **payload) -> Opened:
    return Opened(
        partner=pair.b_at_a,
        kind="tip",
        message_id=message_id,
        payload={
            "owner_ref": pair.ours.code,
            "body": BODY,
            "language": "pl",
            "urgent": False,
            "country": "PL",
            "where": "",
            "links": [],
            "contact_sealed": "",
            **payload,
        },
    )


def test_a_relayed_tip_is_grouped_with_the_owners_own_tips(
    pair, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # grouped in the worker
        own = tip_receive(
            content=TipContent(body=BODY.lower()), language="en", traced_object=pair.ours
        ).tip
        answer = inbound.tip_handle(message(pair))
    relayed = Tip.objects.get(pk=int(answer["ref"]))
    assert answer == {"ref": str(relayed.pk), "stored": True}
    own.refresh_from_db()
    assert relayed.group_id == own.group_id is not None and relayed.group_size == 2
    assert (relayed.source_partner, relayed.source, relayed.language) == (
        pair.b_at_a,
        "partner",
        "pl",
    )
    assert relayed.receipt_hash is None  # the tipster holds the relaying portal's receipt


def test_the_same_message_twice_gets_the_same_answer_and_is_stored_once(pair):
    first = inbound.tip_handle(message(pair))
    again = inbound.tip_handle(message(pair))
    assert first == again
    assert Tip.objects.filter(source_partner=pair.b_at_a).count() == 1
    # Another message with the same text is another tip.
    inbound.tip_handle(message(pair, message_id="b" * 32))
    assert Tip.objects.filter(source_partner=pair.b_at_a).count() == 2


def test_an_urgent_relayed_report_alerts_the_owner(pair):
    answer = inbound.tip_handle(message(pair, urgent=True))
    tip = Tip.objects.get(pk=int(answer["ref"]))
    assert tip.urgent
    assert OutboxMessage.objects.filter(task="tips.tasks.alert_urgent_report").exists()


@pytest.mark.parametrize("owner_ref", ["TAO-1999-0001", None, 7])
def test_a_tip_on_an_object_the_receiver_does_not_have_is_refused(pair, owner_ref):
    assert inbound.tip_handle(message(pair, owner_ref=owner_ref)) == {"refused": "unknown_object"}
    assert not Tip.objects.exists()


def test_a_tip_on_a_partners_object_is_refused_not_relayed_on(pair):
    answer = inbound.tip_handle(message(pair, owner_ref=pair.mirror.code))
    assert answer == {"refused": "unknown_object"}
    assert not Tip.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"body": ""},
        {"body": "x" * 5001},
        {"body": ["a list"]},
        {"country": "P1"},
        {"links": "https://example.org"},
        {"links": ["javascript:alert(1)"]},
        {"links": [f"https://example.org/{n}" for n in range(6)]},
        {"contact_sealed": "not base64 at all!"},
    ],
)
def test_a_malformed_payload_is_refused_and_nothing_stored(pair, payload):
    assert inbound.tip_handle(message(pair, **payload))["refused"] in {"malformed", "undecryptable"}
    assert not Tip.objects.exists()


def test_markup_and_invisible_characters_are_stored_as_plain_text(pair, client):
    body = "Sold at <script>alert(1)</script> the market\u200b\u202e in Gdansk."
    answer = inbound.tip_handle(message(pair, body=body))
    tip = Tip.objects.get(pk=int(answer["ref"]))
    assert "\u202e" not in tip.body and "<script>" in tip.body  # text, escaped when shown
