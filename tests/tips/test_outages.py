"""A Redis or broker outage loses no tip: the tip is accepted, limits keep counting in
process memory, and the work it causes waits in the outbox until the broker is back."""

import time

import pytest
from django.core import mail
from django.core.cache import caches

from outbox.models import OutboxMessage
from outbox.services import outbox_relay
from tests.tips.conftest import tip_data
from tips.models import Tip
from traceobject.cache import FailoverRedisCache

DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_down(settings):
    """The rate-limit cache and the broker point at a port where nothing listens."""
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {
            "BACKEND": "traceobject.cache.FailoverRedisCache",
            "LOCATION": DEAD_REDIS,
            "KEY_PREFIX": "outage-test",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
    }
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


CELERY_KEYS = (
    "task_always_eager",
    "broker_url",
    "broker_connection_timeout",
    "broker_connection_retry",
    "broker_connection_max_retries",
)


def use_broker(**conf):
    """Reconfigure the Celery app and drop its connection pool, as a restart would."""
    from kombu import pools

    from traceobject.celery import app

    app.conf.update(conf)
    app.pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()  # kombu's process-wide producer pools still hold the old connections


@pytest.fixture
def celery_outage():
    """Yields (down, back): the broker becomes unreachable, then reachable again."""
    from traceobject.celery import app

    saved = {key: app.conf[key] for key in CELERY_KEYS}
    down = {
        "task_always_eager": False,
        "broker_url": DEAD_REDIS,
        "broker_connection_timeout": 0.2,
        "broker_connection_retry": False,
        "broker_connection_max_retries": 0,
    }
    yield (lambda: use_broker(**down), lambda: use_broker(**saved))
    use_broker(**saved)


@pytest.mark.django_db
def test_a_tip_is_accepted_while_redis_is_down(client, public_object, redis_down):
    started = time.monotonic()
    response = client.post(
        f"/en/objects/{public_object.code}/tip/",
        tip_data(),
        REMOTE_ADDR="192.0.2.1",
        follow=True,
    )
    assert response.status_code == 200
    assert 'id="receipt-code"' in response.content.decode()
    assert Tip.objects.count() == 1
    assert caches["ratelimit"].redis_is_down
    assert time.monotonic() - started < 3


@pytest.mark.django_db
def test_limits_keep_counting_in_memory_while_redis_is_down(client, public_object, redis_down):
    for _ in range(5):
        client.post(f"/en/objects/{public_object.code}/tip/", tip_data(), REMOTE_ADDR="192.0.2.1")
    response = client.post(
        f"/en/objects/{public_object.code}/tip/", tip_data(), REMOTE_ADDR="192.0.2.1"
    )
    assert response.status_code == 429
    assert Tip.objects.count() == 5


@pytest.mark.django_db
def test_a_proof_of_work_cannot_be_replayed_while_redis_is_down(client, public_object, redis_down):
    data = tip_data()
    client.post(f"/en/objects/{public_object.code}/tip/", data, REMOTE_ADDR="192.0.2.1")
    response = client.post(f"/en/objects/{public_object.code}/tip/", data, REMOTE_ADDR="192.0.2.2")
    assert "already used" in response.content.decode()


@pytest.mark.django_db
def test_redis_is_tried_again_after_the_retry_delay(redis_down, monkeypatch):
    import traceobject.cache as cache_module

    cache = caches["ratelimit"]
    assert isinstance(cache, FailoverRedisCache)
    cache.add("k", 1)
    assert cache.redis_is_down
    monkeypatch.setattr(cache_module.time, "monotonic", lambda: time.time() + 10_000)
    assert not cache.redis_is_down


@pytest.mark.django_db(transaction=True)
def test_an_urgent_report_is_accepted_with_the_broker_down_and_its_alert_goes_out_later(
    client, settings, celery_outage
):
    broker_down, broker_back = celery_outage
    settings.URGENT_ALERT_EMAILS = ["duty@police.example"]
    broker_down()
    response = client.post(
        "/en/report/",
        tip_data(danger_now="on", body="A child is in danger at this address now."),
        REMOTE_ADDR="192.0.2.1",
    )
    assert response.status_code == 303
    tip = Tip.objects.get()
    assert tip.urgent
    pending = OutboxMessage.objects.get()
    assert pending.sent_at is None and pending.attempts == 1 and pending.last_error
    assert mail.outbox == []

    broker_back()
    assert outbox_relay() == 1
    pending.refresh_from_db()
    assert pending.sent_at is not None
    assert len(mail.outbox) == 1
    alert = mail.outbox[0]
    assert alert.to == ["duty@police.example"]
    assert f"/backoffice/tips/tip/{tip.pk}/change/" in alert.body
    assert "danger at this address" not in alert.body  # a link, never the report's text
    tip.refresh_from_db()
    assert tip.urgent_alert_sent_at is not None
    # Relayed again (say the process died before marking it sent): nothing is mailed twice.
    from tips.tasks import alert_urgent_report

    assert alert_urgent_report.delay(tip.pk).get() == 0
    assert len(mail.outbox) == 1
