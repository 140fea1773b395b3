"""Redis tells no time finer than a window (issue 23, finding 4): every rate-limit, proof-of-work
and pseudonym key expires at a window boundary, whenever the tip came; the pseudonym key is
a daily random salt, never SECRET_KEY alone, and yesterday's is gone."""

import time

import pytest
import redis
from django.core.cache import caches

from tests.tips.conftest import tip_data
from traceobject import clients
from traceobject.clients import network_key

pytestmark = [pytest.mark.django_db, pytest.mark.services]

DAY = 86_400


def test_after_a_tip_every_key_expires_on_a_window_boundary(client, public_object, redis_url):
    time.sleep((time.time() % 60 < 2) * 3)  # not right at a minute's start: a ±1 s miss shows
    clients._day_secrets.clear()  # this process read today's salt before the cache was cleared
    response = client.post(
        f"/en/objects/{public_object.code}/tip/", tip_data(), REMOTE_ADDR="198.51.100.40"
    )
    assert response.status_code == 303
    cache = caches["ratelimit"]
    server = redis.Redis.from_url(redis_url)
    keys = cache.redis_keys()
    assert any("tip-network-burst" in key for key in keys)
    assert any("pseudonym-salt" in key for key in keys)
    assert len(keys) >= 6  # the rules' counters, the proof of work, the salt
    for key in keys:
        ttl_ms = server.pttl(key)
        assert ttl_ms > 0, key  # every key expires
        ends = time.time() + ttl_ms / 1000
        # Every window is a whole number of minutes (10 minutes, an hour, a day, 20 minutes).
        assert min(ends % 60, 60 - ends % 60) <= 1.0, (key, ends % 60)
        if "-day:" in key or "pseudonym-salt" in key:
            assert min(ends % DAY, DAY - ends % DAY) <= 1.0, key  # midnight UTC


def test_the_pseudonym_changes_when_the_day_turns(rf, monkeypatch):
    request = rf.post("/", REMOTE_ADDR="192.0.2.44")
    today = network_key(request)
    assert network_key(rf.post("/", REMOTE_ADDR="192.0.2.44")) == today
    later = time.time() + DAY
    monkeypatch.setattr(clients, "unix_now", lambda: later)
    tomorrow = network_key(request)
    assert tomorrow != today
    assert network_key(rf.post("/", REMOTE_ADDR="192.0.2.45")) != tomorrow


def test_the_pseudonym_is_not_a_function_of_secret_key_alone(rf, monkeypatch):
    request = rf.post("/", REMOTE_ADDR="192.0.2.46")
    first = network_key(request)
    # Another deployment with the same SECRET_KEY (or a Redis that lost its salt) on the same
    # day draws another salt: SECRET_KEY alone cannot rebuild a pseudonym.
    caches["ratelimit"].clear()
    clients._day_secrets.clear()
    assert network_key(request) != first
