"""Layered rate limits: per network, per object and global; only a taken tip counts
(tests/tips/test_shared_budgets.py and test_breakers_hold.py have the shared ones); only
trusted proxies may name the client; the address itself is never kept."""

import pytest
from django.core.cache import caches

from tests.tips.conftest import tip_data
from tips.models import Tip
from traceobject.cache import FailoverRedisCache
from traceobject.clients import network_key

pytestmark = pytest.mark.django_db

ALICE = "198.51.100.23"
BOB = "203.0.113.99"


def post_tip(client, obj, address=ALICE, **extra):
    return client.post(f"/en/objects/{obj.code}/tip/", tip_data(), REMOTE_ADDR=address, **extra)


def test_rapid_posts_from_one_network_get_the_429_page(client, public_object):
    for _ in range(5):
        assert post_tip(client, public_object).status_code == 303
    response = post_tip(client, public_object)
    assert response.status_code == 429
    html = response.content.decode()
    assert "Please wait a little" in html and "try again in about" in html
    assert 'href="/en/privacy/"' in html  # in the site layout
    assert 1 <= int(response.headers["Retry-After"]) <= 600
    assert "This is the Sunny brand" in html  # what they wrote is given back, not lost
    assert Tip.objects.count() == 5


def test_invalid_posts_cost_nothing(client, public_object):
    for _ in range(10):
        client.post(f"/en/objects/{public_object.code}/tip/", {"body": "x"}, REMOTE_ADDR=ALICE)
    assert post_tip(client, public_object).status_code == 303
    assert Tip.objects.count() == 1


def test_another_network_is_not_affected(client, public_object):
    for _ in range(6):
        post_tip(client, public_object)
    assert post_tip(client, public_object, address=BOB).status_code == 303


def test_a_forged_x_forwarded_for_changes_nothing(client, public_object):
    for i in range(5):
        post_tip(client, public_object, HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    response = post_tip(client, public_object, HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(client, public_object, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = "10.0.0.5"
    for _ in range(5):
        post_tip(client, public_object, address=proxy, HTTP_X_FORWARDED_FOR=f"evil, {ALICE}")
    assert (
        post_tip(client, public_object, address=proxy, HTTP_X_FORWARDED_FOR=ALICE).status_code
        == 429
    )
    # Bob, behind the same proxy, has his own budget.
    assert (
        post_tip(client, public_object, address=proxy, HTTP_X_FORWARDED_FOR=BOB).status_code == 303
    )


def test_ipv6_addresses_are_counted_by_their_56_bit_network(rf, settings):
    one = rf.post("/", REMOTE_ADDR="2001:db8:1:200::1")
    same_network = rf.post("/", REMOTE_ADDR="2001:db8:1:2ff:ffff::9")
    other = rf.post("/", REMOTE_ADDR="2001:db8:1:300::1")
    assert network_key(one) == network_key(same_network) != network_key(other)
    assert network_key(rf.post("/", REMOTE_ADDR="192.0.2.1")) != network_key(
        rf.post("/", REMOTE_ADDR="192.0.2.2")
    )


def test_the_key_is_an_hmac_not_the_address(rf):
    key = network_key(rf.post("/", REMOTE_ADDR=ALICE))
    assert ALICE not in key and len(key) == 32


def test_the_global_breaker_holds_a_distributed_flood(client, public_object, settings):
    settings.TIP_RATE_LIMITS = [*settings.TIP_RATE_LIMITS[:4], ("tip-global", "global", "3/h")]
    for i in range(3):
        assert post_tip(client, public_object, address=f"192.0.2.{i}").status_code == 303
    assert post_tip(client, public_object, address="192.0.2.77").status_code == 303
    assert [tip.held_by_breaker for tip in Tip.objects.order_by("pk")] == [False] * 3 + [True]


def test_a_flood_on_one_object_holds_its_tips_only(
    client, public_object, case, investigator, second_investigator, settings
):
    from tests.factories import bare_published_object

    other = bare_published_object(case, investigator, second_investigator)
    settings.TIP_RATE_LIMITS = [("tip-object", "object", "2/h")]
    for i in range(2):
        post_tip(client, public_object, address=f"192.0.2.{i}")
    assert post_tip(client, public_object, address="192.0.2.50").status_code == 303
    assert post_tip(client, other, address="192.0.2.51").status_code == 303
    assert Tip.objects.get(held_by_breaker=True).traced_object == public_object


def test_no_rate_limit_key_holds_the_address(client, public_object):
    for _ in range(6):
        post_tip(client, public_object)
    cache = caches["ratelimit"]
    keys = cache.redis_keys() if isinstance(cache, FailoverRedisCache) else list(cache._cache)
    assert keys, "the local rate-limit cache should hold counters"
    assert not any(ALICE in key or "198.51.100" in key for key in keys)


def test_ipv4_mapped_addresses_are_counted_as_their_ipv4_address(rf):
    def key(address: str) -> str:
        return network_key(rf.post("/", REMOTE_ADDR=address))

    assert key("::ffff:192.0.2.1") != key("::ffff:192.0.2.2")
    assert key("::ffff:1.2.3.4") == key("1.2.3.4")


def test_a_flood_from_one_mapped_address_does_not_limit_another(client, public_object):
    for _ in range(6):
        post_tip(client, public_object, address="::ffff:192.0.2.1")
    assert post_tip(client, public_object, address="::ffff:192.0.2.2").status_code == 303


def test_a_trusted_proxy_is_recognised_behind_a_mapped_address(client, public_object, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    for _ in range(5):
        post_tip(client, public_object, address="::ffff:10.0.0.5", HTTP_X_FORWARDED_FOR=ALICE)
    response = post_tip(client, public_object, address="::ffff:10.0.0.5", HTTP_X_FORWARDED_FOR=BOB)
    assert response.status_code == 303  # taken: on to the receipt page
