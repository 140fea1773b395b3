"""A tip relayed to the partner portal that owns its object is read-only on the portal that
relayed it (issue #21): the owner's analysts triage it, and its status here follows theirs
(tips/inbound.py), so a change by hand here would be overwritten by their next one. It is
left out of the queue unless asked for ("relayed to partners", with the owner and how the
relay stands), its page says so and offers no triage, and the bulk actions leave it and say
how many they left. A relay the owner refused hands nothing over: that tip is ours again.

Personas (tests/conftest.py): the analyst ana. `pair` (tests/tips/conftest.py): B relays to
A ("Portal A"); both sides share the one test database.
"""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from tests.factories import tip_at
from tests.tips.test_queue import QUEUE_QUERIES, TIP_PAGE_QUERIES
from tips import relaying
from tips.inbound import tip_status_from_owner
from tips.models import PublicStatus, RelayState, Tip, TipRelay, TipStatus
from tips.services import TipContent, tip_receive

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("require_postgres")]

CHANGELIST = reverse("admin:tips_tip_changelist")
NOTICE = "Relayed to Portal A: its owner's analysts triage it; its status here follows theirs."


def relayed(pair, body: str = "The Sunny brand is sold in Lidl shops in Gdansk.") -> Tip:
    """A visitor's tip on B about A's object: stored here and relayed (waiting)."""
    return tip_receive(content=TipContent(body=body), language="pl", traced_object=pair.mirror).tip


def delivered(pair, tip: Tip) -> Tip:
    relaying.relays_send(partner_id=pair.a_at_b.pk)
    assert TipRelay.objects.get(tip=tip, kind="tip").state == RelayState.DELIVERED
    return tip


def refused(tip: Tip) -> Tip:
    TipRelay.objects.filter(tip=tip, kind="tip").update(
        state=RelayState.REFUSED, refused_reason="unknown_object"
    )
    return tip


def listed(client, query: str = "") -> list[int]:
    return [tip.pk for tip in client.get(CHANGELIST + query).context["cl"].result_list]


def change_url(tip: Tip) -> str:
    return reverse("admin:tips_tip_change", args=[tip.pk])


def act(client, action: str, tips, query: str = "?relayed=all"):
    data = {"action": action, "_selected_action": [tip.pk for tip in tips]}
    return client.post(CHANGELIST + query, data)


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- The queue ---------------------------------------------------------------------------------


def test_the_queue_leaves_out_a_relayed_tip_and_the_filter_lists_it_with_owner_and_state(
    analyst_client, pair
):
    ours = tip_at(pair.ours, body="Seen in a shop in Lyon.")
    sent = delivered(pair, relayed(pair, "Sold at the Sunday market in Sopot."))
    waiting = relayed(pair)
    at_a = set(Tip.objects.filter(source_partner=pair.b_at_a).values_list("pk", flat=True))

    assert set(listed(analyst_client)) == {ours.pk, *at_a}
    assert set(listed(analyst_client, "?relayed=yes")) == {waiting.pk, sent.pk}
    assert set(listed(analyst_client, "?relayed=all")) == {ours.pk, waiting.pk, sent.pk, *at_a}
    html = analyst_client.get(CHANGELIST + "?relayed=yes").content.decode()
    assert "Relayed to partners" in html and "Not relayed to partners" in html
    assert "Portal A: Waiting" in html and "Portal A: Delivered" in html
    assert "Portal A:" not in analyst_client.get(CHANGELIST).content.decode()


def test_a_tip_whose_relay_was_refused_is_back_in_the_queue_and_can_be_triaged(
    analyst_client, pair
):
    tip = refused(relayed(pair))

    assert listed(analyst_client) == [tip.pk]
    assert listed(analyst_client, "?relayed=yes") == []
    html = analyst_client.get(change_url(tip)).content.decode()
    assert "Relayed to" not in html and 'id="tip-triage"' in html
    act(analyst_client, "mark_in_review", [tip], query="")
    assert Tip.objects.get(pk=tip.pk).status == TipStatus.IN_REVIEW


@pytest.mark.parametrize("query", ["", "?relayed=yes", "?relayed=all", "?relayed=all&o=2"])
def test_the_queue_runs_as_many_queries_with_relayed_tips_listed_as_without(
    analyst_client, pair, query, urgent_banner_known, django_assert_num_queries
):
    for number in range(12):
        tip = relayed(pair, f"Seen in shop number {number} in Gdansk.")
        if number % 3 == 0:
            refused(tip)
        tip_at(pair.ours, body=f"Seen at market number {number} in Lyon.")
    delivered(pair, relayed(pair))
    analyst_client.get(CHANGELIST + "?o=3")  # warm caches (permissions, content types)

    with django_assert_num_queries(QUEUE_QUERIES):
        response = analyst_client.get(CHANGELIST + query)

    assert response.status_code == 200 and response.context["cl"].result_list


# --- A relayed tip's page ----------------------------------------------------------------------


def test_a_relayed_tips_page_says_who_triages_it_and_offers_no_triage(analyst_client, pair):
    tip = delivered(pair, relayed(pair))

    html = analyst_client.get(change_url(tip)).content.decode()

    assert NOTICE in html
    assert 'id="tip-triage"' not in html and 'id="tip-ask"' not in html
    assert reverse("admin:tips_tip_triage", args=[tip.pk]) not in html
    assert "Mark as duplicate" not in html and "?tips=" not in html  # no forward link
    assert "The Sunny brand is sold" in html  # what the tipster wrote is still readable


def test_a_relayed_tips_page_runs_no_more_queries_than_any_tips(
    analyst_client, pair, urgent_banner_known, django_assert_max_num_queries
):
    tip = relayed(pair)
    analyst_client.get(change_url(tip))  # warm caches (permissions, content types)

    with django_assert_max_num_queries(TIP_PAGE_QUERIES):
        response = analyst_client.get(change_url(tip))

    assert NOTICE in response.content.decode()


@pytest.mark.parametrize("do", ["assign_me", "in_review", "reject_spam", "close"])
def test_a_posted_triage_button_on_a_relayed_tip_is_refused(analyst_client, pair, do):
    tip = relayed(pair)

    response = analyst_client.post(reverse("admin:tips_tip_triage", args=[tip.pk]), {"do": do})

    assert response.status_code == 403
    tip.refresh_from_db()
    assert (tip.status, tip.assigned_to_id) == (TipStatus.NEW, None)


def test_no_question_is_asked_here_on_a_relayed_tip(analyst_client, pair):
    tip = relayed(pair)
    ask = reverse("admin:tips_tip_ask", args=[tip.pk])

    assert analyst_client.get(ask).status_code == 403
    assert analyst_client.post(ask, {"body": "Which shop?"}).status_code == 403
    assert not tip.messages.exists()


def test_the_owners_status_still_reaches_a_relayed_tip(pair):
    tip = delivered(pair, relayed(pair))

    assert tip_status_from_owner(tip=tip, public_status=PublicStatus.IN_REVIEW)

    assert Tip.objects.get(pk=tip.pk).status == TipStatus.IN_REVIEW


# --- Bulk actions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action, status",
    [
        ("mark_in_review", TipStatus.IN_REVIEW),
        ("reject_as_spam", TipStatus.REJECTED),
        ("close_tips", TipStatus.CLOSED),
    ],
)
def test_a_bulk_status_change_skips_relayed_tips_and_says_how_many(
    analyst_client, pair, action, status
):
    ours = tip_at(pair.ours, body="Seen in a shop in Lyon.")
    theirs = [relayed(pair), delivered(pair, relayed(pair, "Sold in Sopot."))]

    response = act(analyst_client, action, [ours, *theirs])

    assert Tip.objects.get(pk=ours.pk).status == status
    assert {tip.status for tip in Tip.objects.filter(pk__in=[t.pk for t in theirs])} == {
        TipStatus.NEW
    }
    [message] = said(response)
    assert message.startswith("1 ")
    assert "2 relayed to their owners' portals were left to their analysts" in message


def test_assigning_in_bulk_skips_a_relayed_tip(analyst_client, analyst, pair):
    tip = relayed(pair)

    response = act(analyst_client, "take_tips", [tip], query="?relayed=yes")

    assert Tip.objects.get(pk=tip.pk).assigned_to_id is None
    assert said(response) == [
        "0 assigned to you; 1 relayed to its owner's portal was left to its analysts."
    ]


def test_forwarding_in_bulk_leaves_out_relayed_tips(analyst_client, pair):
    ours = tip_at(pair.ours, body="Seen in a shop in Lyon.")
    tip = relayed(pair)

    mixed = act(analyst_client, "forward_tips", [ours, tip])
    assert mixed.status_code == 302 and mixed["Location"].endswith(f"?tips={ours.pk}")
    assert said(mixed) == ["1 relayed to its owner's portal was left to its analysts."]

    analyst_client.get(CHANGELIST)  # the message read
    alone = act(analyst_client, "forward_tips", [tip])
    assert alone.status_code == 302 and "?tips=" not in alone["Location"]
    assert said(alone) == ["1 relayed to its owner's portal was left to its analysts."]


def test_the_triage_service_itself_leaves_a_relayed_tip_alone(pair, analyst):
    """Defence in depth: a caller that skips the admin (a hand-built URL, a script) cannot
    change a relayed tip's status either; the owner's status still applies."""
    from tips import triage

    tip = delivered(pair, relayed(pair))
    assert triage.tip_mark_in_review(tip=tip, by=analyst) is False
    assert triage.tip_reject(tip=tip, by=analyst, reason="spam") is False
    tip.refresh_from_db()
    assert tip.status == "new"
    # Refused by the owner, it is ours again and triaged as any other.
    assert triage.tip_mark_in_review(tip=refused(tip), by=analyst) is True
