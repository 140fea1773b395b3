"""/healthz/ names the service that is down, fast, and never shows a traceback."""

import re
import socket
import threading
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from traceobject.health import HEARTBEAT_KEY, worker_heartbeat_write

pytestmark = pytest.mark.django_db(transaction=True)

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def point_redis_at(settings, url):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.CELERY_BROKER_URL = url
    settings.CELERY_TASK_ALWAYS_EAGER = False


def test_it_answers_200_when_everything_is_reachable(client):
    response = client.get("/healthz/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["failing"] == []
    assert body["database"] == "ok"


def test_it_answers_503_naming_redis_when_redis_is_down(client, settings):
    point_redis_at(settings, DEAD_REDIS)
    started = time.monotonic()
    response = client.get("/healthz/")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    body = response.json()
    # The worker's heartbeat lives in the cache: with Redis gone it cannot be vouched for.
    assert body["failing"] == ["broker", "cache", "worker"]
    assert body["database"] == "ok"
    assert "Traceback" not in response.content.decode()
    assert elapsed < 2


@pytest.fixture
def silent_server():
    """A TCP port that accepts connections and then never answers: a hung Redis."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_it_answers_within_2_seconds_when_redis_hangs(client, settings, silent_server):
    point_redis_at(settings, silent_server)
    started = time.monotonic()
    response = client.get("/healthz/")
    assert time.monotonic() - started < 2
    assert response.status_code == 503
    assert set(response.json()["failing"]) == {"broker", "cache", "worker"}


@pytest.mark.services
def test_it_answers_200_against_the_real_postgres_and_redis(
    client, settings, require_postgres, redis_url
):
    point_redis_at(settings, redis_url)
    worker_heartbeat_write()
    response = client.get("/healthz/")
    assert response.status_code == 200, response.json()
    answer = response.json()
    # Written just before; a loaded machine may take a second between the two.
    assert answer.pop("worker") in {"ok (last heartbeat 0 s ago)", "ok (last heartbeat 1 s ago)"}
    assert answer == {
        "status": "ok",
        "failing": [],
        "database": "ok",
        "cache": "ok",
        "broker": "ok",
        "outbox": "ok (nothing waiting)",
    }


def test_it_names_the_worker_when_its_heartbeat_is_older_than_the_threshold(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.WORKER_SILENT_SECONDS = 60
    cache.delete(HEARTBEAT_KEY)  # another test's heartbeat may still be in this process's cache
    assert client.get("/healthz/").json()["worker"] == "silent (no heartbeat)"
    cache.set(HEARTBEAT_KEY, time.time() - 90)
    response = client.get("/healthz/")
    assert response.status_code == 503
    assert response.json()["failing"] == ["worker"]
    assert response.json()["worker"] == "silent (last heartbeat 90 s ago)"
    worker_heartbeat_write()
    assert client.get("/healthz/").status_code == 200


def test_it_reports_how_long_the_oldest_unsent_outbox_message_has_waited(client):
    from outbox.models import OutboxMessage

    waiting = OutboxMessage.objects.create(task="outbox.tasks.relay_outbox", kwargs={})
    # Stored to the minute (traceobject.fields): the age is five minutes and some seconds.
    OutboxMessage.objects.filter(pk=waiting.pk).update(
        created_at=timezone.now() - timedelta(seconds=300)
    )
    response = client.get("/healthz/")
    # A backlog is reported for alerting, not failed: the portal still takes tips.
    assert response.status_code == 200
    age = re.fullmatch(r"ok \(oldest unsent (\d+) s old\)", response.json()["outbox"])
    assert age and 300 <= int(age.group(1)) < 360 + 5


# --- Who reads the detail ----------------------------------------------------------------


def test_a_visitor_from_outside_gets_the_bare_status_and_nothing_more(client):
    response = client.get("/healthz/", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_a_visitor_through_the_proxy_gets_the_bare_status_even_when_the_proxy_is_local(
    client, settings
):
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
    through_proxy = client.get("/healthz/", HTTP_X_FORWARDED_FOR="203.0.113.9")
    naming_no_one = client.get("/healthz/")  # the local proxy itself, or anyone behind it

    assert through_proxy.json() == naming_no_one.json() == {"status": "ok"}


def test_the_operators_network_and_the_token_get_the_detail(client, settings):
    settings.HEALTHZ_DETAIL_NETWORKS = ["10.8.0.0/16"]
    settings.HEALTHZ_TOKEN = "s3cret-token"

    from_operator = client.get("/healthz/", REMOTE_ADDR="10.8.1.2").json()
    with_token = client.get(
        "/healthz/", REMOTE_ADDR="203.0.113.9", HTTP_X_HEALTHZ_TOKEN="s3cret-token"
    ).json()
    wrong_token = client.get(
        "/healthz/", REMOTE_ADDR="203.0.113.9", HTTP_X_HEALTHZ_TOKEN="guess"
    ).json()

    assert from_operator["database"] == with_token["database"] == "ok"
    assert "outbox" in from_operator and with_token["failing"] == []
    assert wrong_token == {"status": "ok"}


def test_the_bare_status_still_says_503_when_a_service_is_down(client, settings):
    point_redis_at(settings, DEAD_REDIS)
    response = client.get("/healthz/", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
