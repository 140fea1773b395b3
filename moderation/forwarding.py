"""Writes for forwarding: an analyst passes tips to the investigators who own the object's
case, the recipient is told (one mail per forward, or a daily digest), acknowledges the tip
and records what it was worth. Every write checks who acts first, then changes state with a
conditional update and its audit entry in one transaction. Mails hold a link only."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import log_action
from moderation.models import Forward, ForwardOutcome, NotifyMode, StaffPreference
from outbox.services import outbox_put
from tips import triage
from tips.models import Tip
from tips.permissions import may_forward
from traceobject.mail import mail_once, mail_send, site_link

logger = logging.getLogger(__name__)


def forward_recipients_default(*, tip: Tip) -> list[User]:
    """The active owners of the case of the tip's object; nobody for a report."""
    if tip.traced_object_id is None:
        return []
    return list(
        get_user_model()
        .objects.filter(owned_cases__traced_objects=tip.traced_object_id, is_active=True)
        .distinct()
        .order_by("username")
    )


def check_can_forward(*, by: User, to: User) -> None:
    if not may_forward(by):
        raise PermissionDenied(_("You do not have the permission to forward tips."))
    if not (to.is_active and to.is_staff):
        raise PermissionDenied(
            _("%(name)s is not an active staff member; tips can only go to staff.")
            % {"name": to.get_username()}
        )


def notify_mode(*, user: User) -> str:
    mode = StaffPreference.objects.filter(user=user).values_list("notify", flat=True).first()
    return mode or NotifyMode.IMMEDIATE


def tip_forward(
    *, tips: list[Tip], recipients: list[User], by: User, summary: str
) -> list[Forward]:
    """Forward each tip to each recipient, all or nothing, once: forwarding a tip again to
    the same person keeps the forward that exists and changes, logs and mails nothing."""
    for to in recipients:
        check_can_forward(by=by, to=to)
    summary = summary.strip()
    if not summary:
        raise ValueError("a forward needs the analyst's summary")
    forwards = []
    with transaction.atomic():
        for to in recipients:
            forwards += _forward_to(tips=tips, to=to, by=by, summary=summary[:2000])
    return forwards


def _forward_to(*, tips: list[Tip], to: User, by: User, summary: str) -> list[Forward]:
    immediate = notify_mode(user=to) == NotifyMode.IMMEDIATE
    forwards = []
    for tip in tips:
        forward, created = Forward.objects.get_or_create(
            tip=tip, to=to, defaults={"by": by, "summary": summary}
        )
        forwards.append(forward)
        if not created:
            continue
        triage.tip_mark_forwarded(tip=tip, by=by, to=to)
        if immediate:
            # Relayed to Celery once the transaction commits: a broker outage delays the
            # mail (the beat relays the outbox), it cannot lose it.
            outbox_put(task="moderation.tasks.notify_forward", kwargs={"forward_id": forward.pk})
        # A digest reader is told by send_forward_digests, from notified_at IS NULL.
    return forwards


def check_is_recipient(*, forward: Forward, by: User) -> None:
    if forward.to_id != by.pk:
        raise PermissionDenied(_("Only the investigator this tip was forwarded to can do this."))


def forward_acknowledge(*, forward: Forward, by: User) -> Forward:
    check_is_recipient(forward=forward, by=by)
    with transaction.atomic():
        updated = Forward.objects.filter(pk=forward.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=timezone.now()
        )
        if updated:
            log_action(
                "forward.acknowledged", user=by, target=forward, data={"tip": forward.tip_id}
            )
    forward.refresh_from_db()
    return forward


def forward_record_outcome(*, forward: Forward, by: User, outcome: str, note: str) -> Forward:
    """Record (or correct) what the tip was worth; recording it also acknowledges the tip."""
    check_is_recipient(forward=forward, by=by)
    if outcome not in ForwardOutcome.values:
        raise ValueError(f"not an outcome: {outcome!r}")
    now = timezone.now()
    with transaction.atomic():
        Forward.objects.filter(pk=forward.pk).update(
            outcome=outcome, outcome_note=note.strip()[:2000], outcome_at=now
        )
        Forward.objects.filter(pk=forward.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now
        )
        # The note stays on the forward: it may name people or places of the case.
        log_action(
            "forward.outcome_recorded",
            user=by,
            target=forward,
            data={"tip": forward.tip_id, "outcome": outcome},
        )
    forward.refresh_from_db()
    return forward


def check_can_set_preference(*, by: User) -> None:
    """How to be told of forwards is for those who may read forwards."""
    if not (by.has_perm("moderation.view_forward") or by.has_perm("moderation.change_forward")):
        raise PermissionDenied(_("You do not have the permission to read forwards."))


def staff_preference_set(*, user: User, notify: str) -> StaffPreference:
    """`user` sets their own preference: they are the one acting."""
    check_can_set_preference(by=user)
    if notify not in NotifyMode.values:
        raise ValueError(f"not a notification mode: {notify!r}")
    with transaction.atomic():
        preference, _created = StaffPreference.objects.update_or_create(
            user=user, defaults={"notify": notify}
        )
        log_action(
            "staff.preference_changed", user=user, target=preference, data={"notify": notify}
        )
    return preference


# --- Mail ---------------------------------------------------------------------------------


def forward_link(forward_id: int) -> str:
    return site_link(reverse("admin:moderation_forward_change", args=[forward_id]))


def forward_notify(*, forward_id: int) -> bool:
    """Mail the recipient a link to one forward; False when already done or impossible.

    The forward is claimed (notified_at set) before sending, so two runs send one mail; a
    failed send releases the claim and the task retries.
    """
    forward = Forward.objects.select_related("to").filter(pk=forward_id).first()
    if forward is None or forward.notified_at is not None or not forward.to.email:
        return False
    return mail_once(
        rows=Forward.objects.filter(pk=forward_id),
        field="notified_at",
        claimed_at=timezone.now(),
        subject=f"[{settings.PORTAL_NAME}] A tip was forwarded to you",
        body=(
            "An analyst forwarded a tip to you. Read it in the back office:\n\n"
            f"{forward_link(forward_id)}\n\n"
            "This mail holds no content of the tip on purpose."
        ),
        to=[forward.to.email],
    )


def forward_digests_send() -> int:
    """Mail each digest reader one list of links to the forwards they were not told about;
    return the number of mails sent."""
    readers = (
        get_user_model()
        .objects.filter(
            staff_preference__notify=NotifyMode.DIGEST,
            is_active=True,
            received_forwards__notified_at__isnull=True,
        )
        .exclude(email="")
        .distinct()
    )
    sent = 0
    for reader in readers:
        sent += _digest_send(reader)
    return sent


def _digest_send(reader: User) -> int:
    pending = list(
        Forward.objects.filter(to=reader, notified_at__isnull=True)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)
    )
    claimed_at = timezone.now()
    claimed = Forward.objects.filter(pk__in=pending, notified_at__isnull=True).update(
        notified_at=claimed_at
    )
    if not claimed:
        return 0
    ids = list(
        Forward.objects.filter(pk__in=pending, notified_at=claimed_at).values_list("pk", flat=True)
    )
    links = "\n".join(forward_link(pk) for pk in ids)
    try:
        mail_send(
            subject=f"[{settings.PORTAL_NAME}] {len(ids)} tip(s) forwarded to you",
            body=(
                "Analysts forwarded these tips to you. Read them in the back office:\n\n"
                f"{links}\n\nThis mail holds no content of the tips on purpose."
            ),
            to=[reader.email],
        )
    except BaseException:
        Forward.objects.filter(pk__in=ids, notified_at=claimed_at).update(notified_at=None)
        raise
    return 1
