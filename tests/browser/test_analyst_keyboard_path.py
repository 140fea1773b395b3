"""Issue #10's path, as a new analyst walks it: a real two-factor login, "Take the next tip"
reached from the skip link, the tip's page showing the object's image and its question beside the tip,
a note and the forward done with the keyboard alone, then the case owner opening the
forward with the object's image. Every key press is counted: the closing note quotes them
(before this work: about 9 clicks, 2 text boxes, and 37 Tab presses to reach the first tip).
"""

from __future__ import annotations

import re

import pytest

from moderation.models import Forward
from tests.browser.conftest import axe_violations, screenshot
from tests.browser.test_back_office import log_in, with_authenticator
from tests.factories import published_object, received
from tips.models import TipStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Keys:
    """The analyst's keyboard, counting what is pressed and typed."""

    def __init__(self, page):
        self.page, self.presses, self.typed = page, [], 0

    def press(self, key: str) -> None:
        self.presses.append(key)
        self.page.keyboard.press(key)

    def type(self, text: str) -> None:
        self.typed += 1
        self.page.keyboard.type(text)

    def focused(self) -> str:
        """The focused control's HTML ("" while the page itself has the focus)."""
        return self.page.evaluate(
            "document.activeElement === document.body ? '' : document.activeElement.outerHTML"
        )


def loaded_image(page, selector: str) -> bool:
    return page.locator(selector).evaluate("img => img.complete && img.naturalWidth > 0")


def test_take_next_then_forward_by_keyboard_then_the_case_owner_sees_it_with_the_image(
    browser, live_server, case, investigator, second_investigator, analyst
):
    wallpaper = published_object(
        case, investigator, second_investigator, questions="Where is this wallpaper sold?"
    )
    tip = received(wallpaper, body="This wallpaper is sold by Tapetenhaus in Linz.")
    ana_device = with_authenticator(analyst)
    ines_device = with_authenticator(investigator)

    context, page = log_in(browser, live_server, "ana", ana_device)
    page.goto("/backoffice/tips/tip/")
    keys = Keys(page)
    # Django's "Skip to main content" link, then the first control of the queue.
    keys.press("Tab")
    assert "Skip to main content" in keys.focused()
    keys.press("Enter")
    keys.press("Tab")
    assert "Take the next tip" in keys.focused()
    keys.press("Enter")
    page.wait_for_url(re.compile(rf"/backoffice/tips/tip/{tip.pk}/change/"))

    # The object beside the tip: its image (loaded), its question, its board.
    assert loaded_image(page, "#tip-object img")
    beside = page.locator("#tip-object").inner_text()
    assert "Where is this wallpaper sold?" in beside and wallpaper.code in beside
    assert "This wallpaper is sold by Tapetenhaus in Linz." in page.locator("#content").inner_text()
    screenshot(page, "workbench-tip-page")
    assert axe_violations(page, impacts=None) == []

    # n: the note box; Tab, Enter: "Add the note". f: the forward form, its summary
    # prefilled from that note and the case owners ticked; Enter sends it.
    keys.press("n")
    keys.type("Shop named: Tapetenhaus, Linz. Strong lead.")
    keys.press("Tab")
    assert "Add the note" in keys.focused()
    keys.press("Enter")
    page.wait_for_selector("#tip-notes >> text=Shop named: Tapetenhaus")
    keys.press("f")
    page.wait_for_url("**/moderation/forward/create/**")
    assert (
        page.locator("#id_summary").input_value() == "Shop named: Tapetenhaus, Linz. Strong lead."
    )
    assert 'value="Forward"' in keys.focused()
    screenshot(page, "workbench-forward-form")
    assert axe_violations(page, impacts=None) == []
    keys.press("Enter")
    page.wait_for_url(re.compile(r"/backoffice/tips/tip/"))
    tip.refresh_from_db()
    assert tip.status == TipStatus.FORWARDED
    assert {forward.to for forward in Forward.objects.filter(tip=tip)} == {
        investigator,
        second_investigator,
    }
    # From the queue to the case owners' inboxes: nine key presses and one text typed.
    assert keys.presses == [
        *("Tab", "Enter", "Tab", "Enter"),  # skip the menus, "Take the next tip"
        *("n", "Tab", "Enter"),  # the note (typed after n), added
        *("f", "Enter"),  # the forward form, sent
    ]
    assert keys.typed == 1
    context.close()

    # The case owner, with their own second factor, opens it from the inbox: tip and image.
    context, page = log_in(browser, live_server, "ines", ines_device)
    page.goto("/backoffice/moderation/forward/")
    page.get_by_role("link", name=str(tip.pk)).first.click()
    page.wait_for_url(re.compile(r"/backoffice/moderation/forward/\d+/change/"))
    assert "This wallpaper is sold by Tapetenhaus in Linz." in page.content()
    assert "Shop named: Tapetenhaus, Linz. Strong lead." in page.content()
    assert loaded_image(page, "#forward-object img")
    screenshot(page, "workbench-forward-received")
    assert axe_violations(page, impacts=None) == []
    context.close()
