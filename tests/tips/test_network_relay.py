"""Tips on a partner's object: stored here with a receipt, relayed to the owner in order,
once, with nothing about the visitor (issue #21, items 4 and 5; docs/network.md, "Tips")."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from django.db import connections

from outbox.models import OutboxMessage
from tests.conftest import staff_login
from tests.tips.conftest import tip_data
from tips import crypto, relaying, triage
from tips.models import RelayKind, RelayState, Tip, TipRelay
from tips.services import TipContent, tip_add_follow_up, tip_receive
from traceobject.clock import minute_now

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("require_postgres")]

CONTACT = "maria.k@example.org, +48 600 100 200"


def sent_on_b(pair, body="The Sunny brand is sold in Lidl shops in Gdansk.", **kwargs) -> Tip:
    return tip_receive(
        content=TipContent(body=body, country="PL", **kwargs),
        language="pl",
        traced_object=pair.mirror,
    ).tip


def at_a(pair):
    return Tip.objects.filter(source_partner=pair.b_at_a)


def test_a_tip_on_a_partner_object_is_stored_with_its_receipt_and_its_relay_in_one_transaction(
    pair,
):
    received = tip_receive(
        content=TipContent(body="Sold at the Sunday market in Gdansk."),
        language="pl",
        traced_object=pair.mirror,
    )
    assert re.fullmatch(r"\d{16}", received.receipt)
    relay = TipRelay.objects.get(tip=received.tip)
    assert (relay.kind, relay.state, relay.partner) == (RelayKind.TIP, "waiting", pair.a_at_b)
    assert re.fullmatch(r"[0-9a-f]{32}", relay.message_id)
    assert relay.payload["owner_ref"] == pair.ours.code
    assert OutboxMessage.objects.filter(
        task="tips.tasks.relay_send", kwargs={"partner_id": pair.a_at_b.pk}
    ).exists()
    # Not grouped here: the owner groups it with its own tips.
    assert not OutboxMessage.objects.filter(task="tips.tasks.analyse_tip").exists()


def test_a_relay_that_cannot_be_written_leaves_no_tip_behind(pair, monkeypatch):
    def broken(**_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(relaying, "tip_relay_new", broken)
    with pytest.raises(RuntimeError):
        sent_on_b(pair)
    assert not Tip.objects.exists() and not OutboxMessage.objects.exists()


def test_a_tip_sent_through_the_form_reaches_the_owner_once_its_transaction_commits(
    client, pair, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/en/objects/{pair.mirror.code}/tip/", tip_data(), REMOTE_ADDR="192.0.2.1", follow=True
        )
    assert re.search(r'id="receipt-code">([\d ]+)<', response.content.decode())
    here = Tip.objects.get(source_partner__isnull=True)
    there = at_a(pair).get()
    assert there.traced_object == pair.ours and there.body == here.body
    assert there.receipt_hash is None and there.source == "partner"
    assert there.group_id is not None  # grouped at the owner, as its own tips are
    assert here.group_id is None and here.signature is None  # nothing analysed here
    relay = TipRelay.objects.get(tip=here)
    assert relay.state == RelayState.DELIVERED and relay.owner_ref == str(there.pk)
    assert relay.payload == {}  # the copy it carried is gone
    assert there.source_message_id == relay.message_id


def test_the_payload_carries_no_time_no_address_and_no_browser(client, pair):
    client.post(
        f"/en/objects/{pair.mirror.code}/tip/",
        tip_data(contact=CONTACT, contact_consent="on"),
        REMOTE_ADDR="192.0.2.77",
        HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
    )
    relaying.relays_send(partner_id=pair.a_at_b.pk)
    (message,) = pair.net.wire
    assert set(message["payload"]) == {
        *("owner_ref", "body", "language", "urgent", "country", "where", "links"),
        "contact_sealed",
    }
    wire = repr(message)
    assert "192.0.2.77" not in wire and "Firefox" not in wire and "Mozilla" not in wire
    assert str(minute_now().year) not in wire.replace(pair.ours.code, "")
    assert CONTACT not in wire and "maria" not in wire


def test_contact_details_are_unreadable_on_the_relaying_portal_and_reach_the_owner(pair, settings):
    here = sent_on_b(pair, contact=CONTACT)
    assert here.contact_encrypted == ""  # not even under TIP_CONTACT_KEYS
    sealed = TipRelay.objects.get(tip=here).payload["contact_sealed"]
    assert sealed and "maria" not in sealed
    # Every row of the relaying side: the contact is nowhere in clear, nowhere Fernet'd.
    for row in (*Tip.objects.values(), *TipRelay.objects.values(), *OutboxMessage.objects.values()):
        assert "maria" not in repr(row)
    relaying.relays_send(partner_id=pair.a_at_b.pk)
    there = at_a(pair).get()
    assert crypto.contact_decrypt(there.contact_encrypted) == CONTACT
    assert TipRelay.objects.get(tip=here).payload == {}  # the sealed copy deleted once relayed
    here.refresh_from_db()
    assert here.contact_encrypted == ""


def test_while_the_owner_is_down_fifty_tips_wait_and_then_arrive_once_in_order(pair):
    pair.net.down.add(pair.a_at_b.pk)
    tips = [
        sent_on_b(pair, body=f"Tip number {n} about the bottle, sold in Gdansk.") for n in range(50)
    ]
    assert relaying.relays_send(partner_id=pair.a_at_b.pk) == 0
    assert relaying.relays_send_due() == 0  # the first waits its backoff; the rest behind it
    head = TipRelay.objects.order_by("id").first()
    assert head.attempts == 1 and head.last_error and head.next_attempt_at > minute_now()
    assert TipRelay.objects.filter(state=RelayState.WAITING).count() == 50
    assert TipRelay.objects.filter(attempts=0).count() == 49  # a later one never overtakes

    later = minute_now() + timedelta(minutes=20)
    assert relaying.relays_send_due(now=later) == 0  # still down: backoff grows
    assert TipRelay.objects.order_by("id").first().attempts == 2

    pair.net.down.clear()  # back an hour later
    assert relaying.relays_send_due(now=later + timedelta(hours=1)) == 50
    arrived = list(at_a(pair).order_by("id").values_list("body", flat=True))
    assert arrived == [tip.body for tip in tips]
    assert not TipRelay.objects.filter(state=RelayState.WAITING).exists()
    assert relaying.relays_send_due(now=later + timedelta(hours=2)) == 0
    assert at_a(pair).count() == 50


def test_a_lost_acknowledgement_is_retried_and_the_tip_stored_once(pair):
    here = sent_on_b(pair)
    pair.net.acks_to_drop = 1
    assert relaying.relays_send(partner_id=pair.a_at_b.pk) == 0
    assert at_a(pair).count() == 1  # stored; the sender does not know it
    relay = TipRelay.objects.get(tip=here)
    assert relay.state == RelayState.WAITING
    assert relaying.relays_send(partner_id=pair.a_at_b.pk, now=relay.next_attempt_at) == 1
    there = at_a(pair).get()
    relay.refresh_from_db()
    assert relay.state == RelayState.DELIVERED and relay.owner_ref == str(there.pk)
    assert [m["id"] for m in pair.net.wire] == [relay.message_id, relay.message_id]


def test_a_refused_tip_shows_its_reason_to_the_administrator_and_holds_up_nothing(
    pair, monkeypatch, client, superuser, analyst
):
    monkeypatch.setattr(relaying, "object_owner_ref", lambda obj: "TAO-1999-9999")
    refused = sent_on_b(pair)
    monkeypatch.setattr(relaying, "object_owner_ref", lambda obj: pair.ours.code)
    delivered = sent_on_b(pair, body="Another tip: the bottle is sold in Sopot too.")
    assert relaying.relays_send(partner_id=pair.a_at_b.pk) == 2
    relay = TipRelay.objects.get(tip=refused)
    assert (relay.state, relay.refused_reason, relay.payload) == ("refused", "unknown_object", {})
    assert TipRelay.objects.get(tip=delivered).state == RelayState.DELIVERED
    assert triage.tip_take_next(by=analyst) == refused  # back to our analysts, not lost
    tip_add_follow_up(tip=refused, body="It was the blue one.")  # nothing to add it to there
    assert not TipRelay.objects.filter(tip=refused, kind=RelayKind.ANSWER).exists()
    page = (
        staff_login(client, superuser)
        .get("/backoffice/tips/tiprelay/?state=refused")
        .content.decode()
    )
    assert "unknown_object" in page and "Refused" in page
    assert "Sopot" not in page  # what a message carried is not shown


def test_a_removed_partner_is_sent_nothing_more(pair):
    here = sent_on_b(pair)
    type(pair.a_at_b).objects.filter(pk=pair.a_at_b.pk).update(active=False)
    relaying.relays_send(partner_id=pair.a_at_b.pk)
    relay = TipRelay.objects.get(tip=here)
    assert (relay.state, relay.refused_reason) == ("refused", "partner_removed")
    assert pair.net.wire == []


def test_while_another_worker_sends_to_a_partner_this_one_leaves_it_alone(pair):
    here = sent_on_b(pair)
    held, release = threading.Event(), threading.Event()

    def other_worker():  # its own database session, as another worker's
        with relaying._sender_lock(pair.a_at_b.pk) as mine:
            assert mine
            held.set()
            release.wait(10)
        connections.close_all()

    worker = threading.Thread(target=other_worker)
    worker.start()
    try:
        assert held.wait(10)
        assert relaying.relays_send(partner_id=pair.a_at_b.pk) == 0
        assert TipRelay.objects.get(tip=here).attempts == 0
    finally:
        release.set()
        worker.join()
    assert relaying.relays_send(partner_id=pair.a_at_b.pk) == 1
