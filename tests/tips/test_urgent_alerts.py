"""Urgent alerts come as one mail per minute saying how many: ten reports in 1.5 s make one
mail saying 10, not ten mails; a report arriving after a window's mail waits for the next
window and is named there, once."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.cache import cache

from outbox.tasks import relay_outbox
from tips import alerts, services
from tips.models import Tip

pytestmark = pytest.mark.django_db

WIDTH = 60


@pytest.fixture
def alert_list(settings):
    settings.URGENT_ALERT_EMAILS = ["duty@police.example"]
    settings.URGENT_ALERT_WINDOW_SECONDS = WIDTH


@pytest.fixture
def clock(monkeypatch):
    """time.time() of tips/alerts.py, in a window of its own (no other test's key)."""
    now = {"t": WIDTH * 31_666_667 + 7.0}  # 7 s into a window
    monkeypatch.setattr(alerts.time, "time", lambda: now["t"])
    yield now
    for offset in range(3):
        index = int(now["t"] // WIDTH) - offset
        cache.delete(alerts.WINDOW_KEY.format(index=index))


def urgent(n: int) -> list[int]:
    return [
        services.tip_receive(
            content=services.TipContent(body=f"A child is in danger now ({i})."),
            language="en",
            urgent=True,
        ).tip.pk
        for i in range(n)
    ]


def named(message) -> set[int]:
    return {int(pk) for pk in re.findall(r"/tips/tip/(\d+)/", message.body)}


def test_ten_urgent_reports_in_a_burst_make_one_mail_saying_ten(alert_list, clock):
    ids = urgent(10)

    relay_outbox.delay().get()  # the ten alert tasks, one after the other

    [message] = mail.outbox
    assert "10 urgent reports" in message.subject
    assert named(message) == set(ids)
    assert "urgent__exact=1" in message.body
    assert "danger now (" not in message.body  # links only, never what was written
    assert Tip.objects.filter(urgent_alert_sent_at__isnull=True).count() == 0


def test_a_report_after_the_windows_mail_waits_for_the_next_window(alert_list, clock):
    [first] = urgent(1)
    assert services.urgent_report_alert(tip_id=first, one_per_window=True) == 1
    later = urgent(3)
    clock["t"] += 20  # same minute

    with pytest.raises(alerts.AlertLater) as waited:
        services.urgent_report_alert(tip_id=later[0], one_per_window=True)
    assert 1 <= waited.value.seconds <= WIDTH - 20
    assert Tip.objects.filter(pk__in=later, urgent_alert_sent_at__isnull=True).count() == 3

    clock["t"] += waited.value.seconds  # the next window
    assert services.urgent_report_alert(tip_id=later[0], one_per_window=True) == 3
    assert services.urgent_report_alert(tip_id=later[1], one_per_window=True) == 0

    assert [named(m) for m in mail.outbox] == [{first}, set(later)]
    assert "3 urgent reports" in mail.outbox[1].subject


def test_a_failed_mail_gives_back_the_window_and_the_reports(alert_list, clock, monkeypatch):
    ids = urgent(2)

    def refused(**kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr("traceobject.mail.mail_send", refused)
    with pytest.raises(OSError):
        services.urgent_report_alert(tip_id=ids[0], one_per_window=True)
    monkeypatch.undo()
    monkeypatch.setattr(alerts.time, "time", lambda: clock["t"])

    assert Tip.objects.filter(urgent_alert_sent_at__isnull=True).count() == 2
    assert services.urgent_report_alert(tip_id=ids[0], one_per_window=True) == 2
