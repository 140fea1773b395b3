"""`make screenshots`: every public page in every language at 360 and 1280 px, written to
test-results/screenshots/<page>-<lang>-<width>.png for a person to look at, with one contact
sheet per language (sheet-<lang>.png) and axe-core's findings of every impact on each page
state in axe.txt. The run fails if axe found anything.

Not named test_*.py, so `make test` never collects it (minutes of work, nothing to assert
beyond each page loading in its language); the make target names it. SCREENSHOT_LANGUAGES="en
fr" for a few."""

from __future__ import annotations

import os

import pytest
from django.core.cache import caches

from objects.demo import demo_objects_ensure
from objects.models import TracedObject
from tests.browser.conftest import SCREENSHOTS, axe_violations
from tests.browser.public_pages import PAGES
from tests.browser.sheets import contact_sheet
from tips.services import TipContent, tip_receive

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]
WIDTHS = {360: 740, 1280: 900}


def _receipt_issued(page, code, *, mug, **_) -> None:
    """The page a visitor sees after sending a tip: their receipt (proof of work is off)."""
    page.goto(f"/{code}/objects/{mug.code}/tip/")
    page.locator("#id_body").fill("Seen at the Blue Lake market last spring.")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**/{code}/receipt/issued/")


SHOWN = {**PAGES, "receipt-issued": _receipt_issued}


def test_every_public_page_in_every_language_at_both_widths(
    browser, live_server, investigator, second_investigator, settings
):
    settings.RECEIPT_RATE_LIMITS = [("receipt-network", "network", "1000/h")]
    settings.REPORT_RATE_LIMITS = [("report-closed", "network", "0/h")]  # every POST is a 429
    settings.ALTCHA_VERIFICATION_ENABLED = False  # a valid form, so the budget answers
    demo_objects_ensure(uploader=investigator, approver=second_investigator)
    mug = TracedObject.objects.get(title="White mug with blue waves")
    receipt = tip_receive(
        content=TipContent(
            body="Seen at the Blue Lake market \U0001f468\u200d\U0001f469\u200d\U0001f467, مرحبا."
        ),
        language="en",
        traced_object=mug,
    ).receipt
    chosen = os.environ.get("SCREENSHOT_LANGUAGES", "").split()
    languages = [code for code, _name in settings.LANGUAGES if not chosen or code in chosen]
    folder = SCREENSHOTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    findings: dict[str, list[str]] = {}
    for width, height in WIDTHS.items():
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": height}
        )
        context.set_default_timeout(30_000)
        page = context.new_page()
        for code in languages:
            for name, visit in SHOWN.items():
                caches["ratelimit"].clear()
                visit(page, code, mug=mug, receipt=receipt)
                assert page.locator("html").get_attribute("lang") == code, (name, code)
                # Lazy images below the fold would be blank in a full-page picture.
                page.evaluate(
                    "Promise.all([...document.images].map(i => { i.loading = 'eager';"
                    " return i.complete ? 0 : new Promise(r => { i.onload = i.onerror = r; }); }))"
                )
                page.screenshot(path=str(folder / f"{name}-{code}-{width}.png"), full_page=True)
                found = axe_violations(page, impacts=None)
                if found:
                    findings[f"{name} {code} {width}"] = found
        context.close()
    for code in languages:
        contact_sheet(folder, code, pages=list(SHOWN), widths=list(WIDTHS))
    states = len(languages) * len(SHOWN) * len(WIDTHS)
    report = [f"axe-core, every impact, on {states} page states: {len(findings)} with findings"]
    report += [f"{state}: {item}" for state, items in sorted(findings.items()) for item in items]
    (folder / "axe.txt").write_text("\n".join(report) + "\n")
    print("\n" + report[0])
    assert findings == {}
