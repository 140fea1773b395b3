"""/healthz/: is each service the portal needs reachable? For load balancers and compose.

Each check has a short timeout and all run at once, so the answer comes within about a
second even when a service hangs; a failure names the service, never shows a traceback.
The worker counts as down when its heartbeat (written from its event loop) is older than
WORKER_SILENT_SECONDS. Apps add their own checks from AppConfig.ready (`register_check`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils.crypto import get_random_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

from traceobject.health_access import health_detail_allowed

logger = logging.getLogger(__name__)

DEADLINE_SECONDS = 1.5
HEARTBEAT_KEY = "healthz:worker-heartbeat"


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        # This runs in a worker thread: its connection must not outlive the check.
        connection.close()
    return "ok"


def check_cache() -> str:
    key = f"healthz:{get_random_string(8)}"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise RuntimeError("the cache did not return what was just stored")
    cache.delete(key)
    return "ok"


def check_broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "ok (tasks run in-process)"
    # Built from settings on every call (not the app's cached pool) so a broker that died
    # since the last check is seen at once.
    with Connection(
        settings.CELERY_BROKER_URL,
        connect_timeout=settings.REDIS_SOCKET_TIMEOUT,
        transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
    ) as conn:
        conn.ensure_connection(max_retries=1, timeout=1)
        client = getattr(conn.default_channel, "client", None)
        if client is not None:  # Redis: make sure it answers, not just that it accepted
            client.ping()
    return "ok"


def worker_heartbeat_write() -> None:
    """Called by the worker (traceobject/celery.py); a cache outage must not stop it."""
    try:
        cache.set(HEARTBEAT_KEY, time.time(), timeout=24 * 3600)
    except Exception as exc:
        logger.warning("worker heartbeat not written: %r", exc)


def check_worker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "ok (tasks run in-process)"
    last = cache.get(HEARTBEAT_KEY)
    if last is None:
        return "silent (no heartbeat)"
    age = max(0, round(time.time() - last))
    if age > settings.WORKER_SILENT_SECONDS:
        return f"silent (last heartbeat {age} s ago)"
    return f"ok (last heartbeat {age} s ago)"


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "worker": check_worker,
}


def register_check(name: str, check: Callable[[], str]) -> None:
    """Add an app's check to /healthz/ (after the project's own, in the order registered).
    A check returns a state starting with "ok", or raises; it runs in a worker thread, so
    it closes any database connection it opens."""
    CHECKS[name] = check


def run_checks() -> dict[str, str]:
    pool = ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="healthz")
    futures = {name: pool.submit(check) for name, check in CHECKS.items()}
    wait(futures.values(), timeout=DEADLINE_SECONDS)
    # A check still running is abandoned, not waited for: the answer must stay fast.
    pool.shutdown(wait=False, cancel_futures=True)
    results = {}
    for name, future in futures.items():
        if not future.done():
            results[name] = "unreachable (timed out)"
        elif future.exception() is not None:
            logger.warning("healthz: %s check failed: %r", name, future.exception())
            results[name] = "unreachable"
        else:
            results[name] = future.result()
    return results


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    results = run_checks()
    failing = sorted(name for name, state in results.items() if not state.startswith("ok"))
    body: dict = {"status": "ok" if not failing else "unavailable"}
    if health_detail_allowed(request):  # which service, and the outbox's age: the operator's
        body.update(failing=failing, **results)
    return JsonResponse(body, status=503 if failing else 200)
