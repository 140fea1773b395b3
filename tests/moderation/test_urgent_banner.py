"""The red banner across the back office while an urgent report waits unassigned: it names
what was reported, links to the report, goes once someone takes it, and is never shown to
the public, to staff who may not read tips, or before the second factor."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.conftest import staff_login
from tests.factories import received, tip_at
from tips import triage
from tips.urgent import URGENT_WAITING_KEY

pytestmark = pytest.mark.django_db
URGENT_TEXT = "A boy in the photo on the cereal box is locked in a flat in Leeds, right now"
QUEUE = "/backoffice/tips/tip/"


def banner(html: str) -> str:
    if 'id="urgent-banner"' not in html:
        return ""
    return html.split('id="urgent-banner"')[1].split("</div>")[0]


def test_the_banner_names_the_urgent_report_and_links_to_it_on_every_back_office_page(
    analyst_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = received(None, body=URGENT_TEXT, urgent=True)

    for url in ("/backoffice/", QUEUE, reverse("admin:dashboard")):
        shown = banner(analyst_client.get(url).content.decode())
        assert "Urgent report waiting: “A boy in the photo on the cereal…” — take it" in shown
        assert "Leeds" not in shown  # the first words only
        assert f'href="{reverse("admin:tips_tip_change", args=[report.pk])}"' in shown


def test_the_banner_goes_once_the_report_is_assigned_without_waiting_for_the_cache(
    analyst_client, analyst, django_capture_on_commit_callbacks
):
    report = tip_at(None, urgent=True, body=URGENT_TEXT)
    assert banner(analyst_client.get(QUEUE).content.decode())  # now cached for 10 s
    assert cache.get(URGENT_WAITING_KEY)

    with django_capture_on_commit_callbacks(execute=True):
        triage.tip_assign(tip=report, to=analyst, by=analyst)

    assert cache.get(URGENT_WAITING_KEY) is None
    assert banner(analyst_client.get(QUEUE).content.decode()) == ""


def test_taking_the_next_tip_clears_the_banner_too(
    analyst_client, analyst, django_capture_on_commit_callbacks
):
    tip_at(None, urgent=True, body=URGENT_TEXT)
    assert banner(analyst_client.get(QUEUE).content.decode())

    with django_capture_on_commit_callbacks(execute=True):
        taken = triage.tip_take_next(by=analyst)

    assert taken is not None and taken.urgent
    assert banner(analyst_client.get(QUEUE).content.decode()) == ""


def test_an_urgent_report_arriving_shows_at_once_though_none_was_cached(
    analyst_client, django_capture_on_commit_callbacks
):
    assert banner(analyst_client.get(QUEUE).content.decode()) == ""  # "none" cached

    with django_capture_on_commit_callbacks(execute=True):
        received(None, body=URGENT_TEXT, urgent=True)

    assert banner(analyst_client.get(QUEUE).content.decode())


def test_no_banner_for_a_plain_tip_an_assigned_report_or_on_the_reports_own_page(
    analyst_client, analyst, public_object
):
    tip_at(public_object)
    assigned = tip_at(None, urgent=True, hours_ago=2, assigned_to=analyst)
    assert banner(analyst_client.get(QUEUE).content.decode()) == ""
    waiting = tip_at(None, urgent=True, hours_ago=1, body=URGENT_TEXT)
    cache.delete(URGENT_WAITING_KEY)

    own_page = analyst_client.get(reverse("admin:tips_tip_change", args=[waiting.pk]))

    assert banner(own_page.content.decode()) == ""  # its own red banner says it already
    assert 'id="tip-urgent"' in own_page.content.decode()
    assert assigned.urgent


def test_the_public_investigators_and_half_logged_in_staff_never_see_it(
    client, investigator, analyst
):
    tip_at(None, urgent=True, body=URGENT_TEXT)

    assert "Urgent report waiting" not in client.get("/").content.decode()
    assert "Urgent report waiting" not in client.get("/backoffice/login/").content.decode()
    client.force_login(analyst)  # a password, no second factor yet
    assert "Urgent report waiting" not in client.get("/backoffice/login/").content.decode()
    client.logout()
    staff_login(client, investigator)
    assert "Urgent report waiting" not in client.get("/backoffice/").content.decode()


def test_with_redis_down_reports_are_received_and_the_banner_asks_the_database(
    analyst_client, monkeypatch, django_capture_on_commit_callbacks
):
    def down(*args, **kwargs):
        raise RedisConnectionError("Redis is down")

    for method in ("get", "set", "delete"):
        monkeypatch.setattr(cache, method, down)

    with django_capture_on_commit_callbacks(execute=True):
        report = received(None, body=URGENT_TEXT, urgent=True)  # forgetting fails quietly

    shown = banner(analyst_client.get(QUEUE).content.decode())
    assert f'href="{reverse("admin:tips_tip_change", args=[report.pk])}"' in shown
