"""Only taken tips count, and the urgent lane is never refused (issue 18, findings 4, 5, 8):
refused forms cost nothing, a child-in-danger report is always stored and answered (a flood
of them held and flagged), wrong receipts make a network wait but never lock the right
receipt out, and a form sent again shows its receipt instead of making a second tip."""

import re

import pytest
from django.urls import reverse

from tests.tips.conftest import tip_data
from tips import forms as tip_forms
from tips import ratelimits
from tips.models import Tip
from traceobject import clients

pytestmark = pytest.mark.django_db

SCHOOL = "198.51.100.77"
RECEIPT = re.compile(r'id="receipt-code">([\d ]+)<')


@pytest.fixture(autouse=True)
def fast_receipts(monkeypatch):
    monkeypatch.setattr("tips.services.receipt_hash", lambda receipt: f"fast-{receipt}")


class Clock:
    def __init__(self, monkeypatch):
        self.now = (1_796_083_200 // 86_400) * 86_400 + 3600.0  # 01:00 UTC, far from midnight
        for module in (ratelimits, clients, tip_forms):
            monkeypatch.setattr(module, "unix_now", lambda: self.now)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


def post_tip(client, obj, **fields):
    return client.post(reverse("tips:tip", args=[obj.code]), tip_data(**fields), REMOTE_ADDR=SCHOOL)


def test_refused_forms_cost_nothing_the_6th_attempt_is_taken_the_10th_is_not(client, public_object):
    attempts = [
        post_tip(client, public_object),
        post_tip(client, public_object, body=""),  # empty
        post_tip(client, public_object, body="x" * 5001),  # too long
        post_tip(client, public_object, links="not a link"),
        post_tip(client, public_object),
        post_tip(client, public_object),  # the 6th attempt, the 3rd tip
        *[post_tip(client, public_object) for _ in range(4)],
    ]
    codes = [response.status_code for response in attempts]
    assert codes == [303, 200, 200, 200, 303, 303, 303, 303, 429, 429]
    assert Tip.objects.count() == 5
    page = attempts[9].content.decode()
    assert "5 tips in 10 minutes" in page and "20 tips in a day" in page
    assert "child is in danger now is always taken" in page


def test_ten_child_in_danger_reports_from_one_address_are_all_stored_and_answered(client):
    for n in range(10):
        response = client.post(
            reverse("tips:report"),
            tip_data(danger_now="on", body=f"A child is being hurt next door, call {n}."),
            REMOTE_ADDR=SCHOOL,
            follow=True,
        )
        page = response.content.decode()
        assert response.status_code == 200
        assert RECEIPT.search(page) and "<strong>112</strong>" in page
    reports = Tip.objects.order_by("pk")
    assert reports.count() == 10 and all(tip.urgent for tip in reports)
    # Past the network's budget of 5 the flood is held and flagged for the duty analyst.
    assert [tip.held_by_breaker for tip in reports] == [False] * 5 + [True] * 5


@pytest.fixture
def receipt(client, public_object) -> str:
    sent = client.post(
        reverse("tips:tip", args=[public_object.code]),
        tip_data(),
        REMOTE_ADDR="192.0.2.250",
        follow=True,
    )
    return RECEIPT.search(sent.content.decode()).group(1)


def check(client, receipt: str):
    return client.post(reverse("tips:receipt"), {"receipt": receipt}, REMOTE_ADDR=SCHOOL)


def test_the_right_receipt_works_after_ten_wrong_ones_once_the_wait_is_over(client, receipt, clock):
    for i in range(10):
        assert check(client, f"9999 9999 9999 {i:04d}").status_code == 200  # "no tip has it"
        clock.now += 16 * 60  # each wait (at most 15 minutes) is over before the next try
    assert check(client, receipt).status_code == 200  # the waits were sat out
    check(client, "9999 9999 9999 0010")  # the 11th wrong one: wait again
    waiting = check(client, receipt)
    assert waiting.status_code == 429
    page = waiting.content.decode()
    assert "entered 11 times today" in page and "Your correct receipt will work then" in page
    assert "try again in about 16 minutes" in page or "try again in about 15 minutes" in page
    clock.now += 16 * 60
    found = check(client, receipt)
    assert found.status_code == 200 and 'id="tip-status"' in found.content.decode()


def test_the_first_wrong_receipts_cost_no_wait_and_the_6th_makes_one_minute(client, receipt, clock):
    for i in range(5):
        check(client, f"9999 9999 9999 {i:04d}")
    assert 'id="tip-status"' in check(client, receipt).content.decode()
    check(client, "9999 9999 9999 0005")
    assert check(client, receipt).status_code == 429
    clock.now += 120
    assert check(client, receipt).status_code == 200


def test_back_then_send_again_makes_one_tip_and_shows_the_first_receipt(client, public_object):
    url = reverse("tips:tip", args=[public_object.code])
    token = re.search(r'name="submission" value="([^"]+)"', client.get(url).content.decode())[1]
    first = client.post(url, tip_data(submission=token), REMOTE_ADDR=SCHOOL, follow=True)
    shown = RECEIPT.search(first.content.decode()).group(1)
    # Back: the page is never cached, so the browser fetches the form again.
    again = client.get(url).content.decode()
    assert re.search(r'name="submission" value="([^"]+)"', again)[1] == token
    assert 'id="already-sent"' in again
    resent = client.post(url, tip_data(submission=token), REMOTE_ADDR=SCHOOL, follow=True)
    assert RECEIPT.search(resent.content.decode()).group(1) == shown
    assert Tip.objects.count() == 1
    assert shown.replace(" ", "") not in client.cookies["submission"].value
    # A new tip is one click away.
    fresh = client.get(url + "?new=1").content.decode()
    assert re.search(r'name="submission" value="([^"]+)"', fresh)[1] != token


def test_one_token_sent_twice_at_once_makes_one_tip(client, public_object):
    data = tip_data()
    assert post_tip(client, public_object, **data).status_code == 303
    assert (
        post_tip(client, public_object, **{**data, "altcha": tip_data()["altcha"]}).status_code
        == 303
    )
    assert Tip.objects.count() == 1
