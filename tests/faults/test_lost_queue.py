"""The worker is killed, then Redis dies without its data (no append-only file): the queue
of work handed out is gone. Once both are back the reconciler (the beat relay and
tips.tasks.requeue_lost_work) finds it: every tip is grouped and every urgent report is
alerted, each exactly once."""

import time

import pytest
from celery import Celery

from outbox.models import OutboxMessage
from tests.faults.conftest import Tally, Visitor, wait_until
from tips.models import Tip, TipKind

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

URGENT = {"danger_now": "on", "body": "A child is in danger at this address now."}


def test_work_lost_with_the_worker_and_redis_is_done_once_when_both_return(
    public_object,
    private_redis,
    site_on_test_database,
    alerts_to,
    smtp_sink,
    start_web,
    start_worker,
):
    env = {
        **site_on_test_database,
        **alerts_to,
        "REQUEUE_AFTER_MINUTES": "0",  # what beat finds after 15 minutes, found at once
        "URGENT_ALERT_GATHER_SECONDS": "1",
    }
    started = time.monotonic()
    web = start_web(env, workers=1)
    worker = start_worker(env)
    tally = Tally()
    tip_path = f"/objects/{public_object.code}/tip/"

    def send(network: str, tips: int, reports: int) -> None:
        for i in range(1, tips + 1):
            tally.record(Visitor(web, tip_path, f"{network}.{i}").load().send())
        for i in range(1, reports + 1):
            tally.record(Visitor(web, "/report/", f"{network}.{100 + i}").load().send(**URGENT))

    send("198.51.100", 2, 1)  # done while all is well
    wait_until(
        lambda: (
            not Tip.objects.filter(kind=TipKind.OBJECT, signature__isnull=True).exists()
            and smtp_sink.reports_alerted()
        ),
        seconds=30,
        what="the first tips grouped and alerted",
    )

    worker.process.kill()
    send("198.51.101", 4, 2)  # handed to Redis, nobody takes it
    handed_out = OutboxMessage.objects.filter(sent_at__isnull=False, done_at__isnull=True).count()
    private_redis.kill()  # no append-only file: the queue goes with it
    send("198.51.102", 2, 1)  # Redis down: the outbox keeps it
    pending = OutboxMessage.objects.filter(sent_at__isnull=True).count()
    lost_before = (
        Tip.objects.filter(kind=TipKind.OBJECT, signature__isnull=True).count(),
        Tip.objects.filter(urgent=True, urgent_alert_sent_at__isnull=True).count(),
    )

    private_redis.start()  # same port, empty
    start_worker(env)
    beat = Celery(broker=private_redis.url)
    beat.send_task("outbox.tasks.relay_outbox")  # what beat sends every minute
    beat.send_task("tips.tasks.requeue_lost_work")  # and every five minutes
    wait_until(
        lambda: (
            not Tip.objects.filter(kind=TipKind.OBJECT, signature__isnull=True).exists()
            and not Tip.objects.filter(urgent=True, urgent_alert_sent_at__isnull=True).exists()
        ),
        seconds=40,
        what="every lost tip grouped and every report alerted",
    )
    wait_until(
        lambda: not OutboxMessage.objects.filter(done_at__isnull=True).exists(),
        seconds=20,
        what="every outbox row done",
    )
    time.sleep(2)  # a duplicate still running would mail now
    urgent_ids = sorted(Tip.objects.filter(urgent=True).values_list("pk", flat=True))
    alerted = smtp_sink.reports_alerted()
    print(
        f"tips stored {Tip.objects.count()}, handed out when Redis died {handed_out}, "
        f"pending in the outbox {pending}, ungrouped/unalerted before recovery {lost_before}, "
        f"mails {len(smtp_sink.messages)} naming {len(alerted)} reports, "
        f"{time.monotonic() - started:.1f} s"
    )

    assert tally.errors == [] and tally.receipts == tally.sent == 12
    assert handed_out >= 6 and pending == 3
    assert lost_before == (6, 3)
    assert Tip.objects.filter(kind=TipKind.OBJECT, group__isnull=True).count() == 0
    assert sorted(alerted) == urgent_ids and len(urgent_ids) == 4  # each exactly once
