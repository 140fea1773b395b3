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


def test_done_outbox_rows_are_deleted_after_a_day_and_rows_not_done_never(at_arrival):
    done_long_ago = OutboxMessage.objects.create(task="outbox.tests.noop", kwargs={})
    done_recently = OutboxMessage.objects.create(task="outbox.tests.noop", kwargs={})
    # Handed to the broker days ago and never done: it is sent again, never forgotten.
    lost = OutboxMessage.objects.create(
        task="outbox.tests.noop",
        kwargs={},
        created_at=ARRIVAL - timedelta(days=9),
        sent_at=ARRIVAL - timedelta(days=9),
    )
    pending = OutboxMessage.objects.create(
        task="outbox.tests.noop", kwargs={}, created_at=ARRIVAL - timedelta(days=9)
    )
    OutboxMessage.objects.filter(pk=done_long_ago.pk).update(
        sent_at=ARRIVAL - timedelta(days=2), done_at=ARRIVAL - timedelta(days=2)
    )
    OutboxMessage.objects.filter(pk=done_recently.pk).update(
        sent_at=ARRIVAL - timedelta(hours=1), done_at=ARRIVAL - timedelta(hours=1)
    )

    relay_outbox.delay().get()  # the beat job deletes, then relays what is pending

    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {
        done_recently.pk,
        lost.pk,
        pending.pk,
    }
    assert outbox_sent_delete() == 0


# --- The field type: every time those apps store is cut by the field itself ---------------

MINUTE_APPS = ["tips", "outbox", "audit"]


def test_every_time_field_of_the_tip_outbox_and_audit_models_is_cut_to_the_minute():
    """Read from the model registry, so a time field added later cannot be forgotten."""
    from django.apps import apps
    from django.db import models

    from traceobject.fields import MinuteDateTimeField

    fields = [
        field
        for label in MINUTE_APPS
        for model in apps.get_app_config(label).get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.DateTimeField)
    ]
    assert len(fields) >= 16  # the registry was read (tips alone keep twelve)
    assert [
        f"{f.model.__name__}.{f.name}" for f in fields if type(f) is not MinuteDateTimeField
    ] == []


def test_a_tip_its_follow_up_its_group_and_a_flood_keep_no_second(
    settings, at_arrival, public_object, analyst
):
    from django.apps import apps
    from django.db import models

    from audit.services import log_action
    from tips import grouping, services, triage
    from tips.models import TipGroup, TipStatus

    settings.TIP_FLOOD_MIN_TIPS = 3
    settings.URGENT_ALERT_EMAILS = ["duty@police.example"]
    body = "I recognise this bottle: it is Kovaro shampoo, sold at Mileta Markt in Gdansk."
    tips = [
        services.tip_receive(
            content=services.TipContent(body=f"{body} {n}"),
            language="en",
            traced_object=public_object,
        ).tip
        for n in range(4)
    ]
    for tip in tips:
        grouping.tip_analyse(tip_id=tip.pk)
    assert TipGroup.objects.get().flood_detected_at is not None  # a flood was detected
    services.tip_receive(content=services.TipContent(body="Now."), language="en", urgent=True)
    services.urgent_report_alert(tip_id=Tip.objects.get(urgent=True).pk)
    Tip.objects.filter(pk=tips[0].pk).update(status=TipStatus.NEEDS_INFO)
    services.tip_add_follow_up(tip=tips[0], body="It was in March.")
    triage.tip_add_note(tip=tips[1], by=analyst, body="Seen before.")
    # An update() with an exact time is cut too, not only a save().
    Tip.objects.filter(pk=tips[2].pk).update(closed_at=ARRIVAL)
    log_action("tip.viewed", user=analyst, target=tips[3])
    relay_outbox.delay().get()

    stored = {}
    for label in MINUTE_APPS:
        for model in apps.get_app_config(label).get_models():
            names = [
                f.name for f in model._meta.get_fields() if isinstance(f, models.DateTimeField)
            ]
            for row in model.objects.values("pk", *names):
                for name in names:
                    if row[name] is not None:
                        stored[f"{model.__name__}.{name}#{row['pk']}"] = row[name]
    for expected in [
        "Tip.received_at",
        "Tip.answered_at",
        "Tip.closed_at",
        "Tip.urgent_alert_sent_at",
        "TipFollowUp.received_at",
        "TipGroup.created_at",
        "TipGroup.flood_detected_at",
        "TipNote.created_at",
        "AuditEntry.at",
        "OutboxMessage.created_at",
    ]:
        assert any(key.startswith(expected + "#") for key in stored), expected
    assert {key: value for key, value in stored.items() if value.second or value.microsecond} == {}
