"""A visitor browses the gallery in Chromium, filters it and opens an object.

Media files need no URL of ours here: Django's live server serves MEDIA_URL from
MEDIA_ROOT itself (each test's own folder, see tests/conftest.py).
"""

from __future__ import annotations

import pytest

from objects.models import Category, ObjectState, Outcome, TracedObject
from tests.browser.conftest import axe_violations, screenshot
from tests.factories import published_object

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def gallery_objects(case, investigator, second_investigator):
    made = [
        published_object(
            case,
            investigator,
            second_investigator,
            seed=seed,
            title=title,
            category=category,
            region_hint=region,
            alt_text=alt,
            questions="Where is this sold?\nDo you know the brand?",
        )
        for seed, (title, category, region, alt) in enumerate(
            [
                ("Striped wallpaper", Category.TEXTILE, "Europe", "Wallpaper with blue stripes"),
                ("Teddy bear", Category.TOY, "Europe", "A brown teddy bear with a dark patch"),
                ("Shampoo bottle", Category.PACKAGING, "South-East Asia", "A bottle, side view"),
                ("Checked curtain", Category.TEXTILE, "", "A curtain with a checked pattern"),
            ]
        )
    ]
    TracedObject.objects.filter(pk=made[0].pk).update(
        state=ObjectState.IDENTIFIED,
        outcome=Outcome.COUNTRY_NARROWED,
        outcome_public_line="The country was narrowed down thanks to your tips.",
    )
    return made


def test_a_visitor_filters_the_gallery_and_opens_an_object(page, gallery_objects):
    page.goto("/en/")
    thumbnails = page.locator("img.object-thumb")
    assert thumbnails.count() == 4
    for index in range(4):
        thumbnail = thumbnails.nth(index)
        thumbnail.scroll_into_view_if_needed()
        assert thumbnail.is_visible()
        thumbnail.evaluate(
            "img => img.complete ? null : new Promise(done => img.addEventListener('load', done))"
        )
        assert thumbnail.evaluate("img => img.naturalWidth") > 0
    assert page.get_by_text("4 objects published · 1 identified").is_visible()
    assert page.locator(".object-card .badge-identified").count() == 1
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "gallery")
    assert axe_violations(page) == []

    # Keyboard users see where they are: the focused card gets an outline.
    page.get_by_role("link", name="Teddy bear").focus()
    card = page.locator(".object-card", has_text="Teddy bear")
    assert card.evaluate("card => getComputedStyle(card).outlineStyle") == "solid"
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "gallery-mobile")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_label("Category", exact=True).select_option(Category.TOY)
    page.get_by_role("button", name="Show objects").click()
    page.wait_for_url("**/?category=toy*")
    assert page.locator(".object-card").count() == 1

    page.get_by_role("link", name="Teddy bear").click()
    page.wait_for_url(f"**/objects/{gallery_objects[1].code}/")
    assert page.locator("h1").inner_text() == "Teddy bear"
    image = page.get_by_alt_text("A brown teddy bear with a dark patch")
    assert image.is_visible()
    assert image.evaluate("img => img.naturalWidth") > 0
    tip = page.get_by_role("link", name="Send a tip")
    assert tip.is_visible()
    assert tip.get_attribute("href") == f"/en/objects/{gallery_objects[1].code}/tip/"
    assert page.get_by_text("Open: we are still looking").is_visible()
    screenshot(page, "object-page")
    assert axe_violations(page) == []

    assert page.outside_requests == []
