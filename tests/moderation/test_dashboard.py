"""The dashboard: figures computed from the data in a few queries, a chart drawn as SVG."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from moderation.dashboard import FIGURES_KEY, chart, tips_per_day
from moderation.models import Forward, ForwardOutcome
from tests.conftest import staff_login
from tests.factories import tip_at
from tips.models import TipStatus
from tips.urgent import urgent_waiting

pytestmark = pytest.mark.django_db

DASHBOARD = "/backoffice/dashboard/"
# The session (read, and saved in a savepoint: 4), the user, the second factor, the user's
# and group's permissions and the four figures (tips per day, backlog, median wait,
# forwards): the same at a thousand tips as at a million. SQLite has no median aggregate:
# a count, then the middle rows.
DASHBOARD_QUERIES = 12 if connection.vendor == "postgresql" else 13


@pytest.fixture(autouse=True)
def cold_figures():
    """The figures are cached for a minute: each test computes its own."""
    cache.delete(FIGURES_KEY)


def tip_days_ago(
    days_ago: float, *, status=TipStatus.NEW, obj=None, urgent=False, triaged_after_hours=None
):
    """A tip received `days_ago` days ago; closed or rejected ones closed that moment, triaged
    ones first triaged `triaged_after_hours` later."""
    received_at = timezone.now() - timedelta(days=days_ago)
    closed = received_at if status in (TipStatus.CLOSED, TipStatus.REJECTED) else None
    triaged = received_at + timedelta(hours=triaged_after_hours) if triaged_after_hours else None
    return tip_at(
        obj,
        hours_ago=days_ago * 24,
        urgent=urgent,
        status=status,
        closed_at=closed,
        first_triaged_at=triaged,
    )


def test_tips_per_day_covers_60_days_with_zeros(public_object):
    tip_days_ago(0, obj=public_object)
    tip_days_ago(0, obj=public_object)
    tip_days_ago(3, obj=public_object)
    tip_days_ago(90, obj=public_object)  # outside the window
    series = tips_per_day(today=timezone.localdate())
    assert len(series) == 60
    assert series[-1][1] == 2 and series[-4][1] == 1
    assert sum(count for _day, count in series) == 3


def test_the_chart_scales_bars_to_the_busiest_day(public_object):
    today = timezone.localdate()
    laid_out = chart([(today - timedelta(days=1), 5), (today, 10)], width=236, height=136)
    assert laid_out.peak == 10
    assert laid_out.bars[1].height == 100 and laid_out.bars[0].height == 50


def test_the_dashboard_shows_figures_from_the_data(
    analyst_client, public_object, investigator, django_assert_num_queries
):
    tip_days_ago(0.2, obj=public_object, urgent=True)
    tip_days_ago(3, status=TipStatus.IN_REVIEW, obj=public_object, triaged_after_hours=2)
    tip_days_ago(10, obj=public_object)
    forwarded = tip_days_ago(
        1, status=TipStatus.FORWARDED, obj=public_object, triaged_after_hours=4
    )
    Forward.objects.create(
        tip=forwarded,
        to=investigator,
        by=investigator,
        summary="s",
        outcome=ForwardOutcome.USEFUL,
        acknowledged_at=timezone.now(),
    )
    urgent_waiting()  # the banner's answer, kept 10 s for every back-office page
    with django_assert_num_queries(DASHBOARD_QUERIES):
        response = analyst_client.get(DASHBOARD)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('<rect class="bar"') == 60
    assert "4 in all" in html
    new_row = re.search(r"<th scope=\"row\">New</th>(.*?)</tr>", html).group(1)
    assert re.findall(r"<td>(\d+)</td>", new_row) == ["1", "0", "1", "1", "2"]
    assert "Median wait of the tips first triaged in the last 30 days: 3.0 hours." in html
    case_row = re.search(r"<th scope=\"row\">CASE-2026-017</th>(.*?)</tr>", html).group(1)
    assert re.findall(r"<td>(\d+)</td>", case_row) == ["1", "1", "1", "0", "0", "0"]
    assert "<script" not in html.split('<div id="content-main"')[1]


def test_the_figures_count_only_their_window(analyst_client, public_object, investigator):
    """The median and the forwards are over a bounded window, and the page says which: tips
    triaged or forwarded before it are left out; the backlog counts every open tip."""
    tip_days_ago(5, status=TipStatus.IN_REVIEW, obj=public_object, triaged_after_hours=1)
    tip_days_ago(40, status=TipStatus.IN_REVIEW, obj=public_object, triaged_after_hours=500)
    old = tip_days_ago(200, status=TipStatus.FORWARDED, obj=public_object, triaged_after_hours=1)
    forward = Forward.objects.create(tip=old, to=investigator, by=investigator, summary="s")
    Forward.objects.filter(pk=forward.pk).update(created_at=timezone.now() - timedelta(days=91))

    html = analyst_client.get(DASHBOARD).content.decode()

    # 40 days ago + 500 hours is 19 days ago, inside the window: (1 + 500) / 2.
    assert "Median wait of the tips first triaged in the last 30 days: 250.5 hours." in html
    assert "Forwards of the last 90 days and their outcomes, per case" in html
    assert "Backlog: every open tip, by status and age" in html
    assert "Nothing has been forwarded in the last 90 days." in html
    review_row = re.search(r"<th scope=\"row\">In review</th>(.*?)</tr>", html).group(1)
    assert re.findall(r"<td>(\d+)</td>", review_row) == ["0", "1", "1", "0", "2"]


def test_a_triage_before_the_window_is_not_in_the_median(analyst_client, public_object):
    tip_days_ago(31, status=TipStatus.IN_REVIEW, obj=public_object, triaged_after_hours=2)

    html = analyst_client.get(DASHBOARD).content.decode()

    assert "No tip has been triaged in the last 30 days." in html


def test_staff_who_may_not_read_tips_cannot_open_the_dashboard(client, investigator):
    staff_login(client, investigator)
    assert client.get(DASHBOARD).status_code == 403


def test_visitors_are_sent_to_the_login_page(client):
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and "/backoffice/login/" in response.headers["Location"]


def test_the_back_office_home_links_to_the_dashboard(analyst_client):
    html = analyst_client.get("/backoffice/").content.decode()
    assert 'href="/backoffice/dashboard/"' in html
