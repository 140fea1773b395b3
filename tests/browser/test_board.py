"""An analyst reads an object's evidence board in a real browser (a group, a held flood, the
country chart), rejects the flood from it, and the page has no accessibility violation of
any impact. The screenshot is test-results/board.png."""

import re

import pytest

from audit.models import AuditEntry
from tests.browser.conftest import axe_violations, screenshot
from tests.browser.test_back_office import log_in, with_authenticator
from tests.factories import published_object
from tests.tips.test_board import claims, group_of
from tips.models import ClaimKind, FloodState, RejectReason, TipClaim, TipStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_analyst_reads_the_board_and_rejects_a_flood_from_it(
    browser, live_server, case, investigator, second_investigator, analyst
):
    obj = published_object(case, investigator, second_investigator, seed=4, title="Striped mug")
    market = group_of(
        obj,
        [
            "These mugs are sold at the Blue Lake market in Graz, Austria.",
            "Blue Lake market, Graz: they sell these mugs.",
            "Diese Tassen gibt es am Blauen See Markt in Graz.",
        ],
        languages=("en", "en", "de"),
        hours=[50, 26, 3],
    )
    shop = group_of(obj, ["A mug like this at a shop in Vienna.", "Seen in Vienna"])
    flood = group_of(
        obj,
        [f"BUY MUGS NOW cheap-mugs {n}" for n in range(6)],
        flood=FloodState.HELD,
        hours=[1] * 6,
    )
    # The tips were analysed as they arrived (the outbox runs at once here): only the claims
    # below count, so the chart's numbers are known.
    TipClaim.objects.all().delete()
    claims(market, ClaimKind.COUNTRY, "AT")
    claims(shop, ClaimKind.COUNTRY, "AT")
    claims(flood, ClaimKind.COUNTRY, "CN")
    claims(market, ClaimKind.DOMAIN, "bluelake.example")

    context, page = log_in(browser, live_server, "ana", with_authenticator(analyst))
    outside, errors = [], []
    page.on("request", lambda r: None if r.url.startswith(live_server.url) else outside.append(r))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"/backoffice/tips/tip/board/{obj.pk}/")

    assert page.get_by_role("heading", name=f"Evidence board: {obj.code}").is_visible()
    groups = page.locator("#board-groups article")
    assert groups.count() == 2
    assert "Group ~" in groups.first.inner_text() and "3 tips" in groups.first.inner_text()
    assert "These mugs are sold at the Blue Lake market" in groups.first.inner_text()
    floods = page.locator("#board-floods")
    assert "Held as a suspected flood" in floods.inner_text()
    chart = page.get_by_role("img", name="Independent groups per country claimed")
    assert chart.is_visible()
    assert page.locator("#board-countries tbody tr").all_inner_texts() == [
        "Austria (AT)\t2\t5\t3",
        "China (CN)\t0\t6\t0",
    ]
    image = page.locator(".board-image img")
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")

    # The buttons of the first group and of the flood, opened as the analyst would.
    groups.first.get_by_text("Act on the whole group…").click()
    floods.get_by_text("Decide on this flood…").click()
    screenshot(page, "board")
    assert axe_violations(page, impacts=None) == []

    floods.get_by_role("button", name="Reject the flood: 6 open tips as spam").click()
    page.wait_for_url(f"**/board/{obj.pk}/#group-{flood.pk}")
    assert (
        "1 flood(s) rejected: 6 tips rejected as spam." in page.locator(".messagelist").inner_text()
    )
    assert "Rejected as a flood" in page.locator("#board-floods").inner_text()
    assert set(flood.tips.values_list("status", "rejected_reason")) == {
        (TipStatus.REJECTED, RejectReason.SPAM)
    }
    assert AuditEntry.objects.filter(action="tip.flood_rejected", username="ana").count() == 1
    assert axe_violations(page, impacts=None) == []
    assert outside == [] and errors == []
    context.close()


@pytest.mark.parametrize("width", [360, 1280])
def test_the_places_map_draws_inside_the_viewport(
    browser, live_server, case, investigator, second_investigator, analyst, width
):
    from tests.tips.test_board_places import place_object

    obj = place_object(
        published_object(case, investigator, second_investigator, seed=5, title="Hotel room")
    )
    context, page = log_in(browser, live_server, "ana", with_authenticator(analyst))
    outside = []
    page.on("request", lambda r: None if r.url.startswith(live_server.url) else outside.append(r))
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/backoffice/tips/tip/board/{obj.pk}/")

    chart = page.get_by_role("img", name="Map of the places claimed, numbered as in the table")
    chart.scroll_into_view_if_needed()
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box["width"] > 100 and box["height"] > 50
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    # Each place's dot lies inside the drawn map, and each row of the table has its dot.
    dots = page.locator("#board-places .board-map-point circle")
    assert dots.count() == page.locator("#board-places tbody tr").count() == 3
    for n in range(dots.count()):
        dot = dots.nth(n).bounding_box()
        assert dot["width"] > 0 and dot["height"] > 0
        assert box["x"] <= dot["x"] and dot["x"] + dot["width"] <= box["x"] + box["width"] + 1
        assert box["y"] <= dot["y"] and dot["y"] + dot["height"] <= box["y"] + box["height"] + 1
    rows = page.locator("#board-places tbody tr").all_inner_texts()
    assert any(
        row.startswith("1\tPort Louis (MU)") or row.startswith("1\tLyon (FR)") for row in rows
    )
    link = page.locator("#board-places a.board-map-link").first
    assert link.get_attribute("rel") == "noopener noreferrer"
    assert link.get_attribute("href").startswith("https://www.openstreetmap.org/?mlat=")
    # The coordinates read as one line ("45.75, 4.85"), not a column of broken digits.
    lines = link.evaluate("a => a.getClientRects().length")
    assert lines == 1 and re.fullmatch(r"-?\d+\.\d\d, -?\d+\.\d\d", link.inner_text())
    # The table fits its column, and the page does not scroll sideways.
    section = page.locator("#board-places").bounding_box()
    table = page.locator("#board-places table").bounding_box()
    assert table["x"] >= section["x"] - 1
    assert table["x"] + table["width"] <= section["x"] + section["width"] + 1
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"board-places-{width}")
    assert axe_violations(page, impacts=None) == []
    assert outside == []  # the map site is never asked for anything until a click
    context.close()
