"""The analysts' queue and a tip's page in a real browser at 1280 pixels: nothing wider than
the window (no horizontal scroll), and no accessibility violation of any impact.
Screenshots: test-results/queue-1280.png and test-results/queue-tip-page.png."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.test import Client
from PIL import Image

from objects.media import private_storage
from tests.browser.conftest import axe_violations, screenshot
from tests.conftest import staff_login
from tests.factories import tip_at
from tips import grouping

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXTS = [
    "I recognise this bottle: it is Kovaro shampoo, sold at Mileta Markt in Gdansk, Poland.",
    "The wallpaper with blue stripes is sold at Tapetenwelt shops in Leipzig and online at "
    "www.tapetenwelt.example.de, I bought the same one in 2019 for my daughter's room.",
    "Averyveryverylongwordwithoutanyspacesthatcouldstretchthecolumnifnothingwrapsit" * 2,
]

FITS = "(selector) => document.querySelector(selector).scrollWidth <= 1 + document.querySelector(selector).clientWidth"


def thumbnail_stored(obj) -> None:
    """A real thumbnail file behind the object's thumbnail field (staff read it privately)."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 90, 160)).save(buffer, "JPEG")
    private_storage().save(obj.thumbnail.name, io.BytesIO(buffer.getvalue()))


def logged_in_page(page, live_server, analyst):
    client = staff_login(Client(), analyst)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    return page


def test_the_queue_fits_1280_pixels_and_has_no_accessibility_violation(
    page, live_server, analyst, public_object
):
    thumbnail_stored(public_object)
    for number in range(30):
        tip = tip_at(public_object, hours_ago=number, body=TEXTS[number % 3] + f" ({number})")
        grouping.tip_analyse(tip_id=tip.pk)
    tip_at(body="A child in danger, in a video on a forum.", urgent=True, held_by_breaker=True)
    tip_at(public_object, assigned_to=analyst, body=TEXTS[0])
    logged_in_page(page, live_server, analyst)

    page.goto("/backoffice/tips/tip/")

    assert page.get_by_text("Urgent", exact=True).first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert page.evaluate(FITS, "#changelist .results"), "the table scrolls sideways in its box"
    screenshot(page, "queue-1280")
    assert axe_violations(page, impacts=None) == []


def test_the_tip_page_has_no_accessibility_violation(page, live_server, analyst, public_object):
    thumbnail_stored(public_object)
    tips = [tip_at(public_object, hours_ago=hours, body=TEXTS[0]) for hours in range(4)]
    for tip in tips:
        grouping.tip_analyse(tip_id=tip.pk)
    logged_in_page(page, live_server, analyst)

    page.goto(f"/backoffice/tips/tip/{tips[0].pk}/change/")

    assert page.locator("mark.tip-claim").count() >= 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    screenshot(page, "queue-tip-page")
    from axe_playwright_python.sync_playwright import Axe

    for v in Axe().run(page).response["violations"]:
        print("AXE", v["id"], [n["html"][:300] for n in v["nodes"]])
    assert axe_violations(page, impacts=None) == []
