"""An investigator opens an object's page in the back office at 360 and 1280 px: the
activity sparklines draw with a positive size and their text equivalent is there. The
screenshots are test-results/activity-360.png and activity-1280.png."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.conftest import screenshot
from tests.browser.test_back_office import log_in, with_authenticator
from tips import grouping
from tips.models import Tip
from tips.services import TipContent, tip_receive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [360, 1280])
def test_the_activity_sparkline_draws_on_the_object_page(
    browser, live_server, public_object, investigator, width
):
    for days_ago, body in enumerate(["Sold in Kraków.", "Seen in Lyon, a pharmacy.", "At home."]):
        tip = tip_receive(
            content=TipContent(body=body), language="en", traced_object=public_object
        ).tip
        at = timezone.now().replace(second=0, microsecond=0) - timedelta(days=days_ago * 3)
        Tip.objects.filter(pk=tip.pk).update(received_at=at)
        grouping.tip_analyse(tip_id=tip.pk)

    context, page = log_in(browser, live_server, "ines", with_authenticator(investigator))
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/backoffice/objects/tracedobject/{public_object.pk}/change/")
    line = page.locator("#sparkline-tips")
    line.scroll_into_view_if_needed()
    box = line.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1  # inside the page
    drawn = page.locator("#sparkline-tips polyline").bounding_box()
    assert drawn is not None and drawn["width"] > 0 and drawn["height"] > 0
    assert page.get_by_role("img", name="Tips per day, 3 in all, at most 1 a day").count() == 1
    screenshot(page, f"activity-{width}")
    context.close()
