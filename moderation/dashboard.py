"""The back-office dashboard: tips per day, backlog by status and age, time to first
triage, and what forwarded tips were worth per case. Every figure is a few aggregate
queries, whatever the size of the tip table; the chart is SVG drawn here, no script."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import admin
from django.contrib.auth.decorators import permission_required
from django.core.cache import cache
from django.db import connection
from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import TruncDate
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from moderation.models import Forward, ForwardOutcome
from tips.models import Tip, TipStatus
from traceobject.backoffice import backoffice_render

CHART_DAYS = 60
TRIAGE_WINDOW_DAYS = 90
OPEN_STATUSES = (TipStatus.NEW, TipStatus.IN_REVIEW, TipStatus.NEEDS_INFO)
F_CASE = "tip__traced_object__case__reference"


def tips_per_day(*, today: date, days: int = CHART_DAYS) -> list[tuple[date, int]]:
    start = today - timedelta(days=days - 1)
    # A bound on the column itself (received_at__date would cast every row, index unused).
    since = datetime.combine(start, time.min, tzinfo=timezone.get_current_timezone())
    counts = dict(
        Tip.objects.filter(received_at__gte=since)
        .annotate(day=TruncDate("received_at"))
        .values_list("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    return [
        (start + timedelta(days=i), counts.get(start + timedelta(days=i), 0)) for i in range(days)
    ]


def backlog(*, now) -> list[dict]:
    """Open tips by status and age: one query."""
    day, week = now - timedelta(days=1), now - timedelta(days=7)
    rows = (
        Tip.objects.filter(status__in=OPEN_STATUSES)
        .values("status")
        .annotate(
            under_1d=Count("id", filter=Q(received_at__gte=day)),
            from_1_to_7d=Count("id", filter=Q(received_at__lt=day, received_at__gte=week)),
            over_7d=Count("id", filter=Q(received_at__lt=week)),
            urgent=Count("id", filter=Q(urgent=True)),
            total=Count("id"),
        )
    )
    by_status = {row["status"]: row for row in rows}
    return [
        {
            "label": TipStatus(status).label,
            **by_status.get(
                status, {"under_1d": 0, "from_1_to_7d": 0, "over_7d": 0, "urgent": 0, "total": 0}
            ),
        }
        for status in OPEN_STATUSES
    ]


class Median(Aggregate):
    """PostgreSQL's exact median, computed where the rows are."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


WAIT = ExpressionWrapper(F("first_triaged_at") - F("received_at"), output_field=DurationField())


def median_hours_to_first_triage(*, now) -> float | None:
    """The median wait for a first triage over the window, in the database: one aggregate
    on PostgreSQL; elsewhere (SQLite) a count, then the middle one or two rows by offset."""
    triaged = Tip.objects.filter(
        first_triaged_at__isnull=False, received_at__gte=now - timedelta(days=TRIAGE_WINDOW_DAYS)
    )
    if connection.vendor == "postgresql":
        median = triaged.aggregate(median=Median(WAIT, output_field=DurationField()))["median"]
    else:
        median = _median_by_offset(triaged)
    return None if median is None else round(median.total_seconds() / 3600, 1)


def _median_by_offset(triaged) -> timedelta | None:
    count = triaged.count()
    if not count:
        return None
    middle = list(
        triaged.annotate(wait=WAIT)
        .order_by("wait")
        .values_list("wait", flat=True)[(count - 1) // 2 : count // 2 + 1]
    )
    return sum(middle, timedelta()) / len(middle)


def forwards_per_case() -> list[Mapping[str, Any]]:
    return list(
        Forward.objects.values(case=F(F_CASE))
        .annotate(
            total=Count("id"),
            acknowledged=Count("id", filter=Q(acknowledged_at__isnull=False)),
            useful=Count("id", filter=Q(outcome=ForwardOutcome.USEFUL)),
            not_useful=Count("id", filter=Q(outcome=ForwardOutcome.NOT_USEFUL)),
            identification=Count("id", filter=Q(outcome=ForwardOutcome.IDENTIFICATION)),
            pending=Count("id", filter=Q(outcome="")),
        )
        .order_by("case")
    )


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    height: float
    day: date
    count: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    bar_width: float
    peak: int
    baseline: float
    first_day: date
    last_day: date
    total: int


def chart(series: list[tuple[date, int]], *, width: int = 720, height: int = 200) -> Chart:
    """Lay out a bar chart; the template draws it as SVG."""
    margin_top, margin_bottom, margin_left = 12, 24, 36
    peak = max((count for _day, count in series), default=0) or 1
    plot_height = height - margin_top - margin_bottom
    slot = (width - margin_left) / max(len(series), 1)
    bars = []
    for i, (day, count) in enumerate(series):
        bar_height = plot_height * count / peak
        bars.append(
            Bar(
                x=round(margin_left + i * slot + 1, 1),
                y=round(margin_top + plot_height - bar_height, 1),
                height=round(bar_height, 1),
                day=day,
                count=count,
            )
        )
    return Chart(
        width=width,
        height=height,
        bars=bars,
        bar_width=round(max(slot - 2, 1), 1),
        peak=peak,
        baseline=margin_top + plot_height,
        first_day=series[0][0],
        last_day=series[-1][0],
        total=sum(count for _day, count in series),
    )


# The figures are a minute old at most: at a million tips the backlog alone counts ~200k
# open rows, which every analyst opening the page would otherwise pay for.
FIGURES_KEY = "dashboard:figures"
FIGURES_SECONDS = 60


def dashboard_figures() -> dict[str, Any]:
    now = timezone.now()
    return {
        "chart": chart(tips_per_day(today=timezone.localdate(now))),
        "backlog": backlog(now=now),
        "median_hours": median_hours_to_first_triage(now=now),
        "forwards": forwards_per_case(),
    }


@permission_required("tips.view_tip", raise_exception=True)
def dashboard_view(request: HttpRequest) -> HttpResponse:
    figures = cache.get_or_set(FIGURES_KEY, dashboard_figures, FIGURES_SECONDS)
    context = {
        "title": _("Dashboard"),
        "triage_window_days": TRIAGE_WINDOW_DAYS,
        **(figures or dashboard_figures()),
    }
    return backoffice_render(request, admin.site, "admin/moderation/dashboard.html", context)
