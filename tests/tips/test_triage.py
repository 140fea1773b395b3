"""The triage services (tips/triage.py): taking the next tip, one function per transition,
each idempotent and audited.

Personas (tests/conftest.py): the analysts ana and ben, in the Analyst group. What the back
office lets whom do is tested in test_triage_admin.py and the permission matrix; the audit
of a tip's page being opened, and of a rejection's reason, there too.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from audit.models import AuditEntry
from tests.factories import tip_at
from tips import triage
from tips.models import Tip, TipMessage, TipNote, TipStatus

pytestmark = pytest.mark.django_db

S = TipStatus


def audited(action: str, tip: Tip | None = None) -> int:
    entries = AuditEntry.objects.filter(action=action)
    if tip is not None:
        entries = entries.filter(target_type="tips.tip", target_id=str(tip.pk))
    return entries.count()


# --- Take the next tip ----------------------------------------------------------------------


def test_take_next_gives_the_oldest_urgent_tip_first_then_the_oldest_new_one(
    analyst, public_object
):
    older_new = tip_at(public_object, hours_ago=30)
    newer_new = tip_at(public_object, hours_ago=2)
    newer_urgent = tip_at(hours_ago=1, urgent=True)
    older_urgent = tip_at(hours_ago=3, urgent=True)
    tip_at(public_object, hours_ago=50, status=S.IN_REVIEW)  # not new: never taken

    taken = [triage.tip_take_next(by=analyst) for _ in range(5)]

    assert [tip.pk if tip else None for tip in taken] == [
        older_urgent.pk,
        newer_urgent.pk,
        older_new.pk,
        newer_new.pk,
        None,
    ]


def test_take_next_assigns_the_tip_marks_it_in_review_and_audits_it(analyst, public_object):
    waiting = tip_at(public_object)

    tip = triage.tip_take_next(by=analyst)

    assert tip.pk == waiting.pk
    assert tip.assigned_to == analyst and tip.status == S.IN_REVIEW
    assert tip.first_triaged_at is not None
    entry = AuditEntry.objects.get(action="tip.taken")
    assert (entry.username, entry.target_id) == ("ana", str(tip.pk))


def test_two_analysts_taking_the_next_tip_get_different_tips(
    analyst, second_analyst, public_object
):
    tip_at(public_object, hours_ago=2)
    tip_at(public_object, hours_ago=1)

    first = triage.tip_take_next(by=analyst)
    second = triage.tip_take_next(by=second_analyst)

    assert first.pk != second.pk
    assert first.assigned_to == analyst and second.assigned_to == second_analyst


def test_a_tip_already_assigned_is_never_taken(analyst, second_analyst, public_object):
    tip_at(public_object, hours_ago=5, assigned_to=second_analyst)

    assert triage.tip_take_next(by=analyst) is None
    assert Tip.objects.get().assigned_to == second_analyst
    assert audited("tip.taken") == 0


def test_a_tip_taken_by_someone_else_meanwhile_is_skipped_not_taken_over(
    analyst, second_analyst, public_object, monkeypatch
):
    # Without row locks (SQLite), another analyst can take the candidate between the
    # SELECT and the UPDATE; the conditional update then changes nothing.
    gone = tip_at(public_object, hours_ago=5, assigned_to=second_analyst, status=S.IN_REVIEW)
    still_new = tip_at(public_object, hours_ago=1)
    candidates = iter([gone.pk, still_new.pk])
    monkeypatch.setattr(triage, "_next_candidate_pk", lambda **_: next(candidates))

    tip = triage.tip_take_next(by=analyst)

    assert tip.pk == still_new.pk
    gone.refresh_from_db()
    assert gone.assigned_to == second_analyst


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_analysts_taking_at_the_same_moment_get_different_tips(
    require_postgres, analyst, second_analyst, public_object
):
    tips = {tip_at(public_object, hours_ago=hours).pk for hours in (3, 2)}
    start = threading.Barrier(2)
    taken: dict[str, int | None] = {}

    def take(user: User) -> None:
        try:
            start.wait(timeout=5)
            tip = triage.tip_take_next(by=user)
            taken[user.username] = tip.pk if tip else None
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(user,)) for user in (analyst, second_analyst)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert set(taken.values()) == tips


# --- Each transition: idempotent and audited ------------------------------------------------


TRANSITIONS = {
    "in_review": (
        lambda tip, by: triage.tip_mark_in_review(tip=tip, by=by),
        "tip.marked_in_review",
        S.IN_REVIEW,
    ),
    "spam": (
        lambda tip, by: triage.tip_reject(tip=tip, by=by, reason="spam"),
        "tip.rejected",
        S.REJECTED,
    ),
    "irrelevant": (
        lambda tip, by: triage.tip_reject(tip=tip, by=by, reason="irrelevant"),
        "tip.rejected",
        S.REJECTED,
    ),
    "close": (lambda tip, by: triage.tip_close(tip=tip, by=by), "tip.closed", S.CLOSED),
    "assign": (
        lambda tip, by: triage.tip_assign(tip=tip, to=by, by=by),
        "tip.assigned",
        S.NEW,
    ),
}


@pytest.mark.parametrize("name", TRANSITIONS)
def test_each_transition_done_twice_changes_and_audits_once(name, analyst, public_object):
    transition, action, status = TRANSITIONS[name]
    tip = tip_at(public_object)

    assert transition(tip, analyst) is True
    assert transition(Tip.objects.get(pk=tip.pk), analyst) is False

    tip.refresh_from_db()
    assert tip.status == status
    assert audited(action, tip) == 1
    entry = AuditEntry.objects.get(action=action)
    assert entry.username == "ana" and entry.data["status"] == status


def test_an_unknown_rejection_reason_is_refused(analyst, public_object):
    tip = tip_at(public_object)

    with pytest.raises(triage.TriageError):
        triage.tip_reject(tip=tip, by=analyst, reason="boring")

    tip.refresh_from_db()
    assert tip.status == S.NEW and audited("tip.rejected") == 0


@pytest.mark.parametrize("close", ["close", "spam"])
def test_closing_or_rejecting_sets_closed_at_and_reopening_clears_it(close, analyst, public_object):
    tip = tip_at(public_object)

    TRANSITIONS[close][0](tip, analyst)
    tip.refresh_from_db()
    assert tip.closed_at is not None
    assert timezone.now() - tip.closed_at < timedelta(minutes=1)

    assert triage.tip_reopen(tip=tip, by=analyst) is True
    assert triage.tip_reopen(tip=tip, by=analyst) is False
    tip.refresh_from_db()
    assert tip.status == S.IN_REVIEW and tip.closed_at is None
    assert audited("tip.reopened", tip) == 1


def test_first_triaged_at_is_set_when_a_tip_first_leaves_new_and_never_again(
    analyst, public_object
):
    tip = tip_at(public_object)
    assert tip.first_triaged_at is None

    triage.tip_mark_in_review(tip=tip, by=analyst)
    first = Tip.objects.get(pk=tip.pk).first_triaged_at
    assert first is not None

    triage.tip_close(tip=tip, by=analyst)
    triage.tip_reopen(tip=tip, by=analyst)
    assert Tip.objects.get(pk=tip.pk).first_triaged_at == first


def test_a_closed_tip_cannot_be_assigned_or_marked_in_review(analyst, public_object):
    tip = tip_at(public_object, status=S.CLOSED, closed_at=timezone.now())

    assert triage.tip_assign(tip=tip, to=analyst, by=analyst) is False
    assert triage.tip_mark_in_review(tip=tip, by=analyst) is False
    tip.refresh_from_db()
    assert tip.status == S.CLOSED and tip.assigned_to is None
    assert not AuditEntry.objects.filter(action__startswith="tip.").exists()


# --- Duplicates ---------------------------------------------------------------------------


def test_a_duplicate_points_at_the_root_of_its_group(analyst, public_object):
    root, member, newcomer = (tip_at(public_object, hours_ago=h) for h in (3, 2, 1))
    triage.tip_mark_duplicate(tip=member, of=root, by=analyst)

    # Marked a duplicate of a duplicate: it joins the group's root, not a chain.
    assert triage.tip_mark_duplicate(tip=newcomer, of=member, by=analyst) is True
    assert triage.tip_mark_duplicate(tip=newcomer, of=member, by=analyst) is False

    newcomer.refresh_from_db()
    assert newcomer.status == S.DUPLICATE and newcomer.duplicate_of_id == root.pk
    assert audited("tip.marked_duplicate", newcomer) == 1
    assert AuditEntry.objects.filter(target_id=str(newcomer.pk)).get().data["of"] == root.pk


def test_a_root_marked_a_duplicate_brings_its_group_along(analyst, public_object):
    old_root, member, new_root = (tip_at(public_object, hours_ago=h) for h in (3, 2, 1))
    triage.tip_mark_duplicate(tip=member, of=old_root, by=analyst)

    triage.tip_mark_duplicate(tip=old_root, of=new_root, by=analyst)

    assert set(Tip.objects.filter(duplicate_of=new_root).values_list("pk", flat=True)) == {
        old_root.pk,
        member.pk,
    }


def test_a_tip_cannot_be_a_duplicate_of_itself_or_of_its_own_duplicate(analyst, public_object):
    root, member = tip_at(public_object), tip_at(public_object)
    triage.tip_mark_duplicate(tip=member, of=root, by=analyst)

    with pytest.raises(triage.TriageError):
        triage.tip_mark_duplicate(tip=root, of=root, by=analyst)
    with pytest.raises(triage.TriageError):
        triage.tip_mark_duplicate(tip=root, of=member, by=analyst)

    root.refresh_from_db()
    assert root.status == S.NEW and root.duplicate_of is None


def test_reopening_a_duplicate_takes_it_out_of_its_group(analyst, public_object):
    root, member = tip_at(public_object), tip_at(public_object)
    triage.tip_mark_duplicate(tip=member, of=root, by=analyst)

    triage.tip_reopen(tip=member, by=analyst)

    member.refresh_from_db()
    assert member.status == S.IN_REVIEW and member.duplicate_of is None


def test_a_closed_duplicate_reopened_stays_in_its_group(analyst, public_object):
    root, member = tip_at(public_object), tip_at(public_object)
    triage.tip_mark_duplicate(tip=member, of=root, by=analyst)
    triage.tip_close(tip=member, by=analyst)

    triage.tip_reopen(tip=member, by=analyst)

    member.refresh_from_db()
    assert member.status == S.IN_REVIEW and member.duplicate_of_id == root.pk


# --- Questions, notes, reading --------------------------------------------------------------


def test_asking_the_tipster_sets_needs_info_once_and_audits_every_question(analyst, public_object):
    tip = tip_at(public_object)

    triage.tip_ask(tip=tip, by=analyst, body="Which city?")
    triage.tip_ask(tip=tip, by=analyst, body="And which shop?")

    tip.refresh_from_db()
    assert tip.status == S.NEEDS_INFO and tip.first_triaged_at is not None
    assert TipMessage.objects.filter(tip=tip).count() == 2
    assert audited("tip.asked", tip) == 2


def test_a_closed_tip_cannot_be_asked_a_question(analyst, public_object):
    tip = tip_at(public_object, status=S.CLOSED, closed_at=timezone.now())

    with pytest.raises(triage.TriageError):
        triage.tip_ask(tip=tip, by=analyst, body="Still there?")

    assert not TipMessage.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="tip.").exists()


def test_a_note_is_audited_without_its_text(analyst, public_object):
    tip = tip_at(public_object)

    note = triage.tip_add_note(tip=tip, by=analyst, body="Matches the Gdansk lead.")

    assert TipNote.objects.get() == note and note.author == analyst
    entry = AuditEntry.objects.get(action="tip.note_added")
    assert entry.data == {"note_id": note.pk} and "Gdansk" not in str(entry.data)
