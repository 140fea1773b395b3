"""Shared budgets (per object, global) hold, they never close (issue 23, finding 2): a crowd
of addresses over them still gets its tips stored and answered, but held by the breaker as
one flood per object for the analyst, and every new challenge is harder. The per-network
budget stays a refusal."""

import html
import json
import re

import pytest
from django.conf import settings
from django.urls import reverse

from tests.tips.conftest import tip_data
from tips.grouping import tip_analyse
from tips.models import FloodState, Tip, TipGroup
from tips.selectors import without_floods
from tips.triage import tip_flood_release

pytestmark = pytest.mark.django_db

FRESH_VISITOR = "203.0.113.7"


@pytest.fixture(autouse=True)
def fast_receipts(monkeypatch):
    # A fast stand-in for scrypt, so a thousand tips take seconds, not minutes.
    monkeypatch.setattr("tips.services.receipt_hash", lambda receipt: f"fast-{receipt}")


def post_tip(client, obj, address, **fields):
    return client.post(
        reverse("tips:tip", args=[obj.code]), tip_data(**fields), REMOTE_ADDR=address
    )


def challenge_max_number(client, obj) -> int:
    """The search range of the challenge the tip form hands out now."""
    page = client.get(reverse("tips:tip", args=[obj.code])).content.decode()
    challenge = re.search(r'challengejson="([^"]+)"', page).group(1)
    return json.loads(html.unescape(challenge))["max_number"]


def test_a_thousand_tips_from_200_addresses_do_not_stop_a_fresh_visitors_tip(
    client, public_object, analyst
):
    base = challenge_max_number(client, public_object)
    assert base == settings.ALTCHA_MAX_NUMBER
    # 1,000 valid tips, 5 from each of 200 addresses: within every network's budget, three
    # times the object's (300/h) and as many as the global breaker's (1000/h).
    for n in range(1000):
        address = f"198.18.{n % 200 // 100}.{n % 100 + 1}"
        assert (
            post_tip(
                client, public_object, address, body=f"Attack tip number {n:04d}, words."
            ).status_code
            == 303
        )

    answer = client.post(
        reverse("tips:tip", args=[public_object.code]),
        tip_data(body="I saw this mug at the market in Graz."),
        REMOTE_ADDR=FRESH_VISITOR,
        follow=True,
    )
    assert answer.status_code == 200
    assert re.search(r'id="receipt-code">\d{4} \d{4} \d{4} \d{4}<', answer.content.decode())
    fresh = Tip.objects.get(body="I saw this mug at the market in Graz.")
    assert Tip.objects.count() == 1001
    assert fresh.held_by_breaker
    assert Tip.objects.filter(held_by_breaker=True).count() == 701  # all over the 300/h

    # New challenges grow harder with the load: the budget used up is ×16.
    assert challenge_max_number(client, public_object) == base * settings.ALTCHA_LOAD_MAX_FACTOR

    for pk in Tip.objects.order_by("pk").values_list(
        "pk", flat=True
    ):  # what the worker does for each tip
        tip_analyse(tip_id=pk)
    held = Tip.objects.filter(held_by_breaker=True)
    assert held.values("group").distinct().count() == 1  # one flood, whatever its texts say
    flood = TipGroup.objects.get(pk=held.first().group_id)
    assert flood.flood == FloodState.HELD
    assert not without_floods(held).exists()  # out of the queue until an analyst decides

    tip_flood_release(group=flood, by=analyst)
    assert without_floods(Tip.objects.filter(pk=fresh.pk)).exists()


def test_the_per_network_budget_still_refuses(client, public_object):
    for _ in range(5):
        assert post_tip(client, public_object, "198.51.100.20").status_code == 303
    assert post_tip(client, public_object, "198.51.100.20").status_code == 429
    assert Tip.objects.count() == 5


def test_ipv6_is_counted_per_56_and_a_48_has_a_coarser_budget(client, public_object):
    # Two addresses in one /56 share its budget of 5.
    for i in range(5):
        assert post_tip(client, public_object, f"2001:db8:1:100::{i + 1}").status_code == 303
    assert post_tip(client, public_object, "2001:db8:1:1ff::9").status_code == 429
    # Other /56s of the same /48 have their own, until the /48's 20 are used up.
    for i in range(15):
        network = f"2001:db8:1:{(i // 5 + 2):x}00::1"
        assert post_tip(client, public_object, network).status_code == 303
    refused = post_tip(client, public_object, "2001:db8:1:ff00::1")
    assert refused.status_code == 429
    # Another /48 is not affected.
    assert post_tip(client, public_object, "2001:db8:2::1").status_code == 303
    assert Tip.objects.count() == 21


def test_a_breaker_held_tip_after_a_decided_flood_opens_a_new_flood(
    client, public_object, analyst, settings
):
    settings.TIP_RATE_LIMITS = [("tip-object", "object", "1/h")]
    bodies = ["A first, ordinary tip.", "Zebra quartz jump vexing.", "Umbrella 42 Oslo fjord."]
    for i, body in enumerate(bodies):
        post_tip(client, public_object, f"192.0.2.{i + 1}", body=body)
    for pk in Tip.objects.order_by("pk").values_list("pk", flat=True):
        tip_analyse(tip_id=pk)
    first = TipGroup.objects.get(flood=FloodState.HELD)
    assert first.tips.count() == 2
    tip_flood_release(group=first, by=analyst)
    post_tip(client, public_object, "192.0.2.9", body="A later burst tip, other words.")
    tip_analyse(tip_id=Tip.objects.latest("pk").pk)
    second = TipGroup.objects.get(flood=FloodState.HELD)
    assert second.pk != first.pk and second.tips.count() == 1
