"""A visitor sends a tip in a real browser (the proof of work solves there), keeps the
receipt, and follows the tip up on /receipt/."""

import re

import pytest
from django.utils import timezone

from objects.models import ObjectState
from tests.browser.conftest import axe_violations, screenshot
from tests.factories import published_object
from tips.models import Tip, TipFollowUp, TipMessage, TipStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_sends_a_tip_and_follows_it_up_with_the_receipt(
    page, case, investigator, second_investigator, settings
):
    settings.ALTCHA_MAX_NUMBER = 20_000  # quick in a headless browser, the same code path
    obj = published_object(case, investigator, second_investigator, seed=4, title="Striped mug")
    assert obj.state == ObjectState.PUBLISHED
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(f"/en/objects/{obj.code}/")
    page.get_by_role("link", name="Send a tip").click()
    page.wait_for_url(f"**/objects/{obj.code}/tip/")
    page.get_by_label("What do you recognise?").fill("These mugs are sold at the Blue Lake market.")
    page.get_by_label("Country (if you know it)").select_option("AT")
    page.get_by_label("Links (optional)").fill("https://example.org/blue-lake")
    page.get_by_text("I am a person, not a program").click()
    page.get_by_text("Checked").wait_for(timeout=60_000)
    screenshot(page, "tip-form")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Send the tip").click()

    receipt = page.locator("#receipt-code").inner_text(timeout=30_000)
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", receipt)
    screenshot(page, "tip-receipt")
    assert axe_violations(page) == []
    tip = Tip.objects.get()
    assert tip.body == "These mugs are sold at the Blue Lake market." and tip.country == "AT"

    # An analyst asks a question; the tipster reads it through the receipt and answers.
    TipMessage.objects.create(tip=tip, author=investigator, body="Which stall, roughly?")
    Tip.objects.filter(pk=tip.pk).update(status=TipStatus.NEEDS_INFO, received_at=timezone.now())
    page.get_by_role("link", name="Check a receipt").first.click()
    page.get_by_label("Your receipt").fill(receipt)
    page.get_by_role("button", name="Check").click()
    assert page.locator("#tip-status").inner_text() == "In review"
    assert "Which stall, roughly?" in page.locator(".analyst-message").inner_text()
    page.get_by_label("Add information").fill("The third stall from the north entrance.")
    page.get_by_role("button", name="Add to my tip").click()
    page.get_by_text("your information was added").wait_for()
    screenshot(page, "tip-follow-up")
    assert TipFollowUp.objects.get().body == "The third stall from the north entrance."
    assert page.outside_requests == []
    assert not [e for e in errors if "Content Security Policy" in e], errors
