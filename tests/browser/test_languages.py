"""Languages in a real browser: the whole tip path, and axe-core on every public page at
1280 and 360 px. In CI English and Arabic; ALL_LANGUAGES=1
runs every language (tests/browser/languages.py), as `make screenshots` shows them all."""

from __future__ import annotations

import os
import re

import pytest
from django.core.cache import caches
from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext

from objects.models import ObjectState, Outcome, TracedObject
from tests.browser.conftest import axe_violations, screenshot
from tests.browser.languages import ALL
from tests.browser.public_pages import PAGES
from tests.factories import published_object
from tips.models import Tip
from tips.services import TipContent, tip_receive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# In CI English and Arabic (the two directions); the other languages' pages are measured by
# test_what_a_person_sees.py and shown by `make screenshots`.
LANGUAGES = ALL if os.environ.get("ALL_LANGUAGES") else ["en", "ar"]
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 740}}
# Pictures only on request: `make screenshots` takes them for every language.
SCREENSHOT_LANGUAGES = ("en", "ar") if os.environ.get("ALL_LANGUAGES") else ()


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


@pytest.fixture
def mug(case, investigator, second_investigator):
    obj = published_object(
        case,
        investigator,
        second_investigator,
        seed=4,
        title="Striped mug",
        questions="Where is this mug sold?",
        region_hint="Europe",
        alt_text="A white mug with blue stripes",
    )
    obj.translations = {"fr": {"title": "Tasse rayée", "alt_text": "Une tasse blanche rayée"}}
    obj.save(update_fields=["translations"])
    return obj


def words(code: str, text: str) -> str:
    with translation.override(code):
        return gettext(text)


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_visitor_sends_a_tip_in_each_language_and_the_receipt_survives_a_reload(
    page, mug, settings, code
):
    settings.ALTCHA_MAX_NUMBER = 20_000  # quick in a headless browser, the same code path
    page.goto(f"/{code}/")
    assert page.locator("html").get_attribute("lang") == code
    page.locator(".object-card a.stretched-link").first.click()
    page.wait_for_url(f"**/{code}/objects/{mug.code}/")
    page.locator(f"a[href='/{code}/objects/{mug.code}/tip/']").click()
    page.wait_for_url(f"**/{code}/objects/{mug.code}/tip/")
    page.get_by_label(words(code, "What do you recognise?")).fill(
        f"Sold at the Blue Lake market ({code})."
    )
    page.get_by_text(words(code, "I am a person, not a program")).click()
    page.get_by_text(words(code, "Checked"), exact=True).wait_for(timeout=60_000)
    page.get_by_role("button", name=words(code, "Send the tip")).click()

    page.wait_for_url(f"**/{code}/receipt/issued/")
    receipt = page.locator("#receipt-code").inner_text(timeout=30_000)
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", receipt)
    assert axe_violations(page) == []
    page.reload()
    assert page.locator("#receipt-code").inner_text() == receipt
    page.go_back()
    page.go_forward()
    assert page.locator("#receipt-code").inner_text() == receipt
    tip = Tip.objects.get()
    assert tip.language == code and tip.body == f"Sold at the Blue Lake market ({code})."

    page.locator(f"header a[href='/{code}/receipt/']").click()
    page.get_by_label(words(code, "Your receipt")).fill(receipt)
    page.get_by_role("button", name=words(code, "Check"), exact=True).click()
    with translation.override(code):
        assert page.locator("#tip-status").inner_text() == pgettext("public tip status", "Received")
    assert f"Sold at the Blue Lake market ({code})." in page.locator(".tipster-text").inner_text()
    assert Tip.objects.count() == 1
    assert page.outside_requests == []


@pytest.fixture
def results_data(mug, case, investigator, second_investigator):
    identified = published_object(case, investigator, second_investigator, seed=2, title="Rug")
    TracedObject.objects.filter(pk=identified.pk).update(
        state=ObjectState.IDENTIFIED,
        outcome=Outcome.COUNTRY_NARROWED,
        identified_at=timezone.now(),
        outcome_public_line="Narrowed to one country.",
    )
    sent = tip_receive(
        content=TipContent(body="Sold in Lisbon, at the corner shop."),
        language="pt",
        traced_object=mug,
    )
    return sent.receipt


def test_axe_finds_nothing_on_any_public_page_in_any_language_at_both_widths(
    browser, live_server, mug, results_data, settings
):
    """One browser context per width, reused for every page: 12 pages × languages × 2."""
    settings.RECEIPT_RATE_LIMITS = [("receipt-network", "network", "1000/h")]
    settings.REPORT_RATE_LIMITS = [("report-closed", "network", "0/h")]  # every POST is a 429
    settings.ALTCHA_VERIFICATION_ENABLED = False  # a valid form, so the budget answers
    failures = []
    for width_name, viewport in WIDTHS.items():
        context = browser.new_context(base_url=live_server.url, viewport=viewport)
        page = context.new_page()
        outside = []
        page.on("request", outside_recorder(live_server.url, outside))
        for code in LANGUAGES:
            for name, visit in PAGES.items():
                visit(page, code, mug=mug, receipt=results_data)
                assert page.locator("html").get_attribute("lang") == code, (name, code)
                failures += [f"{name} {code} {width_name}: {v}" for v in axe_violations(page)]
                if code in SCREENSHOT_LANGUAGES:
                    screenshot(page, f"{name}-{code}-{width_name}")
        assert outside == []
        context.close()
    assert failures == []


def outside_recorder(own: str, outside: list[str]):
    """Collects every request that leaves our own server: a public page must make none."""

    def record(request) -> None:
        if not request.url.startswith((own, "data:", "blob:")):
            outside.append(request.url)

    return record
