"""The retention schedule: contact details, rejected tips and receipts go on time, not
before, in batches, and a second run finds nothing left to do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from tests.factories import TIP_TEXT, tip_sent
from tips import services, triage
from tips.models import Tip, TipFollowUp, TipMessage, TipStatus
from tips.services import (
    RetentionReport,
    retention_apply,
    tip_add_follow_up,
    tip_by_receipt,
)
from tips.tasks import apply_retention
from traceobject.clock import to_the_minute

pytestmark = pytest.mark.django_db

CONTACT_DAYS, REJECTED_DAYS, RECEIPT_DAYS = 10, 20, 40
CONTACT = "tipster@example.org"


@pytest.fixture(autouse=True)
def schedule(settings):
    """Three different periods, so a test cannot pass on the wrong one."""
    settings.TIP_CONTACT_RETENTION_DAYS = CONTACT_DAYS
    settings.TIP_REJECTED_RETENTION_DAYS = REJECTED_DAYS
    settings.TIP_RECEIPT_RETENTION_DAYS = RECEIPT_DAYS


@pytest.fixture
def now():
    return timezone.now()


def close(tip: Tip, *, at, status: str = TipStatus.CLOSED) -> None:
    Tip.objects.filter(pk=tip.pk).update(status=status, closed_at=at)


def reloaded(tip: Tip) -> Tip:
    return Tip.objects.get(pk=tip.pk)


# --- Contact details ---------------------------------------------------------------------


def test_contact_details_are_deleted_once_the_tip_has_been_closed_for_the_period(
    public_object, now
):
    due = tip_sent(public_object, contact=CONTACT).tip
    close(due, at=now - timedelta(days=CONTACT_DAYS))
    rejected_due = tip_sent(public_object, contact=CONTACT).tip
    close(rejected_due, at=now - timedelta(days=CONTACT_DAYS + 1), status=TipStatus.REJECTED)

    report = retention_apply(now=now)

    assert report.contacts_deleted == 2
    for tip in (reloaded(due), reloaded(rejected_due)):
        assert tip.contact_encrypted == "" and tip.contact_deleted_at == to_the_minute(now)
        assert tip.body  # the tip itself stays


def test_contact_details_of_a_tip_closed_less_than_the_period_ago_are_kept(public_object, now):
    tip = tip_sent(public_object, contact=CONTACT).tip
    close(tip, at=now - timedelta(days=CONTACT_DAYS) + timedelta(minutes=1))

    assert retention_apply(now=now).contacts_deleted == 0
    assert reloaded(tip).has_contact and reloaded(tip).contact_deleted_at is None


@pytest.mark.parametrize(
    "status",
    [TipStatus.NEW, TipStatus.IN_REVIEW, TipStatus.NEEDS_INFO, TipStatus.FORWARDED],
)
def test_open_tips_keep_their_contact_details_however_old(public_object, now, status):
    sent = tip_sent(public_object, contact=CONTACT)
    Tip.objects.filter(pk=sent.tip.pk).update(status=status, received_at=now - timedelta(days=999))

    report = retention_apply(now=now)

    assert report == RetentionReport()
    assert reloaded(sent.tip).has_contact and tip_by_receipt(sent.receipt) == sent.tip


# --- Rejected tips ------------------------------------------------------------------------


def test_rejected_tips_are_deleted_with_their_follow_ups_and_questions_after_the_period(
    public_object, investigator, now
):
    due = tip_sent(public_object, contact=CONTACT).tip
    tip_add_follow_up(tip=due, body="It is also sold in Czechia.")
    TipMessage.objects.create(tip=due, author=investigator, body="Which city?")
    close(due, at=now - timedelta(days=REJECTED_DAYS), status=TipStatus.REJECTED)
    recent = tip_sent(public_object, contact=CONTACT).tip
    close(recent, at=now - timedelta(days=REJECTED_DAYS - 1), status=TipStatus.REJECTED)
    closed_long_ago = tip_sent(public_object, contact=CONTACT).tip
    close(closed_long_ago, at=now - timedelta(days=REJECTED_DAYS * 10))

    report = retention_apply(now=now)

    assert report.rejected_deleted == 1
    assert set(Tip.objects.values_list("pk", flat=True)) == {recent.pk, closed_long_ago.pk}
    assert not TipFollowUp.objects.exists() and not TipMessage.objects.exists()
    assert User.objects.filter(pk=investigator.pk).exists()  # the author is untouched


# --- Receipts -----------------------------------------------------------------------------


def test_the_receipt_of_a_closed_tip_stops_working_after_the_period(client, public_object, now):
    sent = tip_sent(public_object, contact=CONTACT)
    close(sent.tip, at=now - timedelta(days=RECEIPT_DAYS))

    report = retention_apply(now=now)

    assert report.receipts_invalidated == 1
    tip = reloaded(sent.tip)
    assert tip.receipt_hash is None and tip.receipt_invalidated_at == to_the_minute(now)
    assert tip_by_receipt(sent.receipt) is None
    response = client.post(reverse("tips:receipt"), {"receipt": sent.receipt})
    assert "No tip has this receipt" in response.content.decode()
    assert TIP_TEXT not in response.content.decode()


def test_the_receipt_of_a_tip_closed_less_than_the_period_ago_still_works(
    client, public_object, now
):
    sent = tip_sent(public_object, contact=CONTACT)
    close(sent.tip, at=now - timedelta(days=RECEIPT_DAYS - 1))

    assert retention_apply(now=now).receipts_invalidated == 0
    assert tip_by_receipt(sent.receipt) == sent.tip
    response = client.post(reverse("tips:receipt"), {"receipt": sent.receipt})
    assert "This tip is closed" in response.content.decode()


# --- Idempotence, batches, the schedule -----------------------------------------------------


def test_a_second_run_changes_nothing(public_object, now):
    for status in (TipStatus.CLOSED, TipStatus.REJECTED):
        close(
            tip_sent(public_object, contact=CONTACT).tip,
            at=now - timedelta(days=100),
            status=status,
        )

    first = retention_apply(now=now)
    after_first = list(Tip.objects.order_by("pk").values())
    second = retention_apply(now=now + timedelta(hours=1))

    assert first == RetentionReport(contacts_deleted=2, rejected_deleted=1, receipts_invalidated=2)
    assert second == RetentionReport()
    assert list(Tip.objects.order_by("pk").values()) == after_first


def test_retention_works_through_more_rows_than_one_batch(public_object, now, monkeypatch):
    monkeypatch.setattr(services, "RETENTION_BATCH", 2)
    closed = [tip_sent(public_object, contact=CONTACT).tip for _ in range(5)]
    rejected = [tip_sent(public_object, contact=CONTACT).tip for _ in range(5)]
    for tip in closed:
        close(tip, at=now - timedelta(days=100))
    for tip in rejected:
        close(tip, at=now - timedelta(days=100), status=TipStatus.REJECTED)

    report = retention_apply(now=now)

    assert report == RetentionReport(
        contacts_deleted=10, rejected_deleted=5, receipts_invalidated=10
    )
    assert set(Tip.objects.values_list("pk", flat=True)) == {tip.pk for tip in closed}
    assert not Tip.objects.exclude(contact_encrypted="").exists()
    assert not Tip.objects.filter(receipt_hash__isnull=False).exists()


def test_the_task_applies_the_schedule_and_returns_the_counts(public_object):
    close(tip_sent(public_object, contact=CONTACT).tip, at=timezone.now() - timedelta(days=100))

    assert apply_retention.apply().get() == {
        "contacts_deleted": 1,
        "rejected_deleted": 0,
        "receipts_invalidated": 1,
        "relays_deleted": 0,  # messages to partner portals: tests/tips/test_relay_retention.py
    }
    assert apply_retention.apply().get() == {
        "contacts_deleted": 0,
        "rejected_deleted": 0,
        "receipts_invalidated": 0,
        "relays_deleted": 0,
    }


def test_the_beat_schedule_runs_the_retention_task(settings):
    tasks = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "tips.tasks.apply_retention" in tasks


def test_a_period_of_zero_days_applies_on_the_next_run(public_object, settings, now):
    settings.TIP_CONTACT_RETENTION_DAYS = 0
    tip = tip_sent(public_object, contact=CONTACT).tip
    close(tip, at=now)

    assert retention_apply(now=now).contacts_deleted == 1
    assert not reloaded(tip).has_contact


RETENTION_STEPS = ("contacts_deleted", "receipts_invalidated", "rejected_deleted")


@pytest.mark.parametrize("step", RETENTION_STEPS)
def test_a_tip_reopened_after_its_batch_was_read_is_left_alone(
    public_object, analyst, now, monkeypatch, step
):
    """Each step reads a batch of ids, then applies it; an analyst may reopen a tip in
    between. The batch re-applies its step's conditions, so the reopened tip keeps its
    contact details and receipt and is not deleted."""
    sent = tip_sent(public_object, contact=CONTACT)
    close(sent.tip, at=now - timedelta(days=100), status=TipStatus.REJECTED)
    steps = iter(RETENTION_STEPS)
    in_batches = services._in_batches

    def reopened_between_read_and_apply(queryset, apply):
        current = next(steps)

        def apply_after_reopening(batch):
            if current == step:
                triage.tip_reopen(tip=reloaded(sent.tip), by=analyst)
            return apply(batch)

        return in_batches(queryset, apply_after_reopening)

    monkeypatch.setattr(services, "_in_batches", reopened_between_read_and_apply)

    report = retention_apply(now=now)

    assert getattr(report, step) == 0
    tip = reloaded(sent.tip)  # still there: not deleted as a rejected tip
    assert tip.status == TipStatus.IN_REVIEW
    if step != "contacts_deleted":
        assert not tip.has_contact  # deleted before the reopening, as it should be
    else:
        assert tip.has_contact and tip.contact_deleted_at is None
    if step == "rejected_deleted":
        assert tip.receipt_hash is None
    else:
        assert tip_by_receipt(sent.receipt) == tip
