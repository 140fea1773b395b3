"""PostgreSQL is stopped and started again while visitors keep sending tips: each visitor
gets a receipt or the plain error page (never a traceback, never a receipt for a tip that
was not stored), and the same web processes serve tips again once it is back."""

import threading
import time

import psycopg2
import pytest

from tests.faults.conftest import Tally, Visitor, manage, site_env, wait_until

pytestmark = pytest.mark.services

# Run by `manage.py shell` against the private cluster: a published object to send tips on.
PUBLISHED_OBJECT = """
from django.utils import timezone
from objects.models import ObjectState
from objects.services import case_ensure
from tests.factories import bare_object, staff_user
ines, sam = staff_user("ines"), staff_user("sam")
case = case_ensure(reference="CASE-2026-017", owner=ines, title="Demo case")
case.owners.add(sam)
obj = bare_object(case, ines, state=ObjectState.PUBLISHED, approved_by=sam,
                  published_at=timezone.now(), thumbnail="objects/thumbs/x.jpg")
print(obj.code)
"""
SENDERS = 3
PER_SENDER = 80  # an upper bound: the senders stop once recovery has been seen


def tips_stored(database_url: str, code: str) -> int:
    with psycopg2.connect(database_url) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM tips_tip JOIN objects_tracedobject o"
            " ON o.id = tips_tip.traced_object_id WHERE o.code = %s",
            [code],
        )
        return cursor.fetchone()[0]


def test_tips_sent_while_postgres_restarts_get_a_receipt_or_a_clean_error_and_the_site_recovers(
    private_postgres, private_redis, start_web, tmp_path
):
    env = site_env(
        database_url=private_postgres.url,
        redis_url=private_redis.url,
        MEDIA_ROOT=str(tmp_path / "media"),
        PRIVATE_MEDIA_ROOT=str(tmp_path / "private-media"),
        INTAKE_ROOT=str(tmp_path / "intake"),
    )
    code = manage("shell", "-c", PUBLISHED_OBJECT, env=env).split()[-1]
    web = start_web(env, workers=2)
    path = f"/objects/{code}/tip/"
    phases = {name: Tally() for name in ("before", "down", "coming back", "after")}
    phase = "before"
    stop = threading.Event()

    def send_tips(sender: int) -> None:
        visitor = Visitor(web, path, f"198.51.100.{sender}").load()
        for i in range(PER_SENDER):
            if stop.is_set():
                return
            # A new network for every tip, so the per-network limits never answer instead.
            visitor.address = f"10.{sender}.{i}.1"
            current = phase
            page = phases[current].record(visitor.send())
            time.sleep(0.05 if page.receipt else 0.2)  # errors come fast: spare the budget

    senders = [threading.Thread(target=send_tips, args=(n,)) for n in range(1, SENDERS + 1)]
    for thread in senders:
        thread.start()
    try:
        wait_until(lambda: phases["before"].receipts >= 9, seconds=30, what="tips before")
        phase = "down"
        private_postgres.stop("fast")  # ends every open connection, as a restart does
        health_down = web.health()
        time.sleep(1.5)
        private_postgres.start()
        phase = "coming back"
        time.sleep(0.5)
        phase = "after"
        wait_until(lambda: phases["after"].receipts >= 9, seconds=30, what="tips after")
    finally:
        stop.set()
        for thread in senders:
            thread.join(timeout=30)

    stored = tips_stored(private_postgres.url, code)
    sent = sum(t.sent for t in phases.values())
    receipts = sum(t.receipts for t in phases.values())
    errors = [page for t in phases.values() for page in t.errors]
    for name, tally in phases.items():
        print(f"{name}: sent {tally.sent}, receipts {tally.receipts}, errors {len(tally.errors)}")
    print(f"total: sent {sent}, receipts shown {receipts}, tips stored {stored}")
    print(f"/healthz/ while down: {health_down}")

    assert stored == receipts
    assert sent == receipts + len(errors)
    assert phases["down"].errors, "no tip was sent while PostgreSQL was down: nothing tested"
    for page in errors:
        assert page.status == 500, (page.status, page.text[:300])
        assert "Something went wrong" in page.text and "Traceback" not in page.text
    assert phases["after"].errors == [] and phases["after"].receipts >= 9
    assert health_down[0] == 503 and "database" in health_down[1]["failing"]
    # Recovered without restarting web: the same master and its two original workers.
    assert web.process.running
    assert web.process.output().count("Booting worker") == 2
