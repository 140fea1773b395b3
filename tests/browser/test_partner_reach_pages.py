"""A partner's object where it travels, in every language, on a phone and on a desktop: the
receipt of a tip relayed to its owner, the embeddable card and the poster each name the
agency that published it, translated and inside the page (screenshots: partner-*-LANG-*.png).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.utils import translation
from pypdf import PdfReader

from tests.browser.conftest import SCREENSHOTS, screenshot
from tests.browser.languages import ALL
from tests.objects.test_network_objects import (  # noqa: F401 (fixtures)
    imported,
    item,
    network_settings,
    partner,
    portal,
    with_image,
)
from tips.services import TipContent, tip_receive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ALL  # every language, in CI too
WIDTHS = (360, 1280)
# A long agency name, as a real one is: it must wrap, never widen the page.
OWNER = "Landeskriminalamt Nordrhein-Westfalen, Dezernat 12"
RELAYED = (
    "This object was published by %(owner)s. Your tip was passed on to them; their "
    "analysts' questions will appear on this page."
)
PUBLISHED_BY = "Published by %(owner)s"
A4_POINTS = (595.28, 841.89)
A4_CSS_PX = {"width": 794, "height": 1123}  # 210 × 297 mm at 96 px per inch


@pytest.fixture
def theirs(request):
    owner, site = request.getfixturevalue("partner"), request.getfixturevalue("portal")
    owner.name = OWNER
    owner.save(update_fields=["name"])
    [obj] = imported(owner, item(images=with_image(site)))
    return obj


def said(code: str, msgid: str) -> str:
    with translation.override(code):
        return translation.gettext(msgid) % {"owner": OWNER}


def flat(text: str) -> str:
    return " ".join(text.split())


def assert_inside(page, locator, width: int, label: str) -> None:
    """Shown, within the viewport's width, and the page does not scroll sideways."""
    assert locator.is_visible(), label
    box = locator.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (label, box)
    assert page.evaluate("document.documentElement.scrollWidth") <= width, label


def assert_translated(code: str, msgid: str, shown: str) -> None:
    assert flat(shown) == flat(said(code, msgid)), code
    assert OWNER in flat(shown), code
    if code != "en":
        assert flat(shown) != flat(said("en", msgid)), f"{code}: still in English"


def test_the_receipt_of_a_relayed_tip_names_the_owner_in_every_language(page, settings, theirs):
    settings.RECEIPT_RATE_LIMITS = [("receipt-network", "network", "1000/h")]
    caches["ratelimit"].clear()
    receipt = tip_receive(
        content=TipContent(body="Sold in Düsseldorf, at the toy shop by the station."),
        language="de",
        traced_object=theirs,
    ).receipt
    for code in LANGUAGES:
        # The receipt is looked up once per language; the page it answers is then laid out
        # at each width (the page has no script that reads the width: CSS alone decides).
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        page.goto(f"/{code}/receipt/")
        page.locator("#id_receipt").fill(receipt)
        page.locator("main form button[type=submit]").click()
        page.locator("#tip-status").wait_for()
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            line = page.locator("p.relayed-to")
            label = f"{code} {width}"
            assert_inside(page, line, width, label)
            assert_translated(code, RELAYED, line.inner_text())
            screenshot(page, f"partner-receipt-{code}-{width}")
    assert page.outside_requests == []


def test_the_card_of_a_partners_object_names_the_owner_in_every_language(page, theirs):
    """At the iframe's size (360 × 540), its narrowest (280) and opened on its own (1280):
    the line, the button and the code all inside, nothing to scroll."""
    for code in LANGUAGES:
        page.set_viewport_size({"width": 280, "height": 540})
        page.goto(f"/{code}/embed/objects/{theirs.code}/")  # once, laid out at each width
        for width in (280, *WIDTHS):
            page.set_viewport_size({"width": width, "height": 540})
            label = f"{code} {width}"
            line = page.locator(".card p.owner")
            assert_inside(page, line, width, label)
            assert_translated(code, PUBLISHED_BY, line.inner_text())
            for part in (".image img", ".button", ".code"):
                box = page.locator(part).bounding_box()
                assert box and box["y"] >= 0 and box["y"] + box["height"] <= 540.5, (label, part)
                assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (label, part)
            image = page.locator(".image img").bounding_box()
            assert image["height"] >= 100, (label, image)  # still a picture, not a stamp
            assert page.evaluate("document.documentElement.scrollHeight") <= 540, label
            if width != 280:
                screenshot(page, f"partner-card-{code}-{width}")
    assert page.outside_requests == []


def test_the_poster_of_a_partners_object_names_the_owner_in_every_language(page, theirs):
    """On screen at both widths, then as printed: one A4 sheet that hides nothing."""
    for code in LANGUAGES:
        page.emulate_media(media="screen")
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        page.goto(f"/{code}/objects/{theirs.code}/poster/")  # once, laid out at each width
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            line = page.locator(".sheet .poster-owner")
            assert_inside(page, line, width, f"{code} {width}")
            assert_translated(code, PUBLISHED_BY, line.inner_text())
            screenshot(page, f"partner-poster-{code}-{width}")
        page.emulate_media(media="print")
        page.set_viewport_size(A4_CSS_PX)
        sheet = page.locator(".sheet")
        # The sheet clips what would spill over: nothing may need clipping.
        assert sheet.evaluate("s => s.scrollHeight <= s.clientHeight + 1"), code
        bottom = sheet.evaluate("s => s.getBoundingClientRect().bottom")
        for part in (".poster-owner", ".poster-tip", ".poster-danger"):
            box = page.locator(part).bounding_box()
            assert box["y"] + box["height"] <= bottom + 0.5, (code, part)
        image = page.locator(".poster-image img").bounding_box()
        assert image["height"] >= 300, (code, image)  # the object stays the poster's centre
        reader = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=True)))
        assert len(reader.pages) == 1, code
    assert page.outside_requests == []


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="needs poppler-utils (pdftoppm)")
def test_object_posters_prints_a_partners_object_on_one_a4_page_naming_its_owner(
    theirs, tmp_path, poster_host
):
    call_command("object_posters", theirs.code, "--out", str(tmp_path))
    for code in LANGUAGES:
        pdf = tmp_path / f"{theirs.code}-{code}.pdf"
        reader = PdfReader(pdf)
        assert len(reader.pages) == 1, code
        box = reader.pages[0].mediabox
        assert (float(box.width), float(box.height)) == pytest.approx(A4_POINTS, abs=1), code
        text = flat(reader.pages[0].extract_text())
        assert re.search(r"Landeskriminalamt\s*Nordrhein-\s*Westfalen", text), code
    SCREENSHOTS.mkdir(exist_ok=True)
    for code in ("ar", "de", "el", "ga"):
        stem = tmp_path / f"{theirs.code}-{code}"
        subprocess.run(
            ["pdftoppm", "-r", "80", "-png", "-singlefile", f"{stem}.pdf", str(stem)], check=True
        )
        shutil.copy(f"{stem}.png", SCREENSHOTS / f"partner-poster-print-{code}.png")


# The longest a partner may send: a 200-character name (network.models.Partner), a
# 120-character title and a long question, in the language whose words run longest.
LONGEST_NAME = (
    "Ministerstvo vnitra, Policejní prezidium České republiky, Národní centrála proti "
    "organizovanému zločinu, Útvar pro ochranu dětí a mládeže před sexuálním zneužíváním, "
    "oddělení identifikace obětí"
)[:200]
LONGEST_TITLE = ("Handgewebter Wandteppich mit Streifenmuster und Fransen aus einer " * 3)[:120]
LONG_QUESTION = (
    "Wo wurde dieser Wandteppich verkauft, und haben Sie ihn in einem Hotel gesehen? " * 5
)


@pytest.fixture
def theirs_at_length(request):
    owner, site = request.getfixturevalue("partner"), request.getfixturevalue("portal")
    owner.name = LONGEST_NAME
    owner.save(update_fields=["name"])
    texts = {"en": {"title": LONGEST_TITLE, "description": LONG_QUESTION}}
    [obj] = imported(owner, item(translations=texts, images=with_image(site)))
    return obj


@pytest.mark.parametrize("code", ["en", "ga", "fi", "ar"])
def test_the_longest_partner_texts_still_fit_the_card_and_the_poster(page, theirs_at_length, code):
    obj = theirs_at_length
    for width in (280, 360):
        page.set_viewport_size({"width": width, "height": 540})
        page.goto(f"/{code}/embed/objects/{obj.code}/")
        screenshot(page, f"partner-card-longest-{code}-{width}")
        label = f"{code} card {width}"
        for part in (".owner", ".button", ".code"):
            box = page.locator(part).bounding_box()
            assert box and box["y"] + box["height"] <= 540.5, (label, part, box)
        assert page.locator(".image img").bounding_box()["height"] >= 100, label
        assert page.evaluate("document.documentElement.scrollWidth") <= width, label
    for size, viewport in (("a4", A4_CSS_PX), ("a3", {"width": 1123, "height": 1587})):
        page.emulate_media(media="print")
        page.set_viewport_size(viewport)
        page.goto(f"/{code}/objects/{obj.code}/poster/?size={size}")
        sheet = page.locator(".sheet")
        assert sheet.evaluate("s => s.scrollHeight <= s.clientHeight + 1"), (code, size)
        image = page.locator(".poster-image").bounding_box()  # the room the picture has
        assert image["height"] >= viewport["height"] * 0.25, (code, size, image)
        reader = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=True)))
        assert len(reader.pages) == 1, (code, size)
        page.emulate_media(media="screen")
        screenshot(page, f"partner-poster-longest-{code}-{size}")
