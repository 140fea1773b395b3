"""Nothing queued is lost: an outbox row is done when its task has run, not when the broker
took it; a row handed out long ago and never done is sent again, and a tip whose grouping or
alert never happened is queued again, once (the fault test in tests/faults/ breaks the
real worker and Redis; these check the rules with the eager worker)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from outbox.models import OutboxMessage
from outbox.services import outbox_reconcile, outbox_relay
from outbox.tasks import relay_outbox
from tests.factories import tip_at
from tips import services
from tips.recovery import ALERT, ANALYSE, tips_lost_work_requeue
from tips.tasks import requeue_lost_work
from traceobject.clock import minute_now

pytestmark = pytest.mark.django_db


def urgent_report() -> int:
    return services.tip_receive(
        content=services.TipContent(body="A child is in danger now."), language="en", urgent=True
    ).tip.pk


def test_a_row_is_done_once_its_task_has_run_not_when_the_broker_took_it(settings, monkeypatch):
    settings.URGENT_ALERT_EMAILS = ["duty@police.example"]
    tip_id = urgent_report()
    handed = []
    monkeypatch.setattr(
        "celery.app.task.Task.apply_async",
        lambda task, **options: handed.append(options["task_id"]),  # the broker took it
    )

    assert outbox_relay() == 1

    message = OutboxMessage.objects.get(task=ALERT)
    assert handed == [f"outbox-{message.pk}"]
    assert message.sent_at is not None and message.done_at is None
    assert mail.outbox == []

    monkeypatch.undo()
    OutboxMessage.objects.filter(pk=message.pk).update(sent_at=minute_now() - timedelta(hours=1))
    relay_outbox.delay().get()  # beat: sent an hour ago and never done, so sent again

    message.refresh_from_db()
    assert message.done_at is not None and message.attempts == 2
    assert len(mail.outbox) == 1 and str(tip_id) in mail.outbox[0].subject


def test_a_row_sent_recently_or_done_is_not_sent_again(settings):
    settings.URGENT_ALERT_EMAILS = []
    urgent_report()
    outbox_relay()
    done = OutboxMessage.objects.get()
    assert done.done_at is not None
    recent = OutboxMessage.objects.create(task=ALERT, kwargs={"tip_id": 0}, sent_at=minute_now())

    assert outbox_reconcile() == 0
    assert outbox_reconcile(older_than=timedelta(0)) == 1  # only the one not done
    recent.refresh_from_db()
    assert recent.sent_at is None


def test_a_tip_never_grouped_is_queued_again_once_and_then_grouped(settings, public_object):
    settings.REQUEUE_AFTER_MINUTES = 15
    lost = tip_at(public_object, hours_ago=1)  # its grouping went with the broker's queue
    fresh = tip_at(public_object, hours_ago=0)
    OutboxMessage.objects.all().delete()

    report = tips_lost_work_requeue()
    again = tips_lost_work_requeue()  # still waiting in the outbox: not queued twice

    assert (report.ungrouped, again.ungrouped) == (1, 0)
    assert list(OutboxMessage.objects.values_list("task", "kwargs")) == [
        (ANALYSE, {"tip_id": lost.pk})
    ]
    relay_outbox.delay().get()
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert lost.group_id is not None and lost.signature is not None
    assert fresh.group_id is None  # its own task may still come: left alone
    assert tips_lost_work_requeue().ungrouped == 0


def test_an_urgent_report_never_alerted_is_alerted_once(settings):
    settings.URGENT_ALERT_EMAILS = ["duty@police.example"]
    tip = tip_at(None, hours_ago=1, urgent=True)
    OutboxMessage.objects.all().delete()  # its alert went with the broker's queue

    assert requeue_lost_work.delay().get() == {"ungrouped": 0, "unalerted": 1}
    relay_outbox.delay().get()
    relay_outbox.delay().get()
    assert requeue_lost_work.delay().get() == {"ungrouped": 0, "unalerted": 0}

    tip.refresh_from_db()
    assert tip.urgent_alert_sent_at is not None
    assert len(mail.outbox) == 1
