"""A proof-of-work solution is used once: under concurrency, and across a Redis outage
(issue 12, finding 2). The sequential replay is in test_tip_form.py."""

import base64
import json
import secrets
import threading
import time

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client

from tests.tips.conftest import tip_data
from tips.models import Tip
from traceobject.cache import FailoverRedisCache


def challenge_of(payload: str) -> str:
    return json.loads(base64.b64decode(payload))["challenge"]


@pytest.mark.django_db(transaction=True)
def test_one_solution_posted_at_once_from_four_networks_is_taken_once(public_object, monkeypatch):
    data = tip_data()
    challenge = challenge_of(data["altcha"])
    senders = 4
    # Everyone has looked the solution up before anyone records it: the race, made certain.
    all_looked = threading.Barrier(senders, timeout=10)
    cache_class = type(caches["ratelimit"])
    real_get = cache_class.get

    def get(self, key, *args, **kwargs):
        value = real_get(self, key, *args, **kwargs)
        if key == challenge:
            all_looked.wait()
        return value

    monkeypatch.setattr(cache_class, "get", get)
    answers: list[str] = []

    def send(number: int) -> None:
        try:
            response = Client().post(
                f"/en/objects/{public_object.code}/tip/",
                # The same solution in four forms (each its own one-time token).
                {**data, "submission": secrets.token_urlsafe(24)},
                REMOTE_ADDR=f"192.0.2.{number}",
                follow=True,
            )
            answers.append(response.content.decode())
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Tip.objects.count() == 1
    assert sum('id="receipt-code"' in html for html in answers) == 1
    assert sum("already used" in html for html in answers) == senders - 1


@pytest.mark.django_db
@pytest.mark.parametrize("first, then", [("down", "up"), ("up", "down")])
def test_a_solution_used_before_redis_came_back_or_went_away_is_refused(
    client, public_object, first, then
):
    cache = caches["ratelimit"]
    if not isinstance(cache, FailoverRedisCache):
        pytest.skip("needs REDIS_URL: the failover cache is used only with Redis")

    def redis(state: str) -> None:
        cache._down_until = time.monotonic() + 60 if state == "down" else 0.0

    data = tip_data()
    url = f"/en/objects/{public_object.code}/tip/"
    redis(first)
    first_answer = client.post(url, data, REMOTE_ADDR="192.0.2.1", follow=True)
    assert 'id="receipt-code"' in first_answer.content.decode()
    redis(then)
    # The same solution in another form (a form sent again would just show its receipt).
    response = client.post(
        url, {**data, "submission": secrets.token_urlsafe(24)}, REMOTE_ADDR="192.0.2.2"
    )
    redis("up")
    assert "already used" in response.content.decode()
    assert Tip.objects.count() == 1
