"""The back office by keyboard and for everyone: the queue's and the tip page's shortcuts,
a focus ring nobody can miss, and the home pages and forward page free of any axe finding
(minor ones included). Screenshots at 1280 px go to test-results/."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from moderation.forwarding import tip_forward
from tests.browser.conftest import axe_violations, screenshot
from tests.conftest import staff_login
from tests.factories import bare_object, tip_at
from tips.models import Tip

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def logged_in_page(browser, live_server, user):
    """A browser tab past both factors: the session a real two-factor login leaves."""
    client = staff_login(Client(), user)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context, context.new_page()


def focused(page) -> str:
    return page.evaluate("document.activeElement.outerHTML")


def outline_px(page) -> float:
    width = page.evaluate("getComputedStyle(document.activeElement).outlineWidth")
    return float(width.removesuffix("px"))


def test_the_queue_by_keyboard(browser, live_server, analyst, public_object):
    tips = [tip_at(public_object, hours_ago=hours) for hours in (3, 2, 1)]  # oldest first
    context, page = logged_in_page(browser, live_server, analyst)
    page.goto("/backoffice/tips/tip/?status__exact=new")
    rows = page.locator("#result_list tbody tr")

    page.keyboard.press("j")
    assert rows.nth(0).get_attribute("class").split().count("keys-selected") == 1
    assert f"/tips/tip/{tips[0].pk}/change/" in focused(page)
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert "keys-selected" in rows.nth(1).get_attribute("class")
    assert "keys-selected" not in (rows.nth(0).get_attribute("class") or "")
    assert f"/tips/tip/{tips[1].pk}/change/" in focused(page)
    assert outline_px(page) >= 2

    help_panel = page.locator("#keyboard-help")
    assert help_panel.is_visible() and not help_panel.evaluate("el => el.open")
    page.keyboard.press("?")
    assert help_panel.evaluate("el => el.open")
    assert "Assign the selected tip to me" in help_panel.inner_text()
    screenshot(page, "backoffice-queue-keys")
    page.keyboard.press("?")
    assert not help_panel.evaluate("el => el.open")

    page.keyboard.press("j")  # the help's summary had the focus: back to the rows
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/tips/tip/\d+/change/"))
    assert re.search(r"/tips/tip/(\d+)/change/", page.url).group(1) in {str(tip.pk) for tip in tips}
    context.close()


def test_the_queue_assigns_the_selected_tip_with_a(browser, live_server, analyst, public_object):
    first, second = tip_at(public_object, hours_ago=2), tip_at(public_object, hours_ago=1)
    context, page = logged_in_page(browser, live_server, analyst)
    page.goto("/backoffice/tips/tip/?status__exact=new")

    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("a")
    page.wait_for_load_state()

    assert "1 assigned to you" in page.locator(".messagelist").inner_text()
    assert Tip.objects.get(pk=second.pk).assigned_to == analyst
    assert Tip.objects.get(pk=first.pk).assigned_to is None
    context.close()


def test_the_tip_page_by_keyboard(browser, live_server, analyst, public_object):
    older, tip, newer = (tip_at(public_object, hours_ago=hours) for hours in (3, 2, 1))
    context, page = logged_in_page(browser, live_server, analyst)
    in_new_queue = "?_changelist_filters=status__exact%3Dnew"
    page.goto(f"/backoffice/tips/tip/{tip.pk}/change/{in_new_queue}")
    assert page.locator("#keyboard-help").is_visible()
    page.keyboard.press("j")  # the next tip of the new queue: oldest first
    page.wait_for_url(re.compile(rf"/tips/tip/{newer.pk}/change/"))
    page.keyboard.press("k")
    page.wait_for_url(re.compile(rf"/tips/tip/{tip.pk}/change/"))
    page.keyboard.press("k")
    page.wait_for_url(re.compile(rf"/tips/tip/{older.pk}/change/"))
    page.goto(f"/backoffice/tips/tip/{tip.pk}/change/{in_new_queue}")

    page.keyboard.press("n")
    assert page.evaluate("document.activeElement.tagName") == "TEXTAREA"
    assert page.evaluate("document.activeElement.closest('#tip-notes') !== null")
    page.keyboard.type("a note, not a shortcut")  # typing never fires a key
    assert Tip.objects.get(pk=tip.pk).assigned_to is None

    page.keyboard.press("Escape")
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("r")
    assert 'value="reject_spam"' in focused(page)
    assert outline_px(page) >= 2  # the ring on a focused button
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    screenshot(page, "backoffice-tip-focus-ring")

    page.keyboard.press("Tab")  # leave the button without pressing it
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("a")
    page.wait_for_load_state()
    page.wait_for_selector(".messagelist")
    assert Tip.objects.get(pk=tip.pk).assigned_to == analyst
    context.close()


def test_f_reaches_the_forward_form_and_enter_sends_it(
    browser, live_server, analyst, investigator, second_investigator, public_object
):
    tip = tip_at(public_object)
    context, page = logged_in_page(browser, live_server, analyst)
    page.goto(f"/backoffice/tips/tip/{tip.pk}/change/")
    page.locator("#tip-notes textarea").fill("Shop named: Kaufmarkt, Graz.")  # a note: the summary
    page.get_by_role("button", name="Add the note").click()
    page.wait_for_load_state()
    page.evaluate("document.activeElement.blur()")

    page.keyboard.press("f")
    page.wait_for_url("**/moderation/forward/create/**")
    assert page.locator("#id_summary").input_value() == "Shop named: Kaufmarkt, Graz."
    assert page.evaluate("document.activeElement.value") == "Forward"
    page.keyboard.press("Enter")
    page.wait_for_url("**/tips/tip/**")

    # The case's owners, ticked on the form, each received it.
    assert {forward.to for forward in tip.forwards.all()} == {investigator, second_investigator}
    context.close()


INSIDE_THE_LIST = """header => header.getBoundingClientRect().right
    <= header.closest('.results').getBoundingClientRect().right + 1"""


def check_page(page, name: str) -> None:
    screenshot(page, name)
    assert axe_violations(page, impacts=None) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280  # nothing clipped


def test_the_home_pages_and_the_forward_page_pass_axe_entirely(
    browser,
    live_server,
    analyst,
    investigator,
    second_investigator,
    administrator,
    case,
    public_object,
):
    tip_at(None, urgent=True, body="A child is in danger at the address in the photo, now.")
    tip_at(public_object, hours_ago=5)
    bare_object(case, second_investigator, title="Sam's upload")
    long_tip = tip_at(
        public_object,
        body="The bottle is sold at Kaufmarkt in Graz, aisle 7. "
        + "https://shop.example/"
        + "very-long-path-" * 20,
    )
    (forward,) = tip_forward(
        tips=[long_tip], recipients=[investigator], by=analyst, summary="Strong lead: shop named."
    )

    for user, name in (
        (analyst, "backoffice-home-analyst"),
        (investigator, "backoffice-home-investigator"),
        (administrator, "backoffice-home-administrator"),
    ):
        context, page = logged_in_page(browser, live_server, user)
        page.goto("/backoffice/")
        assert page.locator(".home-counts").first.is_visible()
        check_page(page, name)
        if user == investigator:
            page.goto("/backoffice/moderation/forward/")
            check_page(page, "backoffice-forward-inbox")
            for column in ("Acknowledged", "Outcome"):  # inside the list's box, not clipped
                header = page.get_by_role("columnheader", name=column)
                assert header.evaluate(INSIDE_THE_LIST), column
            page.goto(f"/backoffice/moderation/forward/{forward.pk}/change/")
            assert page.locator("#forward-object").is_visible()
            check_page(page, "backoffice-forward-page")
        context.close()
