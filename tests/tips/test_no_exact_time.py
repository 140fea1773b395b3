"""Nothing ties a tip to a time finer than the minute: not the database, not the logs, not
the alert mail's headers. The report below arrives at 06:15:07.916; every trace of it must
say 06:15 at most (like test_no_visitor_data.py does for addresses)."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.utils import timezone

from outbox.models import OutboxMessage
from outbox.services import outbox_sent_delete
from outbox.tasks import relay_outbox
from tests.tips.conftest import tip_data
from tips.models import Tip

pytestmark = pytest.mark.django_db

ARRIVAL = datetime(2026, 12, 1, 6, 15, 7, 916000, tzinfo=UTC)
SECONDS = re.compile(r"\d\d:\d\d:\d\d")


@pytest.fixture
def at_arrival(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: ARRIVAL)
    return ARRIVAL


def test_an_urgent_report_leaves_no_trace_finer_than_the_minute(
    client, settings, at_arrival, caplog, django_capture_on_commit_callbacks
):
    settings.URGENT_ALERT_EMAILS = ["duty@police.example"]
    caplog.set_level(logging.DEBUG)

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/en/report/", tip_data(danger_now="on", body="A child is hurt next door."))

    tip = Tip.objects.get()
    stored = [tip.received_at, tip.urgent_alert_sent_at]
    for message in OutboxMessage.objects.all():
        stored += [message.created_at, message.sent_at]
    assert all(value is not None for value in stored)
    assert {(value.second, value.microsecond) for value in stored} == {(0, 0)}

    [alert] = mail.outbox
    message = alert.message()
    assert parsedate_to_datetime(message["Date"]).second == 0
    assert str(int(ARRIVAL.timestamp())) not in message["Message-ID"]
    assert "07" not in message["Date"].split(":")[-1]

    plain = django_settings.LOGGING["formatters"]["plain"]
    formatter = logging.Formatter(plain["format"], plain["datefmt"])
    # What was logged while the report arrived, and a line stamped at its exact arrival
    # (which lines a request logs varies with what ran before it in the process).
    stamped = logging.makeLogRecord({"msg": "the report", "created": ARRIVAL.timestamp()})
    for record in [*caplog.records, stamped]:
        assert not SECONDS.search(formatter.formatTime(record, formatter.datefmt)), record


def test_the_alert_mail_is_claimed_before_it_is_sent(settings, monkeypatch):
    """Two outbox relays at once send one alert: the second finds the report claimed."""
    from tips import services

    settings.URGENT_ALERT_EMAILS = ["duty@police.example"]
    tip = services.tip_receive(
        content=services.TipContent(body="Now."), language="en", urgent=True
    ).tip
    sent = []

    def send_while_another_relay_runs(**message):
        sent.append(message)
        if len(sent) == 1:  # the other relay starts while this mail is on its way
            assert services.urgent_report_alert(tip_id=tip.pk) == 0
        return 1

    monkeypatch.setattr("traceobject.mail.mail_send", send_while_another_relay_runs)

    assert services.urgent_report_alert(tip_id=tip.pk) == 1
    assert len(sent) == 1


def test_a_failed_alert_releases_its_claim_so_the_retry_sends_it(settings, monkeypatch):
    from tips import services

    settings.URGENT_ALERT_EMAILS = ["duty@police.example"]
    tip = services.tip_receive(
        content=services.TipContent(body="Now."), language="en", urgent=True
    ).tip

    def refused(**kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr("traceobject.mail.mail_send", refused)
    with pytest.raises(OSError):
        services.urgent_report_alert(tip_id=tip.pk)
    tip.refresh_from_db()
    assert tip.urgent_alert_sent_at is None

    monkeypatch.undo()
    settings.URGENT_ALERT_EMAILS = ["duty@police.example"]
    assert services.urgent_report_alert(tip_id=tip.pk) == 1


def test_sent_outbox_rows_are_deleted_after_a_day_and_pending_ones_never(at_arrival):
    sent_long_ago = OutboxMessage.objects.create(task="outbox.tests.noop", kwargs={})
    sent_recently = OutboxMessage.objects.create(task="outbox.tests.noop", kwargs={})
    pending = OutboxMessage.objects.create(
        task="outbox.tests.noop", kwargs={}, created_at=ARRIVAL - timedelta(days=9)
    )
    OutboxMessage.objects.filter(pk=sent_long_ago.pk).update(sent_at=ARRIVAL - timedelta(days=2))
    OutboxMessage.objects.filter(pk=sent_recently.pk).update(sent_at=ARRIVAL - timedelta(hours=1))

    relay_outbox.delay().get()  # the beat job deletes, then relays what is pending

    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {
        sent_recently.pk,
        pending.pk,
    }
    assert outbox_sent_delete() == 0
