"""The dashboard's figures (moderation/pages/dashboard.py): each one aggregate query over a
bounded window (or the open tips alone), from an index holding every column it needs, so the
page costs the same at a thousand tips as at a million; the chart is SVG laid out here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from moderation.models import Forward, ForwardOutcome
from tips.models import Tip, TipStatus

CHART_DAYS = 60
TRIAGE_WINDOW_DAYS = 30
FORWARDS_WINDOW_DAYS = 90
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
        .annotate(n=Count("received_at"))  # not "id": the received_at index alone answers
        .values_list("day", "n")
    )
    return [
        (start + timedelta(days=i), counts.get(start + timedelta(days=i), 0)) for i in range(days)
    ]


def backlog(*, now: datetime) -> list[dict[str, Any]]:
    """Open tips by status and age. One query: four plain counts per status, each over one
    range of an index (all, the last week and the last day by status and received_at, the
    urgent by tip_queue_order), read from the index alone; the age bands are differences.
    (A COUNT(*) FILTER per band costs five times as much: it tests every open tip five times.)
    """
    open_tips = Tip.objects.filter(status__in=OPEN_STATUSES).order_by()

    def per_status(band: str, **condition: Any) -> QuerySet[Tip, Any]:
        return (
            open_tips.filter(**condition)
            .values("status")
            .annotate(band=Value(band), n=Count("*"))
            .values_list("status", "band", "n")
        )

    counts = {
        (status, band): n
        for status, band, n in per_status("total").union(
            per_status("week", received_at__gte=now - timedelta(days=7)),
            per_status("day", received_at__gte=now - timedelta(days=1)),
            per_status("urgent", urgent=True),
            all=True,
        )
    }
    rows = []
    for status in OPEN_STATUSES:
        total, week, day = (counts.get((status, band), 0) for band in ("total", "week", "day"))
        rows.append(
            {
                "label": TipStatus(status).label,
                "under_1d": day,
                "from_1_to_7d": week - day,
                "over_7d": total - week,
                "urgent": counts.get((status, "urgent"), 0),
                "total": total,
            }
        )
    return rows


class Median(Aggregate):
    """PostgreSQL's exact median, computed where the rows are."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


WAIT = ExpressionWrapper(F("first_triaged_at") - F("received_at"), output_field=DurationField())


def median_hours_to_first_triage(*, now: datetime) -> float | None:
    """The median wait of the tips first triaged in the window, in the database (the index
    tip_first_triage holds both times): one aggregate on PostgreSQL; elsewhere (SQLite) a
    count, then the middle one or two rows by offset."""
    triaged = Tip.objects.filter(
        first_triaged_at__gte=now - timedelta(days=TRIAGE_WINDOW_DAYS)
    ).order_by()
    if connection.vendor == "postgresql":
        median = triaged.aggregate(median=Median(WAIT, output_field=DurationField()))["median"]
    else:
        median = _median_by_offset(triaged)
    return None if median is None else round(median.total_seconds() / 3600, 1)


def _median_by_offset(triaged: QuerySet[Tip]) -> timedelta | None:
    count = triaged.count()
    if not count:
        return None
    middle = list(
        triaged.annotate(wait=WAIT)
        .order_by("wait")
        .values_list("wait", flat=True)[(count - 1) // 2 : count // 2 + 1]
    )
    return sum(middle, timedelta()) / len(middle)


def forwards_per_case(*, now: datetime) -> list[Mapping[str, Any]]:
    """The forwards of the window and their outcomes so far, per case."""
    return list(
        Forward.objects.filter(created_at__gte=now - timedelta(days=FORWARDS_WINDOW_DAYS))
        .values(case=F(F_CASE))
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


# The figures are a minute old at most: cheap as each query is, the first analyst of the
# minute pays for all four and the others for none.
FIGURES_KEY = "dashboard:figures"
FIGURES_SECONDS = 60


def dashboard_figures() -> dict[str, Any]:
    now = timezone.now()
    return {
        "chart": chart(tips_per_day(today=timezone.localdate(now))),
        "backlog": backlog(now=now),
        "median_hours": median_hours_to_first_triage(now=now),
        "forwards": forwards_per_case(now=now),
    }
