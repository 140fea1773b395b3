"""An object's activity for investigators, per day: tips, new independent groups and new
places (counted from the tips), and page views (an aggregate counter per object and day,
nothing about any visitor); a server-drawn sparkline; and the "saturated" objects, which
have had no new independent group in TIP_SATURATED_DAYS (docs/tips.md, "Activity").

Views are counted by ObjectViewCounter, a middleware that sits before the page cache, so a
page served from the cache counts as one rendered: in each web process a dictionary of
(day, code) -> views, written to the database with one INSERT … ON CONFLICT … SET views =
views + n at most every VIEWS_FLUSH_SECONDS (and at exit). A request costs a regular
expression and a dictionary increment; a process killed loses at most those seconds.
"""

from __future__ import annotations

import atexit
import contextlib
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Exists, Min, OuterRef
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from objects.models import ObjectState, TracedObject
from tips.models import FLOOD_DISCOUNTED, ClaimKind, ObjectViewDay, Tip, TipClaim, TipStatus

ACTIVITY_DAYS = 30  # the sparkline's days, today included
VIEWS_FLUSH_SECONDS = 10.0
FEW_GROUPS = 3  # a saturated object with at most this many groups was barely seen: re-feature

# The public object page, in any language prefix: /objects/CODE/ or /fr/objects/CODE/.
_OBJECT_PAGE = re.compile(r"^/(?:[a-z]{2,3}(?:-[a-z0-9]{2,8})?/)?objects/([A-Za-z0-9-]{1,20})/$")

_views: Counter[tuple[date, str]] = Counter()
_views_lock = threading.Lock()
_flushed_at = time.monotonic()


def view_count(code: str, *, day: date | None = None) -> None:
    """One view of an object's public page (in this process, until the next flush)."""
    global _flushed_at
    key = (day or timezone.now().date(), code)
    with _views_lock:
        _views[key] += 1
        due = time.monotonic() - _flushed_at >= VIEWS_FLUSH_SECONDS
    if due:
        views_flush()


def views_flush() -> int:
    """Write this process's counted views to ObjectViewDay; return how many."""
    global _flushed_at
    with _views_lock:
        pending = dict(_views)
        _views.clear()
        _flushed_at = time.monotonic()
    if not pending:
        return 0
    ids = dict(
        TracedObject.objects.filter(code__in={code for _day, code in pending}).values_list(
            "code", "pk"
        )
    )
    rows = [(ids[code], day, n) for (day, code), n in pending.items() if code in ids]
    if rows:
        table = ObjectViewDay._meta.db_table
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} (traced_object_id, day, views) VALUES (%s, %s, %s) "  # noqa: S608 - our table's name
                f"ON CONFLICT (traced_object_id, day) DO UPDATE SET views = {table}.views + "
                "EXCLUDED.views",
                rows,
            )
    return sum(n for _id, _day, n in rows)


def _flush_at_exit() -> None:
    with contextlib.suppress(Exception):  # a process going away: nothing to tell anyone
        views_flush()


atexit.register(_flush_at_exit)


class ObjectViewCounter:
    """Counts GETs of the public object page that answer 200, cached or not (placed before
    traceobject.pagecache.PageCacheMiddleware). Reads only the path and the status."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method == "GET" and response.status_code == 200:
            match = _OBJECT_PAGE.match(request.path)
            if match:
                view_count(match.group(1))
        return response


# --- Per day -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    day: date
    tips: int
    groups: int  # new independent groups: their first tip arrived this day
    places: int  # places first named this day
    views: int


def _day(value: datetime) -> date:
    return timezone.localdate(value) if timezone.is_aware(value) else value.date()


@dataclass(frozen=True)
class Counted:
    """What an object's days are drawn from: per local day of the window, its tips, its new
    independent groups and its new places; and, for its saturation, how many independent
    groups it has and when the newest one's first tip arrived (None: not counted)."""

    tips: dict[date, int]
    groups: dict[date, int]
    places: dict[date, int]
    independent: int | None = None
    newest_first: datetime | None = None


def activity_since(*, days: int = ACTIVITY_DAYS) -> tuple[date, datetime]:
    """The window's first day and the moment it began, in the portal's time zone."""
    first_day = timezone.localdate() - timedelta(days=days - 1)
    return first_day, timezone.make_aware(datetime.combine(first_day, datetime.min.time()))


def _counted(traced_object: TracedObject, since: datetime) -> Counted:
    """Three queries, each over the window or the object's place claims, never over all its
    tips (two scans of 16,000 tips and their groups took 130 ms at 1 M). The evidence board
    counts the same inside its own statement instead (tips/evidence.py)."""
    tips = Tip.objects.filter(traced_object=traced_object).order_by()
    tip_days = Counter(
        _day(at) for at in tips.filter(received_at__gte=since).values_list("received_at", flat=True)
    )
    # A group is new in the window when it has tips in it and none before it (each looked
    # up in the group's own (group, received_at) index).
    older = Tip.objects.filter(group_id=OuterRef("group_id"), received_at__lt=since)
    group_days = Counter(
        _day(first)
        for first in tips.filter(received_at__gte=since)
        .exclude(group_id=None)
        .exclude(group__flood__in=FLOOD_DISCOUNTED)
        .filter(~Exists(older))
        .values("group_id")
        .annotate(first=Min("received_at"))
        .values_list("first", flat=True)
    )
    place_days = Counter(
        _day(first)
        for first in TipClaim.objects.filter(traced_object=traced_object, kind=ClaimKind.PLACE)
        .exclude(tip__status=TipStatus.REJECTED)
        .order_by()
        .values("value")
        .annotate(first=Min("tip__received_at"))
        .filter(first__gte=since)
        .values_list("first", flat=True)
    )
    return Counted(tips=tip_days, groups=group_days, places=place_days)


def object_activity(
    traced_object: TracedObject, *, days: int = ACTIVITY_DAYS, counted: Counted | None = None
) -> list[Day]:
    """The object's last `days` days, oldest first; `counted`: already counted (by the
    board's statement), else counted here."""
    first_day, since = activity_since(days=days)
    if counted is None:
        counted = _counted(traced_object, since)
    view_days = dict(
        ObjectViewDay.objects.filter(traced_object=traced_object, day__gte=first_day).values_list(
            "day", "views"
        )
    )
    return [
        Day(
            day=day,
            tips=counted.tips.get(day, 0),
            groups=counted.groups.get(day, 0),
            places=counted.places.get(day, 0),
            views=view_days.get(day, 0),
        )
        for day in (first_day + timedelta(days=n) for n in range(days))
    ]


# --- The sparkline -------------------------------------------------------------------------

SPARK_WIDTH = 240  # SVG user units
SPARK_HEIGHT = 40
SPARK_PAD = 2  # inside the viewBox, so a stroke at 0 or at the top is not clipped


def _number(value: float) -> str:
    """An SVG number: a dot, never a locale's comma, never a thousands separator."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def sparkline(values: list[int]) -> dict[str, Any]:
    """One point per day, left to right, each as high as its value over the highest (a row
    of zeros lies on the baseline): the points of a <polyline> in a fixed viewBox."""
    count = len(values)
    top = max(values, default=0) or 1
    inner_w = SPARK_WIDTH - 2 * SPARK_PAD
    inner_h = SPARK_HEIGHT - 2 * SPARK_PAD
    step = inner_w / (count - 1) if count > 1 else 0.0
    points = [
        (SPARK_PAD + step * n, SPARK_PAD + inner_h - inner_h * value / top)
        for n, value in enumerate(values)
    ]
    return {
        "width": SPARK_WIDTH,
        "height": SPARK_HEIGHT,
        "points": points,
        "points_attr": " ".join(f"{_number(x)},{_number(y)}" for x, y in points),
        "highest": max(values, default=0),
    }


def activity_context(
    traced_object: TracedObject, *, counted: Counted | None = None
) -> dict[str, Any]:
    """What templates/admin/tips/_activity.html shows (`counted`: as object_activity)."""
    days = object_activity(traced_object, counted=counted)
    lines = []
    for key, label in (
        ("tips", "Tips"),
        ("groups", "New independent groups"),
        ("places", "New places"),
        ("views", "Page views"),
    ):
        values = [getattr(day, key) for day in days]
        lines.append({"key": key, "label": label, "total": sum(values), **sparkline(values)})
    return {
        "days": days,
        "lines": lines,
        "first_day": days[0].day.isoformat(),
        "last_day": days[-1].day.isoformat(),
        "saturated": object_saturation(traced_object, counted=counted),
    }


# --- Saturation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Saturation:
    traced_object: TracedObject
    last_new_group: date | None  # the day its newest independent group began
    groups: int
    suggestion: str


def _new_groups_since(since: datetime) -> Exists:
    """An independent group of the object whose first tip arrived at or after `since`."""
    earlier = Tip.objects.filter(group_id=OuterRef("group_id"), received_at__lt=since)
    recent = (
        Tip.objects.filter(traced_object=OuterRef("pk"), received_at__gte=since)
        .exclude(group_id=None)
        .exclude(group__flood__in=FLOOD_DISCOUNTED)
        .exclude(Exists(earlier))
    )
    return Exists(recent)


def saturated_objects(*, limit: int = 20) -> list[Saturation]:
    """Published objects out for at least TIP_SATURATED_DAYS with no new independent group
    in that time, the longest-published first (two queries)."""
    since = timezone.now() - timedelta(days=settings.TIP_SATURATED_DAYS)
    objects = list(
        TracedObject.objects.filter(state=ObjectState.PUBLISHED, published_at__lte=since)
        .exclude(_new_groups_since(since))
        .order_by("published_at", "pk")[:limit]
    )
    firsts = _group_firsts([obj.pk for obj in objects])
    return [_saturation(obj, firsts.get(obj.pk, [])) for obj in objects]


def object_saturation(
    traced_object: TracedObject, *, counted: Counted | None = None
) -> Saturation | None:
    """The object's Saturation if it is saturated, else None (`counted`, with its
    independent groups counted: no query)."""
    since = timezone.now() - timedelta(days=settings.TIP_SATURATED_DAYS)
    if traced_object.state != ObjectState.PUBLISHED or not traced_object.published_at:
        return None
    if traced_object.published_at > since:
        return None
    if counted is not None and counted.independent is not None:
        if counted.newest_first is not None and counted.newest_first >= since:
            return None
        return _saturation_of(traced_object, counted.independent, counted.newest_first)
    if TracedObject.objects.filter(pk=traced_object.pk).filter(_new_groups_since(since)).exists():
        return None
    return _saturation(traced_object, _group_firsts([traced_object.pk]).get(traced_object.pk, []))


def _group_firsts(object_ids: list[int]) -> dict[int, list[datetime]]:
    """Each object's independent groups, as the times their first tips arrived."""
    rows = (
        Tip.objects.filter(traced_object_id__in=object_ids)
        .exclude(group_id=None)
        .exclude(group__flood__in=FLOOD_DISCOUNTED)
        .order_by()
        .values("traced_object_id", "group_id")
        .annotate(first=Min("received_at"))
        .values_list("traced_object_id", "first")
    )
    firsts: dict[int, list[datetime]] = {}
    for object_id, first in rows:
        firsts.setdefault(object_id, []).append(first)
    return firsts


def _saturation(obj: TracedObject, firsts: list[datetime]) -> Saturation:
    return _saturation_of(obj, len(firsts), max(firsts) if firsts else None)


def _saturation_of(obj: TracedObject, groups: int, newest_first: datetime | None) -> Saturation:
    if groups <= FEW_GROUPS:
        suggestion = "Re-feature it: few people have said anything about it yet."
    else:
        suggestion = "Retire it: the crowd seems to have said what it knows."
    return Saturation(
        traced_object=obj,
        last_new_group=_day(newest_first) if newest_first else None,
        groups=groups,
        suggestion=suggestion,
    )
