"""Reads for the public results page (counters and tips per month, all from the data), and
for the back office: the forwarding page, and the tips before and after one in the queue."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, Substr, TruncMonth
from django.utils import timezone

from objects.models import Outcome, TracedObject
from tips.crypto import submission_hash
from tips.models import (
    FLOOD_DISCOUNTED,
    Tip,
    TipFollowUp,
    TipGroup,
    TipMessage,
    TipNote,
    TipStatus,
)

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


def tip_latest_note_body(*, tip_ids: Iterable[int]) -> str:
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
# strongest by evidence, the largest, the oldest); every other view shows the newest first.
NEW_QUEUE_ORDER = (
    ("urgent", True),
    ("group_read", False),
    ("group_strength", True),
    ("group_size", True),
    ("received_at", False),
    ("id", False),
)
QUEUE_ORDER = (("received_at", True), ("id", True))


def _beyond(tip: Tip, order: Iterable[tuple[str, bool]], *, forward: bool) -> Q:
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


# --- The back office's queue and tip page (tips/admin.py, tips/workbench/) -----------------

PREVIEW_CHARS = 140  # of a tip's text in the queue, cut in SQL: never the whole body per row
GROUP_SHOWN = 50  # members of a tip's duplicate group listed on its page
SIMILAR_SHOWN = 5  # other tips of its group of similar tips shown on a tip's page

# The queue's columns (with the object's code and thumbnail and the assignee's name, joined).
QUEUE_COLUMNS = [
    "id",
    "status",
    "kind",
    "received_at",
    "urgent",
    "held_by_breaker",
    "duplicate_of_id",
    "group_size",
    "group_strength",
    "traced_object__code",
    "traced_object__alt_text",
    "traced_object__thumbnail",
    "traced_object__thumbnail_width",
    "traced_object__thumbnail_height",
    "assigned_to__username",
    "group__flood",
]


def tips_for_staff(tips: QuerySet[Tip], *, queue: bool) -> QuerySet[Tip]:
    """The admin's tips, for the queue (`queue`) or for a tip's page."""
    # A subquery rather than Count() over a join: the list's count stays a plain count
    # of tips, without a join and a GROUP BY over every follow-up.
    follow_ups = (
        TipFollowUp.objects.filter(tip=OuterRef("pk"))
        .order_by()
        .values("tip")
        .annotate(count=Count("pk"))
        .values("count")
    )
    tips = tips.annotate(follow_up_count=Coalesce(Subquery(follow_ups), 0))
    if queue:
        # The list reads only what it shows: never the body, links or contact token.
        return tips.only(*QUEUE_COLUMNS).annotate(
            contact_present=ExpressionWrapper(~Q(contact_encrypted=""), BooleanField()),
            preview_text=Substr("body", 1, PREVIEW_CHARS + 1),
        )
    # A tip's page shows its object, assignee and group: one query, not four.
    return tips.select_related("traced_object", "assigned_to", "group")


def objects_with_tips() -> list[tuple[int, str]]:
    """(id, code) of the objects that have tips, by code: an EXISTS per object, on the tip's
    object index (the queue's object filter)."""
    with_tips = TracedObject.objects.filter(
        Exists(Tip.objects.filter(traced_object=OuterRef("pk")))
    ).order_by("code")
    return list(with_tips.values_list("pk", "code"))


def flood_group_ids(states: Iterable[str]) -> QuerySet[TipGroup, Any]:
    """The ids of the groups in these flood states, as a subquery (a hashed set, not a join:
    the capped count then reads the tips' own index instead of looking up 10,001 groups)."""
    return TipGroup.objects.filter(flood__in=states).values("pk")


def flood_groups_of(tips: QuerySet[Tip]) -> QuerySet[TipGroup]:
    """The held or rejected floods these tips belong to."""
    return TipGroup.objects.filter(
        pk__in=tips.order_by().values("group_id"), flood__in=FLOOD_DISCOUNTED
    )


def groups_in_order(tips: QuerySet[Tip]) -> list[TipGroup]:
    """The distinct groups of these tips, the oldest tip's group first."""
    ids: list[int] = []
    for group_id in tips.order_by("received_at", "id").values_list("group_id", flat=True):
        if group_id is not None and group_id not in ids:
            ids.append(group_id)
    by_id = TipGroup.objects.in_bulk(ids)
    return [by_id[pk] for pk in ids]


@dataclass(frozen=True)
class TipRelated:
    root_id: int
    members: list[Tip]  # its duplicate group: the root and the root's other duplicates
    similar: list[Tip]  # a few other tips of its group of similar tips


def tip_related(tip: Tip) -> TipRelated:
    """The tip's duplicates (its root and the root's other duplicates, capped) and a few
    other tips of its group of similar tips, the oldest first: one query, the duplicates
    ranked first so that the similar tips never crowd them out."""
    root_id = tip.duplicate_of_id or tip.pk
    duplicate = Q(pk=root_id) | Q(duplicate_of_id=root_id)
    related = duplicate | Q(group_id=tip.group_id) if tip.group_id else duplicate
    others = (
        Tip.objects.filter(related)
        .exclude(pk=tip.pk)
        .annotate(
            is_duplicate=ExpressionWrapper(duplicate, BooleanField()),
            preview_text=Substr("body", 1, PREVIEW_CHARS + 1),
        )
        .order_by("-is_duplicate", "received_at", "id")
        .only("pk", "status", "received_at", "duplicate_of", "group")
    )
    members: list[Tip] = []
    similar: list[Tip] = []
    for other in others[: GROUP_SHOWN + SIMILAR_SHOWN]:
        if other.is_duplicate and len(members) < GROUP_SHOWN:
            members.append(other)
        if tip.group_id and other.group_id == tip.group_id and len(similar) < SIMILAR_SHOWN:
            similar.append(other)
    return TipRelated(root_id=root_id, members=members, similar=similar)


def tip_notes(tip: Tip) -> QuerySet[TipNote]:
    return tip.notes.select_related("author")


def with_authors(messages: QuerySet[TipMessage]) -> QuerySet[TipMessage]:
    return messages.select_related("author")


# --- An object's evidence board (tips/board.py, tips/workbench/board.py) -------------------


def board_object(*, user: AbstractBaseUser | AnonymousUser, object_id: int) -> TracedObject | None:
    """The object, if `user` may see it."""
    return TracedObject.objects.visible_to(user).filter(pk=object_id).first()


def board_group_tips(
    *, traced_object: TracedObject, group: str, tip: str
) -> tuple[QuerySet[Tip], str]:
    """The tips of the group a board button names (`group`, or `tip` for one not grouped
    yet), on this object only; and the group's anchor on the board."""
    tips = Tip.objects.filter(traced_object=traced_object)
    if group.isdigit():
        return tips.filter(group_id=int(group)), f"group-{group}"
    if tip.isdigit():
        return tips.filter(pk=int(tip), group__isnull=True), f"tip-{tip}"
    return tips.none(), "board-groups"


def group_has_tip(tips: QuerySet[Tip], tip_id: int) -> bool:
    return tips.filter(pk=tip_id).exists()
