"""j and k on a tip's page: the previous and next tip of the queue the analyst came from,
in the queue's own order, worked out only when followed."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.urls import reverse

from tests.factories import tip_at
from tips import grouping, triage
from tips.models import TipStatus
from tips.services import tip_add_follow_up

pytestmark = pytest.mark.django_db


def step(client, tip, direction: str, filters: str = "") -> str:
    url = reverse("admin:tips_tip_queue_step", args=[tip.pk, direction])
    if filters:
        url += "?_changelist_filters=" + quote(filters)
    response = client.get(url)
    assert response.status_code == 302
    return response.url


def change(tip, filters: str = "") -> str:
    url = reverse("admin:tips_tip_change", args=[tip.pk])
    return url + ("?_changelist_filters=" + quote(filters) if filters else "")


def test_the_new_queue_goes_urgent_first_then_oldest_keeping_its_filter(
    analyst_client, public_object
):
    old = tip_at(public_object, hours_ago=5)
    older = tip_at(public_object, hours_ago=9)
    urgent = tip_at(None, hours_ago=1, urgent=True)
    tip_at(public_object, hours_ago=7, status=TipStatus.IN_REVIEW)  # not in the new queue
    new = "status__exact=new"

    assert step(analyst_client, urgent, "next", new) == change(older, new)
    assert step(analyst_client, older, "next", new) == change(old, new)
    assert step(analyst_client, old, "prev", new) == change(older, new)
    assert step(analyst_client, older, "prev", new) == change(urgent, new)
    end = step(analyst_client, old, "next", new)
    assert end == reverse("admin:tips_tip_changelist") + "?" + new
    assert "No more tips in this queue." in analyst_client.get(end).content.decode()


def test_the_new_queue_steps_in_take_next_order_a_group_being_read_last(
    analyst, analyst_client, public_object
):
    def grouped(body: str, hours_ago: float):
        tip = tip_at(public_object, hours_ago=hours_ago, body=body)
        grouping.tip_analyse(tip_id=tip.pk)
        tip.refresh_from_db()
        return tip

    shampoo = "I recognise this bottle: it is Kovaro shampoo, sold at Mileta Markt in Gdansk."
    wallpaper = "The wallpaper is from an IKEA catalogue of 1998, pattern Alvine."
    strong = [grouped(shampoo, hours) for hours in (6, 5, 4)]
    weaker = [grouped(wallpaper, hours) for hours in (9, 8)]
    alone = tip_at(public_object, hours_ago=30, body="Seen at a market in Lyon.")
    triage.tip_assign(tip=strong[0], to=analyst, by=analyst)  # still new, being read
    new = "status__exact=new"

    assert step(analyst_client, weaker[0], "next", new) == change(weaker[1], new)
    assert step(analyst_client, weaker[1], "next", new) == change(alone, new)
    assert step(analyst_client, alone, "next", new) == change(strong[0], new)
    assert step(analyst_client, strong[0], "prev", new) == change(alone, new)


def test_the_unfiltered_queue_goes_newest_first(analyst_client, public_object):
    first, second, third = (tip_at(public_object, hours_ago=hours) for hours in (1, 2, 3))

    assert step(analyst_client, first, "next") == change(second)
    assert step(analyst_client, second, "next") == change(third)
    assert step(analyst_client, third, "prev") == change(second)


def test_the_tip_page_links_both_ways_without_a_query_of_its_own(analyst_client, public_object):
    tip = tip_at(public_object)
    new = "status__exact=new"

    html = analyst_client.get(change(tip, new)).content.decode()

    for direction, rel in (("prev", "prev"), ("next", "next")):
        link = reverse("admin:tips_tip_queue_step", args=[tip.pk, direction])
        assert f'href="{link}?_changelist_filters=status__exact%3Dnew" rel="{rel}"' in html
    assert "Keyboard shortcuts" in html


def test_the_answered_filter_lists_tips_whose_tipster_answered(
    analyst_client, analyst, public_object
):
    answered, waiting = tip_at(public_object, hours_ago=2), tip_at(public_object, hours_ago=1)
    for tip in (answered, waiting):
        triage.tip_ask(tip=tip, by=analyst, body="Which shop?")
    tip_add_follow_up(tip=answered, body="Kaufmarkt.")
    answered.refresh_from_db()
    assert answered.status == TipStatus.IN_REVIEW and answered.answered_at is not None

    html = analyst_client.get("/backoffice/tips/tip/?answered=yes").content.decode()

    row = 'name="_selected_action" value="{}"'
    assert row.format(answered.pk) in html and row.format(waiting.pk) not in html


def test_a_triage_button_or_a_note_keeps_the_queue_the_analyst_came_from(
    analyst_client, public_object
):
    tip = tip_at(public_object)
    new = "status__exact=new"
    page = analyst_client.get(change(tip, new)).content.decode()
    assert f"/triage/?_changelist_filters={quote(new)}" in page

    triage_url = reverse("admin:tips_tip_triage", args=[tip.pk])
    response = analyst_client.post(
        f"{triage_url}?_changelist_filters={quote(new)}", {"do": "assign_me"}
    )
    assert response.url == change(tip, new)
    note_url = reverse("admin:tips_tip_note", args=[tip.pk])
    response = analyst_client.post(
        f"{note_url}?_changelist_filters={quote(new)}", {"body": "Shop named."}
    )
    assert response.url == change(tip, new) + "#tip-notes"
