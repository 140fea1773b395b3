"""The back office's urgent banner: the oldest urgent report nobody has taken yet.

Every back-office page shows it (moderation's admin site asks `urgent_waiting`), so the
answer is kept URGENT_WAITING_SECONDS in the default cache: one indexed query per ten
seconds, not one per page. Receiving an urgent report and assigning one forget it at once
(`urgent_waiting_forget`, once their transaction commits), so the banner appears and goes
without waiting for the cache.
"""

from __future__ import annotations

from contextlib import suppress

from django.core.cache import cache
from django.db import transaction
from django.db.models.functions import Substr
from django.utils.text import Truncator

from tips.models import Tip, TipStatus
from traceobject.cache import REDIS_DOWN

URGENT_WAITING_KEY = "tips:urgent-waiting"
URGENT_WAITING_SECONDS = 10
URGENT_WORDS = 8  # of what was reported, in the banner
URGENT_CHARS = 200  # read from the database: enough for the words, never the whole text


def urgent_waiting() -> dict | None:
    """{"pk", "words"} of the oldest urgent tip still new and unassigned, or None. While
    Redis is down every page asks the database: the banner must not fail with the cache."""
    try:
        found = cache.get(URGENT_WAITING_KEY)
    except REDIS_DOWN:
        return _oldest_waiting() or None
    if found is None:
        found = _oldest_waiting()
        with suppress(*REDIS_DOWN):
            cache.set(URGENT_WAITING_KEY, found, URGENT_WAITING_SECONDS)
    return found or None


def _oldest_waiting() -> dict:
    """{} stands for "none waiting": a missing key and None both mean "not asked yet"."""
    row = (
        Tip.objects.filter(status=TipStatus.NEW, urgent=True, assigned_to__isnull=True)
        .order_by("received_at", "id")
        .values_list("pk", Substr("body", 1, URGENT_CHARS))
        .first()
    )
    return {"pk": row[0], "words": Truncator(row[1]).words(URGENT_WORDS)} if row else {}


def urgent_waiting_forget() -> None:
    """The answer may have changed: ask again once the current transaction commits. A
    report is never refused because Redis is down (the answer then expires by itself)."""
    transaction.on_commit(_forget)


def _forget() -> None:
    with suppress(*REDIS_DOWN):
        cache.delete(URGENT_WAITING_KEY)
