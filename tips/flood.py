"""Floods: a group that got many tips in a short time is held out of the queue and counts
nothing until an analyst releases or rejects it (docs/tips.md); the tips taken over a
shared budget (tips/ratelimits.py) go into one held flood per burst. Called by the grouping
(tips/grouping.py) as each tip joins its group."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from tips.models import FloodState, Tip, TipGroup
from traceobject.clock import minute_now


def flood_check(*, group_id: int, at: datetime, flood: str | None) -> bool:
    """Hold the group when it got TIP_FLOOD_MIN_TIPS tips in a window of
    TIP_FLOOD_WINDOW_MINUTES around `at` (the windows ending and starting at `at`: imports
    arrive out of order). A group an analyst released or rejected keeps that decision, and
    one held is held already (`flood`: the group's FloodState): neither is counted."""
    if flood != FloodState.NONE:
        return False
    window = timedelta(minutes=settings.TIP_FLOOD_WINDOW_MINUTES)
    enough = settings.TIP_FLOOD_MIN_TIPS
    members = Tip.objects.filter(group_id=group_id).order_by()
    # Fewer than enough in both windows together (most groups): neither window has enough.
    around = members.filter(received_at__gte=at - window, received_at__lte=at + window)
    if around[:enough].count() < enough:
        return False
    for start, end in ((at - window, at), (at, at + window)):
        # Counting stops at the threshold: a flood of 5,000 costs what one of 20 does.
        in_window = members.filter(received_at__gte=start, received_at__lte=end)[:enough]
        if in_window.count() >= enough:
            return bool(
                TipGroup.objects.filter(pk=group_id, flood=FloodState.NONE).update(
                    flood=FloodState.HELD, flood_detected_at=timezone.now()
                )
            )
    return False


def breaker_flood(*, traced_object_id: int) -> int:
    """The object's held flood of tips taken over a shared budget (tips/ratelimits.py): one
    group per burst, whatever its tips say, so the analyst releases or rejects the burst at
    once. A burst an analyst has decided on is closed; the next tip over budget opens a new
    one. Called under the object's lock (tips/grouping.py
    _lock_object)."""
    held = (
        TipGroup.objects.filter(
            traced_object_id=traced_object_id, flood=FloodState.HELD, tips__held_by_breaker=True
        )
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    if held is not None:
        return held
    return TipGroup.objects.create(
        traced_object_id=traced_object_id, flood=FloodState.HELD, flood_detected_at=minute_now()
    ).pk
