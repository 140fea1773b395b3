"""Triage: the analysts' writes on a tip, one function per transition, each guarded first
(tips/permissions.py) and audited in the transaction of its change.

Each transition is a conditional UPDATE on the state it starts from: done twice, the second
changes nothing and returns False, and two analysts on one tip cannot both win. This module is
the only writer of Tip.status (forwarding and a tipster's follow-up call it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.fernet import InvalidToken
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Case, DateTimeField, F, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import log_action
from objects.models import TracedObject
from tips import grouping, permissions, relaying, strength
from tips.crypto import contact_decrypt
from tips.models import (
    CLOSED_STATUSES,
    FloodState,
    RejectReason,
    Tip,
    TipGroup,
    TipMessage,
    TipNote,
    TipStatus,
)
from tips.selectors import without_floods
from tips.urgent import urgent_waiting_forget

S = TipStatus
OPEN_STATUSES = (S.NEW, S.IN_REVIEW, S.NEEDS_INFO)
# A question moves these to "needs information" (a forwarded or duplicate tip keeps its own).
ASKABLE_STATUSES = (S.NEW, S.IN_REVIEW)
IN_REVIEW_FROM = (S.NEW, S.NEEDS_INFO)
DUPLICABLE_FROM = (*OPEN_STATUSES, S.DUPLICATE)  # a duplicate may move to another group
REJECTABLE_FROM = (*OPEN_STATUSES, S.DUPLICATE)
CLOSABLE_FROM = (*OPEN_STATUSES, S.FORWARDED, S.DUPLICATE)
REOPENABLE_FROM = (S.CLOSED, S.REJECTED, S.DUPLICATE)
ASSIGNABLE_FROM = (*OPEN_STATUSES, S.FORWARDED, S.DUPLICATE)

REJECT_REASONS = tuple(RejectReason.values)
TAKE_NEXT_ATTEMPTS = 5  # candidates tried when others take them first (SQLite has no locks)
GROUP_DEPTH_LIMIT = 20  # groups are kept flat; this only guards against a corrupt chain

# The fields a transition may change, reloaded into the caller's instance afterwards.
TRIAGE_FIELDS = [
    *("status", "assigned_to", "duplicate_of", "closed_at", "first_triaged_at"),
    *("rejected_reason", "group", "group_read"),
]


class TriageError(ValueError):
    """A request no state could satisfy (a tip as a duplicate of itself, a bad reason)."""


def _first_triaged(now: datetime) -> Coalesce:
    """Set first_triaged_at once: the first time a tip leaves "new", never again."""
    return Coalesce(F("first_triaged_at"), Value(now, output_field=DateTimeField()))


def _group_started(tip: Tip) -> None:
    """The tip was taken, assigned or left "new" (fields just reloaded): its group is being
    read (no query once marked), and a partner that relayed it hears of its new status."""
    if tip.group_id is not None and not tip.group_read:
        grouping.group_read_mark(tip.group_id)
        tip.group_read = True
    relaying.status_flow_back(tip=tip)


def _transition(
    *,
    tip: Tip,
    by: User,
    action: str,
    from_statuses: Iterable[str],
    data: dict[str, Any] | None = None,
    **values: Any,
) -> bool:
    """Apply `values` if the tip is in `from_statuses`, never relayed out; audit a change."""
    with transaction.atomic():
        mine = Tip.objects.filter(pk=tip.pk, status__in=from_statuses)
        changed = relaying.without_relayed_out(mine).update(**values)
        if changed:
            if S.REJECTED in (tip.status, values.get("status")):  # it supports no claim
                strength.groups_strength_refresh([tip.group_id])
            tip.refresh_from_db(fields=TRIAGE_FIELDS)
            _group_started(tip)  # every transition here leads out of "new"
            if S.NEW in from_statuses:  # an urgent report leaving "new" no longer waits
                urgent_waiting_forget()
            log_action(action, user=by, target=tip, data={"status": tip.status, **(data or {})})
    return bool(changed)


# --- Reading a tip (audited too) -----------------------------------------------------------


def tip_view_logged(*, tip: Tip, by: User, forward_id: int | None = None) -> None:
    """Every time staff open a tip: its own page, or the forward that carries it."""
    log_action(
        "tip.viewed", user=by, target=tip, data={"forward": forward_id} if forward_id else {}
    )


def tips_board_view_logged(
    *, traced_object: TracedObject, by: User, sample_tip_ids: list[int]
) -> None:
    """An object's evidence board shows the text of each listed group's first tip: the
    entry names those tips, as opening each would."""
    permissions.check_can_view(by)
    log_action("tip.board_viewed", user=by, target=traced_object, data={"samples": sample_tip_ids})


@dataclass(frozen=True)
class ContactReveal:
    contact: str  # empty when nothing could be shown
    problem: str  # why nothing is shown, for a person


def tip_contact_reveal(*, tip: Tip, by: User) -> ContactReveal:
    """Decrypt the tipster's contact details for `by`. Audited on every attempt, also when
    nothing could be decrypted: the intent matters."""
    permissions.check_can_reveal_contact(by)
    contact, problem = "", ""
    if not tip.contact_encrypted:
        problem = _(
            "No contact details are stored for this tip: none were given, or they were "
            "deleted on the retention schedule."
        )
    else:
        try:
            contact = contact_decrypt(tip.contact_encrypted)
        except InvalidToken:
            problem = _(
                "The contact details cannot be decrypted: the key they were encrypted "
                "with is missing from TIP_CONTACT_KEYS. Put that key back after the "
                "current one and run manage.py rotate_contact_keys."
            )
    log_action("tip.contact_revealed", user=by, target=tip, data={"revealed": bool(contact)})
    return ContactReveal(contact=contact, problem=problem)


# --- Taking and assigning ------------------------------------------------------------------


# The order new tips are read in: urgent reports, groups nobody has started on (group_read),
# the strongest by evidence (group_strength, tips/strength.py), the largest (group_size) by
# its oldest new tip, then the oldest. A group being read waits behind every untouched one.
# The queue's "new" view shows this order; the index tip_queue_strength serves both.
NEXT_ORDER = ["-urgent", "group_read", "-group_strength", "-group_size", "received_at", "id"]


def _next_candidate_pk(*, wait: bool = False) -> int | None:
    # A flood waits for one decision. without_floods is a subquery, not a join: PostgreSQL
    # cannot lock rows on the nullable side of an outer join.
    candidates = without_floods(Tip.objects.filter(status=S.NEW, assigned_to__isnull=True))
    candidates = relaying.without_relayed_out(candidates).order_by(*NEXT_ORDER)  # owner's
    if connection.features.has_select_for_update_skip_locked:
        # PostgreSQL: a row another analyst is taking right now is skipped, not waited for
        # (unless `wait`: every candidate was held, by takes that mark their groups).
        candidates = candidates.select_for_update(skip_locked=not wait)
    return candidates.values_list("pk", flat=True).first()


def tip_take_next(*, by: User) -> Tip | None:
    """Assign the next unassigned new tip (NEXT_ORDER) to `by` and mark it in review; its
    group is then being read. None when no new tip is waiting."""
    permissions.check_can_triage(by)
    waited = False
    for _attempt in range(TAKE_NEXT_ATTEMPTS):
        with transaction.atomic():
            pk = _next_candidate_pk(wait=waited)
            if pk is None and not waited and connection.features.has_select_for_update_skip_locked:
                # Each take holds its group's other new tips while it marks them (a moment):
                # when only those are left, wait for it rather than answer "none waiting".
                waited = True
                continue
            if pk is None:
                return None
            # Still conditional: without row locks (SQLite) someone may have taken it.
            taken = Tip.objects.filter(pk=pk, status=S.NEW, assigned_to__isnull=True).update(
                assigned_to=by,
                status=S.IN_REVIEW,
                first_triaged_at=_first_triaged(timezone.now()),
            )
            if taken:
                tip = Tip.objects.get(pk=pk)
                _group_started(tip)
                log_action("tip.taken", user=by, target=tip, data={"urgent": tip.urgent})
                if tip.urgent:
                    urgent_waiting_forget()
                return tip
    return None


def tip_assign(*, tip: Tip, to: User | None, by: User) -> bool:
    """Give the tip to `to` (None: to nobody). Closed tips are left alone."""
    permissions.check_can_triage(by)
    with transaction.atomic():
        changed = (
            Tip.objects.filter(pk=tip.pk, status__in=ASSIGNABLE_FROM)
            .exclude(assigned_to=to)
            .update(assigned_to=to)
        )
        if changed:
            tip.refresh_from_db(fields=TRIAGE_FIELDS)
            if tip.status == S.NEW and tip.assigned_to_id is None and tip.group_id is not None:
                # Put back untouched: the group is read only if another tip was touched.
                grouping.group_reads_refresh([tip.group_id])
                tip.refresh_from_db(fields=["group_read"])
            else:
                _group_started(tip)
            urgent_waiting_forget()  # the tip may be the urgent report the banner names
            log_action(
                "tip.assigned",
                user=by,
                target=tip,
                data={"to": to.get_username() if to else None, "status": tip.status},
            )
    return bool(changed)


# --- Status transitions --------------------------------------------------------------------


def tip_mark_in_review(*, tip: Tip, by: User) -> bool:
    permissions.check_can_triage(by)
    return _transition(
        tip=tip,
        by=by,
        action="tip.marked_in_review",
        from_statuses=IN_REVIEW_FROM,
        status=S.IN_REVIEW,
        first_triaged_at=_first_triaged(timezone.now()),
    )


def tip_ask(*, tip: Tip, by: User, body: str) -> TipMessage:
    """Write a question the tipster sees through their receipt; a tip waiting for the
    analysts now waits for the tipster (conditionally: a second question, or a tip forwarded
    meanwhile, keeps its status)."""
    permissions.check_can_triage(by)
    if tip.status in CLOSED_STATUSES:
        # The tipster of a closed tip cannot answer, and their receipt will expire.
        raise TriageError("This tip is closed. Reopen it before asking a question.")
    with transaction.atomic():
        message = TipMessage.objects.create(tip=tip, author=by, body=body)
        waiting = Tip.objects.filter(pk=tip.pk, status__in=ASKABLE_STATUSES).update(
            status=S.NEEDS_INFO, first_triaged_at=_first_triaged(timezone.now())
        )
        tip.refresh_from_db(fields=TRIAGE_FIELDS)
        _group_started(tip)  # the status, then the question, to a partner that relayed it
        relaying.question_flow_back(message=message)
        log_action(
            "tip.asked",
            user=by,
            target=tip,
            data={"message_id": message.pk, "status": tip.status, "now_waiting": bool(waiting)},
        )
    return message


def tip_group_root(tip: Tip) -> Tip:
    """The tip a group of duplicates points at (a tip that is no duplicate is its own root)."""
    root = tip
    for _depth in range(GROUP_DEPTH_LIMIT):
        if root.duplicate_of_id is None:
            return root
        root = Tip.objects.only("pk", "duplicate_of").get(pk=root.duplicate_of_id)
    raise TriageError(f"the duplicate chain of tip #{tip.pk} is too long or loops")


def tip_mark_duplicate(*, tip: Tip, of: Tip, by: User) -> bool:
    """Mark `tip` a duplicate of `of`'s group. Groups stay flat: the tip points at the
    group's root, and tips that pointed at `tip` move with it."""
    permissions.check_can_triage(by)
    root = tip_group_root(of)
    if root.pk == tip.pk:
        raise TriageError(f"Tip #{tip.pk} cannot be a duplicate of itself or its own duplicate.")
    with transaction.atomic():
        changed = (
            Tip.objects.filter(pk=tip.pk, status__in=DUPLICABLE_FROM)
            .exclude(status=S.DUPLICATE, duplicate_of=root)
            .update(
                status=S.DUPLICATE,
                duplicate_of=root,
                first_triaged_at=_first_triaged(timezone.now()),
            )
        )
        if changed:
            moved = Tip.objects.filter(duplicate_of=tip).update(duplicate_of=root)
            if root.traced_object_id is not None and root.traced_object_id == tip.traced_object_id:
                # The analyst's "duplicate of" is a placement by hand in the root's group.
                root = Tip.objects.get(pk=root.pk)
                grouping.tip_place_by_hand(tip=tip, group=grouping.tip_group_ensure(tip=root))
            tip.refresh_from_db(fields=TRIAGE_FIELDS)
            _group_started(tip)
            log_action(
                "tip.marked_duplicate",
                user=by,
                target=tip,
                data={"of": root.pk, "asked_of": of.pk, "moved": moved},
            )
    return bool(changed)


def tip_reject(*, tip: Tip, by: User, reason: str) -> bool:
    permissions.check_can_triage(by)
    if reason not in REJECT_REASONS:
        raise TriageError(f"unknown rejection reason {reason!r}")
    now = timezone.now()
    return _transition(
        tip=tip,
        by=by,
        action="tip.rejected",
        from_statuses=REJECTABLE_FROM,
        data={"reason": reason},
        status=S.REJECTED,
        rejected_reason=reason,
        closed_at=now,  # the retention clock starts (a constraint requires it)
        first_triaged_at=_first_triaged(now),
    )


def tip_close(*, tip: Tip, by: User) -> bool:
    permissions.check_can_triage(by)
    now = timezone.now()
    return _transition(
        tip=tip,
        by=by,
        action="tip.closed",
        from_statuses=CLOSABLE_FROM,
        status=S.CLOSED,
        closed_at=now,
        first_triaged_at=_first_triaged(now),
    )


def tip_reopen(*, tip: Tip, by: User) -> bool:
    """Back to "in review": stops the retention clock; a duplicate leaves its group."""
    permissions.check_can_triage(by)
    return _transition(
        tip=tip,
        by=by,
        action="tip.reopened",
        from_statuses=REOPENABLE_FROM,
        data={"from": tip.status},
        status=S.IN_REVIEW,
        closed_at=None,
        rejected_reason="",  # the reason of a rejection undone no longer holds
        duplicate_of=Case(When(status=S.DUPLICATE, then=Value(None)), default=F("duplicate_of")),
    )


# A forward moves a tip still being triaged to "forwarded"; a closed or rejected tip keeps
# its status (forwarding it is allowed, but does not reopen it).
FORWARDABLE_FROM = (*OPEN_STATUSES, S.DUPLICATE)


def tip_mark_forwarded(*, tip: Tip, by: User, to: User) -> None:
    """Record that `by` forwarded the tip to `to`; only moderation.forwarding.tip_forward
    calls it, in the transaction that creates the Forward row."""
    permissions.check_can_forward(by)
    now = timezone.now()
    with transaction.atomic():
        Tip.objects.filter(pk=tip.pk, status__in=FORWARDABLE_FROM).update(status=S.FORWARDED)
        Tip.objects.filter(pk=tip.pk, first_triaged_at__isnull=True).update(first_triaged_at=now)
        tip.refresh_from_db(fields=TRIAGE_FIELDS)
        _group_started(tip)
        log_action("tip.forwarded", user=by, target=tip, data={"to": to.get_username()})


def tip_resume_after_follow_up(*, tip: Tip) -> bool:
    """The tipster answered through their receipt: a tip waiting for them goes back to the
    analysts, marked answered (the analysts' home counts these). Not audited: no staff member
    acted (the follow-up itself is kept)."""
    return bool(
        Tip.objects.filter(pk=tip.pk, status=S.NEEDS_INFO).update(
            status=S.IN_REVIEW, answered_at=timezone.now()
        )
    )


# --- Notes ---------------------------------------------------------------------------------


def tip_add_note(*, tip: Tip, by: User, body: str) -> TipNote:
    """An internal note; never shown to the tipster. The log records that, not what."""
    permissions.check_can_add_note(by)
    with transaction.atomic():
        note = TipNote.objects.create(tip=tip, author=by, body=body)
        log_action("tip.note_added", user=by, target=tip, data={"note_id": note.pk})
    return note


# --- Groups of similar tips and floods (tips/grouping.py builds them) ----------------------


def tip_group_split(*, tip: Tip, by: User) -> TipGroup:
    """Take `tip` out of its group into a new group of its own, by hand: the automatic
    grouping never puts it back."""
    permissions.check_can_triage(by)
    if tip.traced_object_id is None:
        raise TriageError("Reports about something else are not grouped.")
    with transaction.atomic():
        old = tip.group_id
        group = TipGroup.objects.create(traced_object_id=tip.traced_object_id)
        grouping.tip_place_by_hand(tip=tip, group=group)
        log_action("tip.group_split", user=by, target=tip, data={"from": old, "to": group.pk})
    return group


def tip_group_merge(*, group: TipGroup, into: TipGroup, by: User) -> int:
    """Move every tip of `group` into `into` (same object), by hand; return how many."""
    return tip_groups_merge(groups=[group], into=into, by=by)


def tip_groups_merge(*, groups: Sequence[TipGroup], into: TipGroup, by: User) -> int:
    """Merge each of `groups` into `into` in one transaction: all of them, or none if one
    fails. One audit entry per group merged, as one merge each; return the tips moved."""
    permissions.check_can_triage(by)
    for group in groups:
        if group.pk == into.pk:
            raise TriageError("A group cannot be merged into itself.")
        if group.traced_object_id != into.traced_object_id:
            raise TriageError("Only groups of the same object can be merged.")
    moved = 0
    with transaction.atomic():
        for group in groups:
            tip_ids = list(group.tips.values_list("pk", flat=True))
            count = grouping.tip_groups_merge(group=group, into=into)
            log_action(
                "tip.groups_merged",
                user=by,
                target=into,
                data={"from": group.pk, "moved": count, "tips": tip_ids},
            )
            moved += count
    return moved


def tip_flood_release(*, group: TipGroup, by: User) -> bool:
    """A held flood was genuine: its tips join the queue; it counts as one group."""
    permissions.check_can_triage(by)
    with transaction.atomic():
        changed = TipGroup.objects.filter(pk=group.pk, flood=FloodState.HELD).update(
            flood=FloodState.RELEASED
        )
        if changed:
            group.refresh_from_db(fields=["flood"])
            strength.groups_strength_refresh([group.pk])  # it counts as one group now
            log_action(
                "tip.flood_released",
                user=by,
                target=group,
                data={"tips": list(group.tips.values_list("pk", flat=True))},
            )
    return bool(changed)


def tip_flood_reject(*, group: TipGroup, by: User) -> int:
    """A held flood was spam: reject its open tips (one conditional update, one audit entry
    naming them), returning how many; tips joining later stay out of the queue."""
    permissions.check_can_triage(by)
    now = timezone.now()
    with transaction.atomic():
        changed = TipGroup.objects.filter(
            pk=group.pk, flood__in=[FloodState.HELD, FloodState.RELEASED]
        ).update(flood=FloodState.REJECTED)
        if not changed:
            return 0
        open_tips = Tip.objects.filter(group=group, status__in=REJECTABLE_FROM)
        tip_ids = list(open_tips.values_list("pk", flat=True))
        rejected = Tip.objects.filter(pk__in=tip_ids, status__in=REJECTABLE_FROM).update(
            status=S.REJECTED,
            rejected_reason=RejectReason.SPAM,
            closed_at=now,
            first_triaged_at=_first_triaged(now),
        )
        grouping.group_read_mark(group.pk)
        strength.groups_strength_refresh([group.pk])  # a released flood stops counting
        relaying.statuses_flow_back(tip_ids)
        group.refresh_from_db(fields=["flood"])
        log_action(
            "tip.flood_rejected",
            user=by,
            target=group,
            data={"reason": "spam", "rejected": rejected, "tips": tip_ids},
        )
    return rejected
