"""Redis dies while visitors send tips: every tip is still accepted and stored, the limits
count in each web process instead (at most WEB_CONCURRENCY times each limit, as the README
says), and the alerts waiting in the outbox go out once Redis is back."""

import time

import pytest
from celery import Celery

from outbox.models import OutboxMessage
from tests.faults.conftest import Tally, Visitor, wait_until
from tips.models import Tip

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
# Every tip also queues its grouping; these tests count the urgent alerts.
ALERT = "tips.tasks.alert_urgent_report"

URGENT = {"danger_now": "on", "body": "A child is in danger at this address now."}
WEB_CONCURRENCY = 2
NETWORK_BURST = 5  # settings.TIP_RATE_LIMITS: 5 tips per network per 10 minutes


def test_tips_sent_while_redis_is_down_are_all_stored_and_the_outbox_drains_when_it_returns(
    public_object,
    private_redis,
    site_on_test_database,
    alerts_to,
    smtp_sink,
    start_web,
    start_worker,
):
    env = {**site_on_test_database, **alerts_to}
    web = start_web(env, workers=WEB_CONCURRENCY)
    start_worker(env)
    tip_path = f"/objects/{public_object.code}/tip/"
    phases = {"before": Tally(), "during": Tally(), "after": Tally()}

    def one_tip_each(phase: str, network: str, count: int, path: str = tip_path, **fields):
        for i in range(1, count + 1):
            phases[phase].record(Visitor(web, path, f"{network}.{i}").load().send(**fields))

    one_tip_each("before", "198.51.100", 3)
    one_tip_each("before", "198.51.101", 1, "/report/", **URGENT)
    wait_until(lambda: len(smtp_sink.reports_alerted()) == 1, seconds=20, what="the first alert")

    private_redis.kill()
    started = time.monotonic()
    one_tip_each("during", "203.0.113", 6)
    one_tip_each("during", "203.0.114", 2, "/report/", **URGENT)
    during_seconds = time.monotonic() - started
    # One network floods: each web process counts its own 5, so 5 to 10 get through.
    flooder, flood = Visitor(web, tip_path, "192.0.2.77").load(), Tally()
    for _ in range(12):
        flood.record(flooder.send())
    status, health = web.health()
    alerts_waiting = OutboxMessage.objects.filter(task=ALERT, sent_at__isnull=True).count()
    stored_during_outage = Tip.objects.count()

    private_redis.start()  # same port, empty: whatever Redis held is gone
    # The beat job relays the outbox every minute; send it now, as beat would.
    Celery(broker=private_redis.url).send_task("outbox.tasks.relay_outbox")
    # The two reports of the outage may share one mail (tips/alerts.py gathers them).
    wait_until(lambda: len(smtp_sink.reports_alerted()) == 3, seconds=60, what="the delayed alerts")
    one_tip_each("after", "198.51.102", 2)

    receipts = sum(t.receipts for t in phases.values()) + flood.receipts
    sent = sum(t.sent for t in phases.values()) + flood.sent
    stored = Tip.objects.count()
    for name, tally in [*phases.items(), ("flood during", flood)]:
        print(f"{name}: sent {tally.sent}, receipts {tally.receipts}, limited {tally.limited}")
    print(f"total: sent {sent}, receipts shown {receipts}, tips stored {stored}")
    print(
        f"alerts waiting in the outbox during the outage {alerts_waiting}, mailed {len(smtp_sink.messages)}"
    )
    print(f"8 tips sent during the outage took {during_seconds:.1f} s")

    for name, tally in phases.items():
        assert tally.errors == [], (name, [(p.status, p.text[:300]) for p in tally.errors])
        assert tally.receipts == tally.sent, name
    assert flood.errors == []
    assert NETWORK_BURST <= flood.receipts <= NETWORK_BURST * WEB_CONCURRENCY
    assert flood.limited == flood.sent - flood.receipts
    assert stored_during_outage == 4 + 8 + flood.receipts
    assert stored == receipts == 14 + flood.receipts
    assert status == 503 and {"cache", "broker"} <= set(health["failing"])
    assert alerts_waiting == 2
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    assert Tip.objects.filter(urgent=True, urgent_alert_sent_at__isnull=True).count() == 0
    assert len(smtp_sink.reports_alerted()) == 3
    assert sorted(smtp_sink.reports_alerted()) == sorted(
        Tip.objects.filter(urgent=True).values_list("pk", flat=True)
    )
