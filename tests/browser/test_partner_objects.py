"""A partner's object in the gallery, as a visitor sees it on a phone and on a desktop."""

from __future__ import annotations

import pytest

from tests.browser.conftest import axe_violations, screenshot
from tests.factories import published_object
from tests.objects.test_network_objects import (  # noqa: F401 (fixtures)
    imported,
    item,
    network_settings,
    partner,
    portal,
    with_image,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [360, 1280])
def test_a_partners_object_shows_in_the_gallery_with_its_owner(
    request, page, width, case, investigator, second_investigator
):
    owner, site = request.getfixturevalue("partner"), request.getfixturevalue("portal")
    published_object(case, investigator, second_investigator, seed=1, title="Striped wallpaper")
    imported(owner, item(images=with_image(site)))
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/nl/")
    card = page.locator(".object-card", has_text="Houten trein")
    assert card.is_visible()
    assert "Gepubliceerd door Politie Nederland" in card.inner_text()
    assert page.locator("#id_owner").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"partner-gallery-{width}")
    assert axe_violations(page) == []
    assert page.outside_requests == []


def test_a_partners_object_says_whose_it_is_in_every_language(
    request, page, settings, case, investigator, second_investigator
):
    """The gallery card and the object page name the owner in each of our languages, on a
    phone and on a desktop, inside the viewport (screenshots: partner-LANG-WIDTH.png)."""
    from django.utils import translation

    owner, site = request.getfixturevalue("partner"), request.getfixturevalue("portal")
    imported(owner, item(images=with_image(site)))
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            said = translation.gettext("Published by %(owner)s") % {"owner": owner.name}
        # Each page is loaded once per language and laid out at both widths (no script of
        # these pages reads the width: CSS alone decides).
        page.set_viewport_size({"width": 360, "height": 900})
        page.goto(f"/{code}/")
        for width in (360, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            line = page.locator(".object-card .object-owner").first
            assert line.is_visible(), code
            assert line.inner_text().strip() == said, code
            box = line.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, code
            assert page.evaluate("document.documentElement.scrollWidth") <= width, code
            screenshot(page, f"partner-{code}-{width}")
        page.locator(".object-card a").first.click()
        page.wait_for_url(f"**/{code}/objects/*/")
        for width in (1280, 360):
            page.set_viewport_size({"width": width, "height": 900})
            assert page.locator("p.object-owner").inner_text().strip() == said, code
            assert page.evaluate("document.documentElement.scrollWidth") <= width, code
            # The link and the embed code read left to right on an Arabic page too: their
            # start shows ("https://…", "<iframe"), not their end.
            for field in ("#share-link", "#embed-snippet"):
                direction = page.locator(field).evaluate("e => getComputedStyle(e).direction")
                assert direction == "ltr", (code, field)
            screenshot(page, f"partner-object-{code}-{width}")
    assert page.outside_requests == []
