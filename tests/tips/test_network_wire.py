"""Tips between two portals on the real envelope: sealed and signed by one portal's keys,
opened by the other's inbox (network.views.inbox, through the test client), the signed
acknowledgement verified. One database plays both portals; each side speaks with its own
keys and origin (tests/network/conftest.py)."""

from __future__ import annotations

import base64
import json

import pytest
from django.test import Client
from nacl.public import PrivateKey, SealedBox

from network import client as network_client
from objects.models import TracedObject
from tests.factories import bare_published_object
from tests.network.conftest import portal_new
from tips import crypto, relaying, triage
from tips.models import RelayState, Tip, TipMessage, TipRelay
from tips.services import TipContent, tip_receive

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("require_postgres")]

CONTACT = "maria.k@example.org"
PAYLOAD_KEYS = {
    *("owner_ref", "body", "language", "urgent", "country", "where", "links"),
    "contact_sealed",
}


class Wire:
    """network.client.post between the two portals: the message goes to the inbox of the
    portal it is addressed to, answered as that portal; `drop` loses answers."""

    def __init__(self, portals):
        self.portals = {portal.origin: portal for portal in portals}
        self.sent: list[bytes] = []
        self.drop = 0

    def post(self, *, partner, url, body):
        self.sent.append(body)
        with self.portals[partner.origin].speaking():
            response = Client().post("/network/inbox/", body, content_type="application/json")
        if self.drop:
            self.drop -= 1
            raise TimeoutError("the answer was lost")
        return response.status_code, response.content


@pytest.fixture
def two(settings, monkeypatch, case, investigator, second_investigator):
    a, b = portal_new("http://a.test"), portal_new("http://b.test")
    settings.NETWORK_ENABLED = True
    a_at_b, b_at_a = a.partner_row(name="Portal A"), b.partner_row(name="Portal B")
    ours = bare_published_object(case, investigator, second_investigator)
    mirror = bare_published_object(case, investigator, second_investigator)
    TracedObject.objects.filter(pk=mirror.pk).update(owner=a_at_b, owner_ref=ours.code)
    mirror.refresh_from_db()
    wire = Wire([a, b])
    monkeypatch.setattr(network_client, "post", wire.post)
    return type("Two", (), locals())


def sent_on_b(two, **content) -> Tip:
    with two.b.speaking():
        tip = tip_receive(
            content=TipContent(body="Sold at the Sunday market in Gdansk.", **content),
            language="pl",
            traced_object=two.mirror,
        ).tip
        relaying.relays_send(partner_id=two.a_at_b.pk)
    return tip


def test_a_tip_crosses_sealed_and_signed_and_the_owner_stores_it_with_the_contact(two):
    here = sent_on_b(two, contact=CONTACT)
    (raw,) = two.wire.sent
    envelope = json.loads(raw)
    assert envelope["from"] == "http://b.test" and envelope["kind"] == "tip"
    assert envelope["ts"] % 60 == 0  # no second of the tip's arrival
    assert CONTACT not in raw.decode() and "Gdansk" not in raw.decode()  # sealed
    payload = json.loads(
        SealedBox(PrivateKey(base64.b64decode(two.a.encryption_key))).decrypt(
            base64.b64decode(envelope["body"])
        )
    )
    assert set(payload) == PAYLOAD_KEYS and CONTACT not in json.dumps(payload)
    there = Tip.objects.get(source_partner=two.b_at_a)
    assert there.source_message_id == envelope["id"] and there.traced_object == two.ours
    assert crypto.contact_decrypt(there.contact_encrypted) == CONTACT
    relay = TipRelay.objects.get(tip=here)
    assert relay.state == RelayState.DELIVERED and relay.owner_ref == str(there.pk)
    assert relay.payload == {}


def test_an_answer_lost_on_the_wire_is_sent_again_with_a_new_nonce_and_stored_once(two):
    two.wire.drop = 1
    here = sent_on_b(two)
    relay = TipRelay.objects.get(tip=here)
    assert relay.state == RelayState.WAITING
    with two.b.speaking():
        relaying.relays_send(partner_id=two.a_at_b.pk, now=relay.next_attempt_at)
    first, again = (json.loads(raw) for raw in two.wire.sent)
    assert first["id"] == again["id"] and first["nonce"] != again["nonce"]
    assert Tip.objects.filter(source_partner=two.b_at_a).count() == 1
    relay.refresh_from_db()
    assert relay.state == RelayState.DELIVERED


def test_the_owners_question_crosses_back_and_shows_with_the_tip_on_the_relaying_portal(
    two, analyst
):
    here = sent_on_b(two)
    there = Tip.objects.get(source_partner=two.b_at_a)
    with two.a.speaking():
        triage.tip_ask(tip=there, by=analyst, body="Which stall?")
        assert relaying.relays_send(partner_id=two.b_at_a.pk) == 2  # status, then question
    assert TipMessage.objects.get(tip=here).body == "Which stall?"
    here.refresh_from_db()
    assert here.public_status == "in_review"


def test_a_tip_on_an_object_the_owner_does_not_have_is_refused_with_the_reason(two):
    TracedObject.objects.filter(pk=two.mirror.pk).update(owner_ref="TAO-1999-0001")
    two.mirror.refresh_from_db()
    relay = TipRelay.objects.get(tip=sent_on_b(two))
    assert (relay.state, relay.refused_reason) == (RelayState.REFUSED, "unknown_object")


def test_an_owner_that_has_not_added_us_yet_leaves_the_tip_waiting_not_lost(two):
    type(two.b_at_a).objects.filter(pk=two.b_at_a.pk).update(origin="http://other.test")
    relay = TipRelay.objects.get(tip=sent_on_b(two))
    assert relay.state == RelayState.WAITING and "unknown_sender" in relay.last_error
