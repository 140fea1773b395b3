"""What a visitor sees, measured in the rendered page rather than looked up in the HTML: the
chart's bars, the open language menu on a phone, the contrast of every control, the status
word, a long paste, the right-to-left layout, and emoji and Arabic text after a round trip.

One browser context per width is reused across languages (tests/browser/languages.py says
which: a representative set in CI, all 28 with ALL_LANGUAGES=1)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext

from tests.browser.languages import ALL, browser_languages, widest_language
from tests.conftest import staff_login
from tests.factories import published_object
from tips.models import Tip
from tips.services import TipContent, tip_receive
from traceobject.text import OVER_TEXT, TOO_LONG

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = browser_languages()
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
# A family of three (man, woman, girl joined by two zero-width joiners), Scotland's flag
# (tag characters), and Arabic with an embedded Latin word.
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
SCOTLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"
ARABIC = "رأيت هذا الكوب في سوق Blue Lake يوم الجمعة"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


@pytest.fixture
def mug(case, investigator, second_investigator):
    return published_object(case, investigator, second_investigator, seed=4, title="Striped mug")


@pytest.fixture
def context_at(browser, live_server):
    """context_at(PHONE) -> a page; one context per viewport, closed at the end."""
    contexts = []

    def open_page(viewport, **options):
        context = browser.new_context(base_url=live_server.url, viewport=viewport, **options)
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def in_language(code: str, text: str, context: str = "") -> str:
    with translation.override(code):
        return pgettext(context, text) if context else gettext(text)


def test_the_results_chart_draws_a_bar_of_positive_size_in_each_month_with_tips(context_at, mug):
    now = timezone.now()
    two_months_ago = (now.replace(day=1) - timedelta(days=1)).replace(day=1) - timedelta(days=1)
    for when, count in ((now, 3), (two_months_ago.replace(day=15), 1)):
        for _ in range(count):
            sent = tip_receive(
                content=TipContent(body="Seen at the market."), traced_object=mug, language="en"
            )
            Tip.objects.filter(pk=sent.tip.pk).update(received_at=when)
    page = context_at(DESKTOP)
    for code in LANGUAGES:
        caches["default"].clear()
        page.goto(f"/{code}/results/")
        chart = page.evaluate(
            """() => {
              const svg = document.querySelector('.results-chart svg').getBoundingClientRect();
              const bars = [...document.querySelectorAll('.results-chart rect')].map(r => {
                const b = r.getBoundingClientRect();
                return {x: b.x - svg.x, w: b.width, h: b.height, bottom: b.bottom - svg.y};
              });
              const labels = [...document.querySelectorAll('.results-chart text')].slice(2)
                .map(t => t.getBoundingClientRect().x - svg.x);
              return {width: svg.width, height: svg.height, bars, labels};
            }"""
        )
        bars = chart["bars"]
        assert len(bars) == 12, code
        drawn = [bar for bar in bars if bar["h"] > 0]
        assert len(drawn) == 2 and all(bar["w"] > 10 for bar in bars), (code, bars)
        assert bars[-1]["h"] > bars[-3]["h"] > 0, code  # 3 tips this month, 1 two months ago
        xs = [bar["x"] for bar in bars]
        assert xs == sorted(xs) and xs[0] > 20 and xs[-1] < chart["width"], (code, xs)
        assert all(abs(bar["bottom"] - bars[0]["bottom"]) < 1 for bar in bars), code
        labels = chart["labels"]
        assert labels == sorted(labels) and labels[-1] - labels[0] > chart["width"] / 2, code


def test_the_open_language_menu_lies_inside_a_360_pixel_screen_in_every_language(context_at, mug):
    page = context_at(PHONE)
    outside = []
    visits = [(code, "/") for code in LANGUAGES] + [("en", f"/objects/{mug.code}/tip/")]
    for code, path in visits:
        page.goto(f"/{code}{path}")
        page.locator(".language-switcher summary").click()
        boxes = page.evaluate(
            """() => [...document.querySelectorAll('.language-switcher[open] ul, '
               + '.language-switcher[open] li a')].map(e => {
                 const b = e.getBoundingClientRect();
                 return [e.textContent.trim(), b.left, b.right, b.width];
               })"""
        )
        assert len(boxes) == len(ALL) + 1, code
        outside += [
            (code, path, box)
            for box in boxes
            if box[1] < 0 or box[2] > PHONE["width"] or box[3] <= 0
        ]
    assert outside == []


CONTRAST_JS = """() => {
  const lum = c => {
    const [r, g, b] = c.match(/[\\d.]+/g).slice(0, 3).map(v => {
      v = v / 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const opaque = c => { const p = c.match(/[\\d.]+/g); return p && (p.length < 4 || +p[3] > 0.5); };
  const background = e => {
    for (let n = e.parentElement; n; n = n.parentElement) {
      const c = getComputedStyle(n).backgroundColor;
      if (opaque(c)) return c;
    }
    return 'rgb(255, 255, 255)';
  };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const found = [];
  const controls = document.querySelectorAll(
    'main input:not([type=hidden]), main select, main textarea, main button, main summary, '
    + '.form-check-input, .altcha');
  for (const e of controls) {
    const s = getComputedStyle(e), box = e.getBoundingClientRect();
    if (box.width === 0 || s.visibility === 'hidden' || e.closest('.honeypot')) continue;
    const bg = background(e);
    const own = opaque(s.backgroundColor) ? s.backgroundColor : bg;
    // A control is found by its border, or by its own fill against the page.
    const border = parseFloat(s.borderTopWidth) > 0 && opaque(s.borderTopColor)
      ? ratio(s.borderTopColor, bg) : 0;
    const fill = ratio(own, bg);
    const best = Math.max(border, fill);
    if (best < 3) found.push(`${e.tagName}#${e.id || e.className}: ${best.toFixed(2)}`);
  }
  return found;
}"""

FOCUS_RING_JS = """(selector) => {
  const e = document.querySelector(selector); e.focus();
  const s = getComputedStyle(e);
  return {style: s.outlineStyle, width: parseFloat(s.outlineWidth), color: s.outlineColor};
}"""


def test_every_control_on_the_public_forms_stands_out_at_least_three_to_one(context_at, mug):
    sent = tip_receive(
        content=TipContent(body="Seen at the market."), traced_object=mug, language="en"
    )
    page = context_at(DESKTOP)
    weak = []
    for code in ("en", "ar"):  # the colours do not change with the language; the side does
        for path in (f"/objects/{mug.code}/tip/", "/report/", "/receipt/"):
            page.goto(f"/{code}{path}")
            page.locator("altcha-widget, main form").first.wait_for()
            weak += [f"{code}{path} {item}" for item in page.evaluate(CONTRAST_JS)]
        page.goto(f"/{code}/receipt/")
        page.locator("#id_receipt").fill(sent.receipt)
        page.locator("main form button[type=submit]").click()
        page.locator("#tip-status").wait_for()
        weak += [f"{code} status {item}" for item in page.evaluate(CONTRAST_JS)]
    assert weak == []

    # Focus rings: the tick boxes and the proof-of-work box show a ring of at least 2 px.
    page.goto("/en/report/")
    page.locator(".altcha-checkbox input").wait_for()
    for selector in ("#id_danger_now", "#id_contact_consent", ".altcha-checkbox input"):
        page.keyboard.press("Tab")  # focus-visible comes with the keyboard
        ring = page.evaluate(FOCUS_RING_JS, selector)
        assert ring["style"] != "none" and ring["width"] >= 2, (selector, ring)


def test_the_receipt_status_page_shows_the_status_word_in_each_language(context_at, mug):
    sent = tip_receive(
        content=TipContent(body="Seen at the market."), traced_object=mug, language="en"
    )
    page = context_at(PHONE)
    for code in LANGUAGES:
        page.goto(f"/{code}/receipt/")
        page.locator("#id_receipt").fill(sent.receipt)
        page.locator("main form button[type=submit]").click()
        status = page.locator("#tip-status").inner_text()
        assert status == in_language(code, "Received", "public tip status"), code
        label = page.locator("#tip-status").locator("xpath=../preceding-sibling::dt[1]")
        assert label.inner_text() == in_language(code, "Status"), code


def test_a_10000_character_paste_is_kept_whole_with_a_counter_and_a_clear_notice(
    context_at, mug, settings
):
    settings.ALTCHA_VERIFICATION_ENABLED = False
    pasted = ("Blue Lake market, third stall. " * 400)[:10_000]
    page = context_at(PHONE)
    for code in ("en", "ar", widest_language()):
        page.goto(f"/{code}/objects/{mug.code}/tip/")
        page.locator("#id_body").fill(pasted)
        assert page.locator("#id_body").input_value() == pasted, code  # nothing cut
        counter = page.locator("#id_body-counter")
        assert counter.is_visible(), code
        digits = page.evaluate(
            "([a, b]) => [a, b].map(n => new Intl.NumberFormat(document.documentElement.lang)"
            ".format(n))",
            [10_000, 5_000],
        )
        expected = (
            in_language(code, str(OVER_TEXT))
            .replace("{count}", digits[0])
            .replace("{max}", digits[1])
        )
        assert counter.inner_text() == expected, code
        assert "char-counter-over" in (counter.get_attribute("class") or ""), code
        box = counter.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], code
    # Without JavaScript the server says the same and gives the text back.
    bare = context_at(PHONE, java_script_enabled=False)
    bare.goto(f"/fr/objects/{mug.code}/tip/")
    bare.locator("#id_body").fill(pasted)
    bare.locator("main form button[type=submit]").click()
    assert bare.locator("#id_body").input_value().replace("\r\n", "\n") == pasted
    with translation.override("fr"):
        notice = str(TOO_LONG % {"show_value": 10_000, "limit_value": 5_000})
    assert notice.split("10")[0].strip() in bare.locator("main").inner_text()
    assert Tip.objects.count() == 0


def test_an_arabic_page_reads_right_to_left_with_the_brand_on_the_right(context_at, mug):
    for viewport in (PHONE, DESKTOP):
        page = context_at(viewport)
        page.goto("/ar/")
        assert page.locator("html").get_attribute("dir") == "rtl"
        sheets = page.evaluate("[...document.styleSheets].map(s => s.href || '')")
        assert any(sheet.endswith("bootstrap.rtl.min.css") for sheet in sheets)
        brand = page.locator(".navbar-brand").bounding_box()
        assert brand["x"] + brand["width"] > viewport["width"] * 0.6, viewport
        # Numbers in groups keep their order on a right-to-left page: "116 111", not "111 116".
        page.goto("/ar/report/")
        for link in page.locator(".emergency-number").all():
            digits = link.evaluate(
                "e => { const r = document.createRange(); const t = e.firstChild.firstChild;"
                " r.setStart(t, 0); r.setEnd(t, 3); const first = r.getBoundingClientRect().x;"
                " r.setStart(t, t.length - 3); r.setEnd(t, t.length);"
                " return [t.length, first, r.getBoundingClientRect().x]; }"
            )
            assert digits[0] <= 3 or digits[1] < digits[2], digits
        page.goto("/en/")
        brand = page.locator(".navbar-brand").bounding_box()
        assert brand["x"] < viewport["width"] * 0.4, viewport
        assert page.locator("html").get_attribute("dir") is None


def test_emoji_sequences_and_arabic_text_survive_a_round_trip_through_staff_and_receipt(
    context_at, client, analyst, settings
):
    settings.ALTCHA_VERIFICATION_ENABLED = False
    written = f"{FAMILY} {SCOTLAND} {ARABIC}\u202e evil\u202c"
    page = context_at(DESKTOP)
    page.goto("/ar/report/")
    page.locator("#id_body").fill(written)
    page.locator("main form button[type=submit]").click()
    receipt = page.locator("#receipt-code").inner_text()
    tip = Tip.objects.get()
    kept = f"{FAMILY} {SCOTLAND} {ARABIC} evil"  # the override characters go, the rest stays
    assert tip.body == kept

    staff = staff_login(client, analyst)
    shown = staff.get(reverse("admin:tips_tip_change", args=[tip.pk])).content.decode()
    assert FAMILY in shown and SCOTLAND in shown and ARABIC in shown and "\u202e" not in shown

    page.goto("/ar/receipt/")
    page.locator("#id_receipt").fill(receipt)
    page.locator("main form button[type=submit]").click()
    box = page.locator(".tipster-text").first
    assert box.get_attribute("dir") == "auto"
    assert box.inner_text().strip() == kept
    assert page.evaluate("getComputedStyle(document.querySelector('.tipster-text')).direction") == (
        "rtl"
    )


def test_the_added_information_is_on_the_page_that_thanks_for_it(context_at, mug):
    sent = tip_receive(
        content=TipContent(body="Seen at the market."), traced_object=mug, language="en"
    )
    page = context_at(PHONE)
    page.goto("/de/receipt/")
    page.locator("#id_receipt").fill(sent.receipt)
    page.locator("main form button[type=submit]").click()
    page.locator("#id_body").fill("Am dritten Stand vom Nordeingang.")
    page.locator("main form[action$='/receipt/add/'] button[type=submit]").click()
    page.locator(".alert-success").wait_for()
    assert "Am dritten Stand vom Nordeingang." in page.locator("main").inner_text()
