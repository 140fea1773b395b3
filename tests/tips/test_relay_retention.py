"""How long the messages about tips to partner portals are kept (issue #21): a delivered
answer, status or question (its payload already emptied) goes TIP_RELAY_KEEP_DAYS after
delivery, with the daily retention job; the "tip" message stays as long as its tip (it maps
the owner's messages back to it) and goes with it, and so does a tip's latest status (the
next one is compared with it). Waiting and refused messages stay for the administrator.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import tip_at
from tips import relaying, tasks, triage
from tips.models import RelayKind, RelayState, Tip, TipRelay, TipStatus
from tips.relay_models import relays_done_delete
from tips.services import TipContent, retention_apply, tip_receive
from traceobject.clock import minute_now

pytestmark = pytest.mark.django_db

KEEP = 30  # TIP_RELAY_KEEP_DAYS's default


@pytest.fixture
def partner():
    from network.models import Partner

    return Partner.objects.create(
        name="Portal A",
        origin="http://a.test",
        fingerprint="0" * 64,
        inbox_url="http://a.test/network/inbox/",
    )


def row(tip: Tip, partner, kind: str, *, days_ago: float | None = None, state=None) -> TipRelay:
    """A relay row delivered `days_ago` days ago (None: still waiting)."""
    delivered = state or (RelayState.WAITING if days_ago is None else RelayState.DELIVERED)
    return TipRelay.objects.create(
        partner=partner,
        tip=tip,
        kind=kind,
        message_id=relaying.message_id_new(),
        payload={"status": "in_review"} if kind == RelayKind.STATUS else {},
        state=delivered,
        delivered_at=None if days_ago is None else minute_now() - timedelta(days=days_ago),
    )


def kept(*relays: TipRelay) -> set[int]:
    return set(TipRelay.objects.filter(pk__in=[r.pk for r in relays]).values_list("pk", flat=True))


def test_delivered_answers_statuses_and_questions_go_after_the_period(partner):
    tip = tip_at()
    old = [
        row(tip, partner, RelayKind.ANSWER, days_ago=KEEP + 1),
        row(tip, partner, RelayKind.QUESTION, days_ago=KEEP + 1),
        row(tip, partner, RelayKind.STATUS, days_ago=KEEP + 2),
    ]
    latest_status = row(tip, partner, RelayKind.STATUS, days_ago=KEEP + 1)
    recent = row(tip, partner, RelayKind.ANSWER, days_ago=KEEP - 1)

    assert relays_done_delete() == 3

    assert kept(*old) == set()
    assert kept(latest_status, recent) == {latest_status.pk, recent.pk}


def test_the_tip_message_waiting_and_refused_ones_stay_however_old(partner):
    tip = tip_at()
    relayed = row(tip, partner, RelayKind.TIP, days_ago=400)
    waiting = row(tip, partner, RelayKind.ANSWER)
    refused = row(tip, partner, RelayKind.ANSWER, days_ago=400, state=RelayState.REFUSED)
    TipRelay.objects.filter(pk=waiting.pk).update(created_at=minute_now() - timedelta(days=400))

    assert relays_done_delete() == 0

    assert kept(relayed, waiting, refused) == {relayed.pk, waiting.pk, refused.pk}


def test_the_period_is_a_setting(partner, settings):
    settings.TIP_RELAY_KEEP_DAYS = 7
    tip = tip_at()
    week_old = row(tip, partner, RelayKind.QUESTION, days_ago=8)
    fresh = row(tip, partner, RelayKind.QUESTION, days_ago=6)

    assert relays_done_delete() == 1

    assert kept(week_old, fresh) == {fresh.pk}


def test_it_deletes_in_batches_and_is_harmless_when_repeated(partner, monkeypatch):
    from tips import relay_models

    monkeypatch.setattr(relay_models, "DELETE_BATCH", 2)
    tip = tip_at()
    for _ in range(5):
        row(tip, partner, RelayKind.ANSWER, days_ago=KEEP + 1)

    assert relays_done_delete() == 5
    assert relays_done_delete() == 0


def test_the_daily_retention_task_runs_it_and_no_beat_entry_of_its_own(partner, settings):
    row(tip_at(), partner, RelayKind.ANSWER, days_ago=KEEP + 1)

    report = tasks.apply_retention()

    assert report["relays_deleted"] == 1 and "rejected_deleted" in report
    scheduled = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert scheduled.count("tips.tasks.apply_retention") == 1
    ours = {task for task in scheduled if task.startswith("tips.")}
    assert ours == {
        "tips.tasks.apply_retention",
        "tips.tasks.requeue_lost_work",
        "tips.tasks.relays_send_due",
        "tips.tasks.tally_refresh_marked",
    }


def test_a_tip_deleted_at_retention_takes_its_relay_rows_with_it(partner, settings):
    rejected = tip_at(body="Spam, spam, spam.")
    messages = [
        row(rejected, partner, RelayKind.TIP, days_ago=60, state=RelayState.REFUSED),
        row(rejected, partner, RelayKind.STATUS, days_ago=40),
        row(rejected, partner, RelayKind.QUESTION),  # still waiting
    ]
    past = minute_now() - timedelta(days=settings.TIP_REJECTED_RETENTION_DAYS + 1)
    Tip.objects.filter(pk=rejected.pk).update(status=TipStatus.REJECTED, closed_at=past)

    assert retention_apply().rejected_deleted == 1

    assert not Tip.objects.filter(pk=rejected.pk).exists() and kept(*messages) == set()


@pytest.mark.usefixtures("require_postgres")
def test_after_the_period_the_owner_still_sends_a_status_only_when_it_changes(pair, analyst):
    """On A, the statuses sent back to B go but the latest: the next change is still
    compared with it, so an unchanged status is not sent again and a new one is."""
    tip_receive(
        content=TipContent(body="Sold in Gdansk."), language="pl", traced_object=pair.mirror
    )
    relaying.relays_send(partner_id=pair.a_at_b.pk)  # B to A
    at_a = Tip.objects.get(source_partner=pair.b_at_a)
    triage.tip_mark_in_review(tip=at_a, by=analyst)  # received -> in review, sent back
    triage.tip_close(tip=at_a, by=analyst)  # closed, sent back
    relaying.relays_send(partner_id=pair.b_at_a.pk)  # A to B
    statuses = TipRelay.objects.filter(tip=at_a, kind=RelayKind.STATUS)
    assert statuses.filter(state=RelayState.DELIVERED).count() == 2
    statuses.update(delivered_at=minute_now() - timedelta(days=KEEP + 1))

    assert relays_done_delete() == 1

    [latest] = statuses.all()
    assert latest.payload == {"tip": at_a.source_message_id, "status": "closed"}
    assert relaying.status_flow_back(tip=at_a) is None  # still closed: nothing to send
    assert triage.tip_reopen(tip=at_a, by=analyst)
    assert relaying.status_flow_back(tip=at_a) is None  # reopening sent "in review" already
    assert statuses.all().count() == 2
    # The relaying portal's "tip" message, however old, still maps A's messages to its tip.
    relayed = TipRelay.objects.get(kind=RelayKind.TIP)
    TipRelay.objects.filter(pk=relayed.pk).update(delivered_at=minute_now() - timedelta(days=400))
    relays_done_delete()
    assert TipRelay.objects.filter(pk=relayed.pk).exists()
