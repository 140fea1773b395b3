"""An object's activity for investigators: the counts per day stored and computed after real
tips and real page views (cached pages count too, nothing about the visitor is kept), the
sparkline's geometry, and the saturated objects on the investigators' home page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import staff_login
from tips import activity, grouping
from tips.models import FloodState, ObjectViewDay, Tip, TipGroup
from tips.services import TipContent, tip_receive

pytestmark = pytest.mark.django_db


def received(obj, body: str, *, days_ago: int, language: str = "en") -> Tip:
    tip = tip_receive(content=TipContent(body=body), language=language, traced_object=obj).tip
    at = timezone.now().replace(second=0, microsecond=0) - timedelta(days=days_ago)
    Tip.objects.filter(pk=tip.pk).update(received_at=at)
    grouping.tip_analyse(tip_id=tip.pk)
    return Tip.objects.get(pk=tip.pk)


def by_day(obj) -> dict[int, activity.Day]:
    today = timezone.localdate()
    return {(today - day.day).days: day for day in activity.object_activity(obj)}


def test_tips_new_groups_and_new_places_are_counted_per_day(public_object):
    received(public_object, "I bought this shampoo in Kraków at a Biedronka.", days_ago=5)
    received(public_object, "I bought this shampoo in Krakow at a Biedronka!", days_ago=5)
    received(
        public_object, "Ich habe es in Krakau gesehen, im Drogeriemarkt.", days_ago=2, language="de"
    )
    received(public_object, "C'est vendu à Lyon, dans une pharmacie.", days_ago=2, language="fr")
    received(public_object, "The same bottle is on a shelf in my bathroom.", days_ago=0)
    days = by_day(public_object)
    assert len(days) == activity.ACTIVITY_DAYS
    assert (days[5].tips, days[5].groups, days[5].places) == (2, 1, 1)  # one group, Kraków
    assert (days[2].tips, days[2].groups, days[2].places) == (2, 2, 1)  # Kraków again; Lyon
    assert (days[0].tips, days[0].groups, days[0].places) == (1, 1, 0)
    assert sum(day.tips for day in days.values()) == 5


def test_a_held_flood_is_no_new_group(public_object, settings):
    settings.TIP_FLOOD_MIN_TIPS = 3
    for n in range(3):
        tip = received(public_object, "BUY SHAMPOO NOW cheap" + "!" * n, days_ago=1)
    assert TipGroup.objects.get(pk=tip.group_id).flood == FloodState.HELD
    assert (by_day(public_object)[1].tips, by_day(public_object)[1].groups) == (3, 0)


def test_page_views_are_counted_per_object_and_day_cached_or_not(
    client, public_object, monkeypatch
):
    # No flush of its own during the test: another test's views, or 10 s since the last
    # flush, would otherwise write some of these at once.
    activity._views.clear()  # other tests' views, of objects that had this code
    monkeypatch.setattr(activity, "VIEWS_FLUSH_SECONDS", 3600.0)
    url = f"/en/objects/{public_object.code}/"
    first = client.get(url)
    second = client.get(url)
    assert first.status_code == second.status_code == 200
    assert second["X-Page-Cache"] == "hit"  # served by the cache, still counted
    client.get("/en/objects/NO-SUCH-CODE/")  # a 404 counts nothing
    client.head(url)  # nor does a HEAD
    assert activity.views_flush() == 2
    row = ObjectViewDay.objects.get()
    assert (row.traced_object_id, row.day, row.views) == (
        public_object.pk,
        timezone.now().date(),
        2,
    )
    client.get(url)
    activity.views_flush()
    assert ObjectViewDay.objects.get().views == 3  # added to, not replaced
    # Nothing but the counter: no other column could hold anything about a visitor.
    assert {f.name for f in ObjectViewDay._meta.get_fields()} == {
        "id",
        "traced_object",
        "day",
        "views",
    }
    assert by_day(public_object)[0].views == 3


def test_the_sparkline_has_one_point_per_day_inside_its_viewbox_heights_proportional():
    values = [0, 3, 6, 0, 12, 9, 1]
    line = activity.sparkline(values)
    points = line["points"]
    assert len(points) == len(values)
    xs = [x for x, _y in points]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)  # left to right, one per day
    for x, y in points:
        assert 0 <= x <= line["width"] and 0 <= y <= line["height"]
    base = points[0][1]  # a day with none lies on the baseline
    heights = [base - y for _x, y in points]
    assert heights[4] == max(heights) > 0
    for value, height in zip(values, heights, strict=True):
        assert height == pytest.approx(heights[4] * value / 12)
    # The attribute is plain SVG numbers: dots, no locale's commas inside a number.
    assert re.fullmatch(r"[0-9.]+,[0-9.]+( [0-9.]+,[0-9.]+)*", line["points_attr"])
    flat = activity.sparkline([0] * 30)
    assert {y for _x, y in flat["points"]} == {flat["height"] - activity.SPARK_PAD}


def test_investigators_see_saturated_objects_on_their_home_page(
    client, public_object, investigator, settings
):
    settings.TIP_SATURATED_DAYS = 21
    public_object.published_at = timezone.now() - timedelta(days=40)
    public_object.save(update_fields=["published_at"])
    received(public_object, "Sold in Kraków, I am sure of it.", days_ago=30)
    staff_login(client, investigator)
    html = client.get("/backoffice/").content.decode()
    assert 'id="home-saturated"' in html
    assert "no new independent group in 21 days" in html
    item = re.search(r'<ul class="home-saturated">(.*?)</ul>', html, re.S).group(1)
    assert public_object.code in item
    assert "1 groups in all" in item and "Re-feature it" in item
    assert f"/backoffice/objects/tracedobject/{public_object.pk}/change/" in item
    # A new independent group today: no longer saturated.
    received(public_object, "The wallpaper in the photo is from a hotel in Lisbon.", days_ago=0)
    html = client.get("/backoffice/").content.decode()
    assert 'id="home-saturated"' not in html


def test_the_object_page_in_the_back_office_shows_the_activity(client, public_object, investigator):
    received(public_object, "Sold in Kraków, I am sure of it.", days_ago=3)
    staff_login(client, investigator)
    html = client.get(
        f"/backoffice/objects/tracedobject/{public_object.pk}/change/"
    ).content.decode()
    assert 'id="sparkline-tips"' in html
    assert "Tips: <strong>1</strong>" in html
    assert "New places: <strong>1</strong>" in html
    assert html.count('<tr><th scope="row">') == activity.ACTIVITY_DAYS


@pytest.mark.usefixtures("require_postgres")
@pytest.mark.parametrize("published_days_ago", [40, 3])
def test_the_boards_statement_counts_the_days_and_the_saturation_as_the_queries_do(
    public_object, settings, published_days_ago
):
    """The board counts the activity inside its one statement (tips/evidence.py): the same
    days, new groups, new places and saturation as activity's own queries, with a flood, a
    rejected tip, a group that began before the window and a tip not grouped yet."""
    from tips import evidence
    from tips.models import TipStatus

    settings.TIP_SATURATED_DAYS = 21
    settings.TIP_FLOOD_MIN_TIPS = 3
    public_object.published_at = timezone.now() - timedelta(days=published_days_ago)
    public_object.save(update_fields=["published_at"])
    received(public_object, "I bought this shampoo in Kraków at a Biedronka.", days_ago=45)
    received(public_object, "I bought this shampoo in Krakow at a Biedronka!", days_ago=25)
    received(public_object, "Ich habe es in Krakau gesehen.", days_ago=24, language="de")
    rejected = received(public_object, "C'est vendu à Lyon, dans une pharmacie.", days_ago=23)
    Tip.objects.filter(pk=rejected.pk).update(
        status=TipStatus.REJECTED, closed_at=timezone.now(), rejected_reason="spam"
    )
    for n in range(3):
        received(public_object, "BUY SHAMPOO NOW cheap" + "!" * n, days_ago=22)
    received(public_object, "Je l'ai vu au marché de Lyon, sur un étal.", days_ago=22)
    tip_receive(
        content=TipContent(body="Seen in Gdańsk, not analysed yet."),
        language="pl",
        traced_object=public_object,
    )
    counted = evidence.board_data(public_object, calm_shown=30, floods_shown=10).counted
    assert counted is not None
    _first_day, since = activity.activity_since()
    queried = activity._counted(public_object, since)
    assert (counted.tips, counted.groups, counted.places) == (
        dict(queried.tips),
        dict(queried.groups),
        dict(queried.places),
    )
    # Kraków was first named before the window; the rejected tip's Lyon counts nothing.
    assert sum(counted.tips.values()) == 8 and sum(counted.places.values()) == 1
    assert sum(counted.groups.values()) >= 2  # the flood is none of them
    assert activity.object_saturation(public_object, counted=counted) == (
        activity.object_saturation(public_object)
    )
    assert (activity.object_saturation(public_object) is not None) == (published_days_ago == 40)
