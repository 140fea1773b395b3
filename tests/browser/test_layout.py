import pytest

from tests.browser.conftest import axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_sees_the_site_layout_and_reaches_the_footer_pages(page):
    page.goto("/en/")
    assert page.title() == "Trace an Object"
    assert page.locator("main h1").is_visible()
    screenshot(page, "layout-home")
    assert axe_violations(page) == []

    page.get_by_role("link", name="Privacy").click()
    assert page.locator("h1").inner_text() == "Privacy"
    page.get_by_role("link", name="About this site").click()
    assert page.locator("h1").inner_text() == "About this site"
    assert page.outside_requests == []


def test_bootstrap_styles_load_from_our_own_server(page):
    page.goto("/en/")
    # Bootstrap's reboot sets the body font; without the stylesheet it would be the default serif.
    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "system-ui" in font or "Segoe UI" in font
    assert page.outside_requests == []
