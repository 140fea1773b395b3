"""No Celery worker is running: tips are still taken, the work they cause waits on the
queue, /healthz/ names the worker, and everything queued runs once a worker is back."""

import io

import pytest
from celery import Celery

from objects.models import ObjectState, TracedObject
from objects.services import object_submit
from outbox.models import OutboxMessage
from tests.factories import details, synthetic_png
from tests.faults.conftest import Tally, Visitor, wait_until
from tips.models import Tip

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
# Every tip also queues its grouping; these tests count the urgent alerts.
ALERT = "tips.tasks.alert_urgent_report"

URGENT = {"danger_now": "on", "body": "A child is in danger at this address now."}


def test_work_queued_while_no_worker_runs_is_done_when_one_returns_and_health_says_so(
    case,
    investigator,
    public_object,
    private_redis,
    site_on_test_database,
    alerts_to,
    smtp_sink,
    start_web,
    start_worker,
):
    env = {**site_on_test_database, **alerts_to}
    web = start_web(env, workers=1)
    status_without_worker, health_without_worker = web.health()

    tally = Tally()
    for i in range(1, 4):
        tally.record(
            Visitor(web, f"/objects/{public_object.code}/tip/", f"198.51.100.{i}").load().send()
        )
    for i in range(1, 3):
        tally.record(Visitor(web, "/report/", f"203.0.113.{i}").load().send(**URGENT))
    upload = object_submit(
        case=case,
        uploaded_by=investigator,
        upload=io.BytesIO(synthetic_png(seed=3)),
        details=details(),
        queue_intake=False,
    )
    Celery(broker=private_redis.url).send_task("objects.tasks.intake_object", args=[upload.pk])
    # The outbox handed both alerts to the broker; nobody is there to run them.
    relayed = OutboxMessage.objects.filter(task=ALERT, sent_at__isnull=False).count()
    mailed_without_worker = len(smtp_sink.messages)
    state_without_worker = TracedObject.objects.get(pk=upload.pk).state

    worker = start_worker(env)
    # One mail names both reports (tips/alerts.py gathers what waits).
    wait_until(lambda: len(smtp_sink.reports_alerted()) == 2, seconds=30, what="the queued alerts")
    wait_until(
        lambda: TracedObject.objects.get(pk=upload.pk).state != ObjectState.DRAFT,
        seconds=30,
        what="the queued intake",
    )
    status_with_worker, health_with_worker = wait_until(
        lambda: (health := web.health())[0] == 200 and health,
        seconds=10,
        what="/healthz/ to see the worker",
    )

    worker.process.kill()  # SIGKILL, pool and all: no goodbye, the heartbeats just stop
    status_worker_gone, health_worker_gone = wait_until(
        lambda: (health := web.health())[0] == 503 and health,
        seconds=10,
        what="/healthz/ to notice the silent worker",
    )

    print(
        f"tips sent {tally.sent}, receipts shown {tally.receipts}, tips stored {Tip.objects.count()}"
    )
    print(
        f"without a worker: alerts relayed to the broker {relayed}, mailed {mailed_without_worker}, upload {state_without_worker}"
    )
    print(
        f"worker back: alerts mailed {len(smtp_sink.messages)}, upload {TracedObject.objects.get(pk=upload.pk).state}"
    )
    print(
        f"health: before {status_without_worker} {health_without_worker['worker']!r}, "
        f"with worker {status_with_worker} {health_with_worker['worker']!r}, "
        f"after SIGKILL {status_worker_gone} {health_worker_gone['worker']!r}"
    )

    assert tally.errors == [] and tally.receipts == tally.sent == 5
    assert Tip.objects.count() == 5
    assert relayed == 2 and mailed_without_worker == 0
    assert state_without_worker == ObjectState.DRAFT
    assert TracedObject.objects.get(pk=upload.pk).state == ObjectState.AWAITING_APPROVAL
    assert Tip.objects.filter(urgent=True, urgent_alert_sent_at__isnull=True).count() == 0
    assert status_without_worker == 503
    assert health_without_worker["failing"] == ["worker"]
    assert health_without_worker["worker"] == "silent (no heartbeat)"
    assert health_with_worker["worker"].startswith("ok (last heartbeat")
    assert health_worker_gone["failing"] == ["worker"]
    assert health_worker_gone["worker"].startswith("silent (last heartbeat")
