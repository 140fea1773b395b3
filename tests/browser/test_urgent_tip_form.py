"""The "a child is in danger now" box on an object's tip form, as a visitor meets it: in
every language, at 360 and 1280 px, the box, its label in the page's language and the
emergency numbers beside it are on screen, tappable, and nothing runs off the side."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext

from tests.browser.conftest import TAKE_SCREENSHOTS, screenshot
from tests.browser.languages import ALL
from tests.factories import published_object

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (360, 1280)
SEEN = {"ar", "ja", "de", "en"}  # kept as screenshots for a person to look at

GEOMETRY_JS = """() => {
  const box = document.querySelector('#id_danger_now');
  const label = document.querySelector('label[for=id_danger_now]');
  const number = document.querySelector('.danger-inline .emergency-number');
  const rect = (el) => { const r = el.getBoundingClientRect();
    return {left: r.left, right: r.right, width: r.width, height: r.height}; };
  return {box: rect(box), label: rect(label), labelText: label.innerText.trim(),
          number: rect(number), numberText: number.innerText.trim(),
          scroll: document.documentElement.scrollWidth, inner: window.innerWidth};
}"""


def test_the_danger_box_and_its_numbers_are_on_screen_in_every_language(
    browser, live_server, settings, case, investigator, second_investigator
):
    settings.EMERGENCY_CONTACTS = [("Emergency", "112"), ("Child helpline", "116 111")]
    mug = published_object(case, investigator, second_investigator, seed=4, title="Striped mug")
    wrong = []
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": WIDTHS[0], "height": 800}
    )
    page = context.new_page()
    for code in ALL:
        # The form is loaded once per language and laid out at each width (its scripts do
        # not read the width: CSS alone decides).
        page.set_viewport_size({"width": WIDTHS[0], "height": 800})
        page.goto(f"/{code}/objects/{mug.code}/tip/")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            page.locator("#id_danger_now").scroll_into_view_if_needed()
            seen = page.evaluate(GEOMETRY_JS)
            with translation.override(code):
                label = gettext("A child is in danger now")
            where = f"{code} at {width} px"
            if seen["labelText"] != label:
                wrong.append(f"{where}: label {seen['labelText']!r}, not {label!r}")
            for part in ("box", "label", "number"):
                r = seen[part]
                if r["width"] <= 0 or r["left"] < 0 or r["right"] > seen["inner"]:
                    wrong.append(f"{where}: {part} off screen {r}")
            if seen["box"]["width"] < 16 or seen["box"]["height"] < 16:
                wrong.append(f"{where}: the box is {seen['box']}")
            if seen["numberText"] != "112":
                wrong.append(f"{where}: first number {seen['numberText']!r}")
            if seen["scroll"] > seen["inner"]:
                wrong.append(f"{where}: the page is {seen['scroll']} px wide")
            if code in SEEN and TAKE_SCREENSHOTS:
                page.locator(".danger-inline").screenshot(
                    path=str(screenshot(page, f"urgent-tip-{code}-{width}").with_suffix(".box.png"))
                )
    for width in WIDTHS:
        # Ticking it by its label works (a phone user taps the words, not the box).
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"/en/objects/{mug.code}/tip/")
        page.locator("label[for=id_danger_now]").click()
        assert page.locator("#id_danger_now").is_checked()
    context.close()
    assert wrong == []
