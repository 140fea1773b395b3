"""The embeddable card in Chromium, framed by another site.

The "other site" is a tiny http.server on another port of the loopback: another origin,
as a newspaper's page would be.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.browser.conftest import SCREENSHOTS, axe_violations, screenshot
from tests.factories import published_object

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shown_object(case, investigator, second_investigator):
    return published_object(
        case,
        investigator,
        second_investigator,
        seed=2,
        title="Striped wallpaper",
        questions="Where is this wallpaper sold? Have you seen it in a hotel or a flat?",
        region_hint="Europe",
    )


@pytest.fixture
def other_site() -> Iterator[dict]:
    """Serves whatever HTML the test puts in site["html"] at /, from another origin."""
    site: dict = {"html": ""}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = site["html"].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # port 0: a free one
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site["url"] = f"http://127.0.0.1:{server.server_address[1]}/"
    yield site
    server.shutdown()
    server.server_close()


def _frame(page, url_part: str):
    return next(frame for frame in page.frames if url_part in frame.url)


def test_another_site_frames_the_card_and_no_other_page(
    browser, live_server, shown_object, other_site
):
    card_url = f"{live_server.url}/fr/embed/objects/{shown_object.code}/"
    refused_url = f"{live_server.url}/fr/objects/{shown_object.code}/"
    other_site["html"] = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>A local newspaper</title></head><body style="font-family:sans-serif;margin:24px">
<h1>Can you help the police?</h1><p>Police published this object. Do you know it?</p>
<iframe id="card" src="{card_url}" width="360" height="540" title="Card"
 style="border:0"></iframe>
<iframe id="page" src="{refused_url}" width="360" height="200" title="Page"></iframe>
</body></html>"""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    refused = []
    page.on("console", lambda message: refused.append(message.text))
    page.goto(other_site["url"])
    page.wait_for_load_state("load")

    card = _frame(page, "/embed/objects/")
    image = card.locator(".image img")
    image.wait_for()
    assert image.evaluate("img => img.complete && img.naturalWidth") > 0
    assert card.locator("h1").inner_text() == "Striped wallpaper"
    button = card.get_by_role("link", name="Envoyer un renseignement")
    assert button.get_attribute("target") == "_blank"
    assert button.get_attribute("href") == refused_url
    # The whole card, image and button included, inside the 360 × 540 frame, unscrolled.
    frame_box = page.locator("#card").bounding_box()
    for element in (image, button, card.locator(".code")):
        box = element.bounding_box()
        assert box["x"] >= frame_box["x"] and box["y"] >= frame_box["y"]
        assert box["x"] + box["width"] <= frame_box["x"] + frame_box["width"] + 0.5
        assert box["y"] + box["height"] <= frame_box["y"] + frame_box["height"] + 0.5
    image_box = image.bounding_box()
    assert image_box["width"] >= 300 or image_box["height"] >= 200  # large, not a stamp
    assert card.evaluate("document.scripts.length") == 0
    assert card.evaluate("document.documentElement.scrollHeight") <= 540
    # The object page itself is refused inside another site's frame.
    blocked = _frame(page, "chrome-error://")
    assert blocked.url.startswith("chrome-error://")
    assert any("frame-ancestors" in text for text in refused)
    assert context.cookies() == []

    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "reach-card-embedded-1280.png"), full_page=True)
    page.set_viewport_size({"width": 360, "height": 900})
    page.screenshot(path=str(SCREENSHOTS / "reach-card-embedded-360.png"), full_page=True)
    context.close()


def test_the_card_works_with_javascript_off_sets_no_cookie_and_axe_finds_nothing(
    browser, live_server, shown_object
):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 540})
    page = context.new_page()
    response = page.goto(f"{live_server.url}/en/embed/objects/{shown_object.code}/")
    assert "set-cookie" not in response.headers
    assert page.locator(".image img").evaluate("img => img.naturalWidth") > 0
    assert page.get_by_role("link", name="Send a tip").is_visible()
    assert context.cookies() == []
    context.close()

    context = browser.new_context(viewport={"width": 360, "height": 540})
    page = context.new_page()
    page.goto(f"{live_server.url}/en/embed/objects/{shown_object.code}/")
    assert axe_violations(page, impacts=None) == []
    screenshot(page, "reach-card-360x540")
    context.close()
