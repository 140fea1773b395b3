"""What the owner's analysts do with a relayed tip flows back to the portal that relayed it:
the status and the questions show with the tipster's receipt there, and their answer goes
on to the owner (issue #21, item 4; docs/network.md, "Tips")."""

from __future__ import annotations

import re

import pytest

from tests.tips.conftest import tip_data
from tips import inbound, relaying, triage
from tips.models import RelayKind, RelayState, Tip, TipFollowUp, TipMessage, TipRelay, TipStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("require_postgres")]


@pytest.fixture
def receipt(client, pair) -> str:
    """A visitor on B sent a tip on A's object; it reached A."""
    response = client.post(
        f"/en/objects/{pair.mirror.code}/tip/", tip_data(), REMOTE_ADDR="192.0.2.1", follow=True
    )
    relaying.relays_send(partner_id=pair.a_at_b.pk)
    return re.search(r'id="receipt-code">([\d ]+)<', response.content.decode()).group(1)


def here(pair) -> Tip:
    return Tip.objects.get(source_partner__isnull=True, traced_object=pair.mirror)


def there(pair) -> Tip:
    return Tip.objects.get(source_partner=pair.b_at_a)


def flow_back(pair) -> int:
    """A sends what it owes B."""
    return relaying.relays_send(partner_id=pair.b_at_a.pk)


def check(client, receipt) -> str:
    return client.post(
        "/en/receipt/", {"receipt": receipt}, REMOTE_ADDR="192.0.2.1"
    ).content.decode()


def status_shown(html: str) -> str:
    return re.search(r'id="tip-status">([^<]+)<', html).group(1)


def test_an_analysts_status_change_shows_on_the_receipt_at_the_relaying_portal(
    client, pair, receipt, analyst
):
    html = check(client, receipt)
    assert status_shown(html) == "Received"
    assert (
        "This object was published by <bdi>Portal A</bdi>. Your tip was passed on to them" in html
    )
    assert triage.tip_take_next(by=analyst) == there(pair)
    assert flow_back(pair) == 1
    assert status_shown(check(client, receipt)) == "In review"
    triage.tip_close(tip=there(pair), by=analyst)
    flow_back(pair)
    html = check(client, receipt)
    assert status_shown(html) == "Closed" and "This tip is closed" in html
    tip = here(pair)
    assert tip.status == TipStatus.CLOSED and tip.closed_at is not None  # retention applies
    kinds = list(TipRelay.objects.filter(partner=pair.b_at_a).values_list("kind", "state"))
    assert kinds == [(RelayKind.STATUS, RelayState.DELIVERED)] * 2


def test_a_status_the_tipster_would_not_see_change_is_not_sent(pair, receipt, analyst):
    tip = there(pair)
    triage.tip_mark_in_review(tip=tip, by=analyst)
    triage.tip_ask(tip=tip, by=analyst, body="Which shop?")  # needs info: still "in review"
    kinds = list(TipRelay.objects.filter(partner=pair.b_at_a).values_list("kind", flat=True))
    assert kinds == [RelayKind.STATUS, RelayKind.QUESTION]


def test_the_owners_question_shows_on_the_receipt_and_the_answer_reaches_the_owner(
    client, pair, receipt, analyst
):
    tip = there(pair)
    triage.tip_ask(tip=tip, by=analyst, body="Which shop <b>exactly</b>?")
    assert flow_back(pair) == 2  # the status (in review) and the question, in that order
    html = check(client, receipt)
    assert "Which shop &lt;b&gt;exactly&lt;/b&gt;?" in html
    assert not re.search(rf"\b{analyst.username}\b", html)  # not shown to the public
    assert TipMessage.objects.get(tip=here(pair)).author is None

    response = client.post(
        "/en/receipt/add/",
        {"receipt": receipt, "body": "The one at the central station."},
        REMOTE_ADDR="192.0.2.1",
    )
    assert "your information was added" in response.content.decode()
    assert relaying.relays_send(partner_id=pair.a_at_b.pk) == 1
    answer = TipFollowUp.objects.get(tip=tip)
    assert answer.body == "The one at the central station."
    tip.refresh_from_db()
    assert tip.status == TipStatus.IN_REVIEW and tip.answered_at is not None  # to read
    # The answer is not sent back again: the owner's tip was not relayed by the owner.
    assert not TipRelay.objects.filter(tip=tip, kind=RelayKind.ANSWER).exists()


def test_a_question_retried_after_a_lost_acknowledgement_is_shown_once(
    client, pair, receipt, analyst
):
    triage.tip_ask(tip=there(pair), by=analyst, body="What colour was the cap?")
    pair.net.acks_to_drop = 2
    assert flow_back(pair) == 0  # the status was stored, its answer lost
    head = TipRelay.objects.filter(partner=pair.b_at_a, state=RelayState.WAITING).first()
    assert flow_back_at(pair, head.next_attempt_at) == 0  # again, and again lost
    head.refresh_from_db()
    assert flow_back_at(pair, head.next_attempt_at) == 2
    assert TipMessage.objects.filter(tip=here(pair)).count() == 1
    assert check(client, receipt).count("What colour was the cap?") == 1


def flow_back_at(pair, now) -> int:
    return relaying.relays_send(partner_id=pair.b_at_a.pk, now=now)


def test_a_message_about_a_tip_never_relayed_to_its_sender_is_refused(pair, receipt):
    relay = TipRelay.objects.get(kind=RelayKind.TIP)
    forged = pair.net.sender_of(pair.a_at_b)  # B, pretending to own the object
    opened = type("Opened", (), {})()
    opened.partner, opened.kind, opened.message_id = forged, "tip-status", "f" * 32
    opened.payload = {"tip": relay.message_id, "status": "closed"}
    assert inbound.status_handle(opened) == {"refused": "unknown_tip"}
    assert here(pair).status == TipStatus.NEW


def test_the_receipt_says_in_the_visitors_language_who_the_tip_went_to(client, pair, receipt):
    html = client.post("/pl/receipt/", {"receipt": receipt}, REMOTE_ADDR="192.0.2.1")
    assert "Ten przedmiot opublikował <bdi>Portal A</bdi>." in html.content.decode()
