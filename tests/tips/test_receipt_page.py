"""What the receipt page shows after "add information", and a long text kept whole."""

import re

import pytest

from tests.tips.conftest import tip_data
from tips.models import Tip

pytestmark = pytest.mark.django_db


@pytest.fixture
def receipt(client, public_object) -> str:
    response = client.post(
        f"/en/objects/{public_object.code}/tip/", tip_data(), REMOTE_ADDR="192.0.2.1", follow=True
    )
    return re.search(r'id="receipt-code">([\d ]+)<', response.content.decode()).group(1)


def test_the_page_that_thanks_for_the_addition_shows_it(client, receipt):
    response = client.post(
        "/en/receipt/add/",
        {"receipt": receipt, "body": "The third stall from the north entrance."},
        REMOTE_ADDR="192.0.2.1",
    )
    html = response.content.decode()
    assert "your information was added" in html
    assert "What you added" in html and "The third stall from the north entrance." in html


def test_a_20000_character_tip_is_refused_whole_with_a_clear_notice_and_no_maxlength(
    client, public_object
):
    form = client.get(f"/en/objects/{public_object.code}/tip/").content.decode()
    body_box = re.search(r"<textarea[^>]*id=\"id_body\"[^>]*>", form).group(0)
    assert "maxlength" not in body_box and 'data-max-length="5000"' in body_box
    assert 'dir="auto"' in body_box
    pasted = "Blue Lake market. " * 1112  # 20,016 characters
    response = client.post(
        f"/en/objects/{public_object.code}/tip/",
        tip_data(body=pasted),
        REMOTE_ADDR="192.0.2.1",
    )
    html = response.content.decode()
    assert "This text has 20015 characters; the limit is 5000. Nothing was cut" in html
    assert pasted.strip() in html  # given back whole, to shorten
    assert Tip.objects.count() == 0
