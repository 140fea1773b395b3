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
