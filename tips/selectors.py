"""Reads for the public results page (counters and tips per month, all from the data), and
for the back office: the forwarding page, and the tips before and after one in the queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import cast

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from objects.models import Outcome, TracedObject
from tips.crypto import submission_hash
from tips.models import FLOOD_DISCOUNTED, Tip, TipGroup, TipNote, TipStatus

RESULTS_CACHE_KEY = "public-results:v1"
# The numbers move slowly; ten minutes keeps a launch-day crowd off the database.
RESULTS_CACHE_SECONDS = 600
MONTHS_SHOWN = 12


def without_floods(tips: QuerySet[Tip]) -> QuerySet[Tip]:
    """The tips outside held or rejected floods, as the queue and its counts list them.
    A subquery on the few flood groups (a hashed set), not a join to the groups: a capped
    count then reads the tips' own index instead of looking up 10,001 groups (a join made
    the analyst's home page count take 240 ms at 1 M tips)."""
    return tips.exclude(
        group_id__in=TipGroup.objects.filter(flood__in=FLOOD_DISCOUNTED).values("pk")
    )


@dataclass(frozen=True)
class MonthBar:
    month: date
    count: int
    x: float
    y: float
    height: float


@dataclass(frozen=True)
class PublicResults:
    tips_received: int
    objects_published: int
    objects_identified: int
    countries_narrowed: int
    months: list[MonthBar]
    peak: int
    chart_width: int = 640
    chart_height: int = 220
    bar_width: float = 0
    baseline: float = 0


def _month_starts(today: date, count: int) -> list[date]:
    months, year, month = [], today.year, today.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def _results_compute() -> PublicResults:
    """Four queries, whatever the number of tips and objects."""
    tips_received = Tip.objects.exclude(status=TipStatus.REJECTED).count()
    objects = TracedObject.objects.aggregate(
        published=Count("pk", filter=Q(published_at__isnull=False)),
        identified=Count("pk", filter=Q(identified_at__isnull=False)),
        narrowed=Count("pk", filter=Q(outcome=Outcome.COUNTRY_NARROWED)),
    )
    months = _month_starts(timezone.now().date(), MONTHS_SHOWN)
    per_month = dict(
        Tip.objects.exclude(status=TipStatus.REJECTED)
        .filter(received_at__date__gte=months[0])
        .annotate(month=TruncMonth("received_at"))
        .values("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
    )
    per_month = {key.date() if hasattr(key, "date") else key: n for key, n in per_month.items()}
    width, height, top, bottom, left = 640, 220, 16, 28, 40
    plot = height - top - bottom
    peak = max(per_month.values(), default=0)
    slot = (width - left) / MONTHS_SHOWN
    bars = []
    for i, month in enumerate(months):
        count = per_month.get(month, 0)
        bar_height = round(plot * count / peak, 1) if peak else 0
        x = round(left + i * slot + 4, 1)
        bars.append(MonthBar(month, count, x, round(top + plot - bar_height, 1), bar_height))
    return PublicResults(
        tips_received=tips_received,
        objects_published=objects["published"],
        objects_identified=objects["identified"],
        countries_narrowed=objects["narrowed"],
        months=bars,
        peak=peak,
        chart_width=width,
        chart_height=height,
        bar_width=round(slot - 8, 1),
        baseline=top + plot,
    )


def public_results() -> PublicResults:
    """The results page's numbers, computed from the data and cached for ten minutes."""
    return cast(
        PublicResults, cache.get_or_set(RESULTS_CACHE_KEY, _results_compute, RESULTS_CACHE_SECONDS)
    )


def tip_submission_received(submission: str) -> bool:
    """Whether the form with this one-time token was stored already (one indexed lookup):
    checked before its proof of work is used, so a form sent again leads to its receipt
    rather than to an "anti-spam check already used" error."""
    return (
        bool(submission)
        and Tip.objects.filter(submission_hash=submission_hash(submission)).exists()
    )


def tip_latest_note_body(*, tip_ids) -> str:
    """The text of the newest internal note on any of these tips, or "" (one query)."""
    body = (
        TipNote.objects.filter(tip_id__in=tip_ids)
        .order_by("-created_at", "-id")
        .values_list("body", flat=True)
        .first()
    )
    return body or ""


# --- The queue seen from a tip's page: the tips before and after it --------------------------

# The queue's orders (tips/admin.py TipAdmin.get_ordering): the "new" view reads as "take the
# next tip" does (tips/triage.py NEXT_ORDER: urgent reports, groups nobody has started on, the
# strongest, the oldest); every other view shows the newest first.
NEW_QUEUE_ORDER = (
    ("urgent", True),
    ("group_read", False),
    ("group_size", True),
    ("received_at", False),
    ("id", False),
)
QUEUE_ORDER = (("received_at", True), ("id", True))


def _beyond(tip: Tip, order, *, forward: bool) -> Q:
    """Rows after `tip` in `order` ((field, descending) pairs), or before it: the keyset
    condition (a, b, c) > (x, y, z) spelled out, so the queue's index serves it."""
    condition = Q(pk__in=[])
    equal = Q()
    for field, descending in order:
        lookup = "lt" if descending == forward else "gt"
        condition |= equal & Q(**{f"{field}__{lookup}": getattr(tip, field)})
        equal &= Q(**{field: getattr(tip, field)})
    return condition


def tip_queue_neighbour(tip: Tip, *, status: str = "", forward: bool = True) -> int | None:
    """The id of the tip after `tip` in the queue (before it: forward=False), filtered on
    `status` when the analyst's queue was, without held or rejected floods as the queue
    shows it: one LIMIT 1 query on the queue's indexes. None at the end of the queue."""
    order = NEW_QUEUE_ORDER if status == TipStatus.NEW else QUEUE_ORDER
    tips = Tip.objects.exclude(group__flood__in=FLOOD_DISCOUNTED)
    if status:
        tips = tips.filter(status=status)
    fields = [f"-{field}" if descending == forward else field for field, descending in order]
    return (
        tips.filter(_beyond(tip, order, forward=forward))
        .order_by(*fields)
        .values_list("pk", flat=True)
        .first()
    )
