"""Following a tip up with its receipt: status, analysts' questions, more information, and
hard limits against guessing."""

import re
import threading

import pytest
from django.utils import timezone

from tests.tips.conftest import tip_data
from tips import crypto
from tips.models import Tip, TipFollowUp, TipMessage, TipStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def receipt(client, public_object) -> str:
    response = client.post(
        f"/en/objects/{public_object.code}/tip/", tip_data(), REMOTE_ADDR="192.0.2.1", follow=True
    )
    return re.search(r'id="receipt-code">([\d ]+)<', response.content.decode()).group(1)


def check(client, receipt, address="192.0.2.1"):
    return client.post("/en/receipt/", {"receipt": receipt}, REMOTE_ADDR=address)


def test_a_receipt_shows_the_public_status(client, receipt):
    response = check(client, receipt)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<strong id="tip-status">Received</strong>' in html
    assert "No questions so far." in html
    assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.parametrize(
    "status, shown",
    [
        (TipStatus.IN_REVIEW, "In review"),
        (TipStatus.NEEDS_INFO, "In review"),
        (TipStatus.FORWARDED, "Forwarded to investigators"),
        (TipStatus.REJECTED, "Closed"),
        (TipStatus.CLOSED, "Closed"),
    ],
)
def test_analysts_states_map_to_four_public_ones(client, receipt, status, shown):
    closed = status in (TipStatus.REJECTED, TipStatus.CLOSED)
    Tip.objects.update(status=status, closed_at=timezone.now() if closed else None)
    assert f'<strong id="tip-status">{shown}</strong>' in check(client, receipt).content.decode()


def test_the_receipt_may_be_typed_with_dashes_or_without_spaces(client, receipt):
    digits = receipt.replace(" ", "")
    assert check(client, digits).status_code == 200
    dashed = "-".join(digits[i : i + 4] for i in range(0, 16, 4))
    assert "tip-status" in check(client, dashed).content.decode()


def test_the_tipster_reads_the_analysts_question_and_adds_information(client, receipt, analyst):
    tip = Tip.objects.get()
    TipMessage.objects.create(tip=tip, author=analyst, body="Which shop <b>exactly</b>?")
    Tip.objects.update(status=TipStatus.NEEDS_INFO)
    html = check(client, receipt).content.decode()
    assert "Which shop &lt;b&gt;exactly&lt;/b&gt;?" in html
    assert not re.search(rf"\b{analyst.username}\b", html)  # not shown to the public

    response = client.post(
        "/en/receipt/add/",
        {"receipt": receipt, "body": "The one at the central station."},
        REMOTE_ADDR="192.0.2.1",
    )
    assert "your information was added" in response.content.decode()
    assert TipFollowUp.objects.get().body == "The one at the central station."
    tip.refresh_from_db()
    assert tip.status == TipStatus.IN_REVIEW  # back in the analysts' queue


def test_a_closed_tip_takes_no_more_information(client, receipt):
    Tip.objects.update(status=TipStatus.CLOSED, closed_at=timezone.now())
    html = check(client, receipt).content.decode()
    assert "This tip is closed" in html and 'action="/en/receipt/add/"' not in html


def test_a_wrong_receipt_says_so_and_reveals_nothing(client, receipt):
    response = check(client, "0000 0000 0000 0000")
    assert "No tip has this receipt" in response.content.decode()
    response = client.post("/en/receipt/add/", {"receipt": "0000000000000000", "body": "hello"})
    assert response.status_code == 404
    assert not TipFollowUp.objects.exists()


@pytest.mark.parametrize(
    "text", ["1234", "abcd efgh ijkl mnop", "1" * 17, "１２３４５６７８９０１２３４５６"]
)
def test_a_malformed_receipt_gets_a_clear_message(client, text):
    html = check(client, text).content.decode()
    assert "A receipt is 16 digits" in html


def test_wrong_receipts_are_limited_hard_and_then_even_the_right_one_waits(client, receipt):
    for i in range(10):
        check(client, f"9999 9999 9999 {i:04d}", address="198.51.100.7")
    response = check(client, "9999 9999 9999 0010", address="198.51.100.7")
    assert response.status_code == 429
    assert check(client, receipt, address="198.51.100.7").status_code == 429
    # Another network is not affected.
    assert check(client, receipt, address="198.51.100.200").status_code == 200


def test_right_receipts_do_not_use_up_the_guessing_budget(client, receipt):
    for _ in range(15):
        assert check(client, receipt).status_code == 200


def test_the_status_page_shows_the_object_the_tipsters_text_and_what_the_status_means(
    client, receipt, public_object
):
    client.post("/en/receipt/add/", {"receipt": receipt, "body": "It is also sold in Gdańsk."})
    html = check(client, receipt).content.decode()
    assert public_object.title in html and public_object.code in html
    assert "This is the Sunny brand sold in Lidl shops in Poland." in html
    assert "It is also sold in Gdańsk." in html
    assert "An analyst is reading your tip" in html or "waiting for an analyst" in html


def test_one_receipt_is_hashed_at_a_time_in_a_process():
    """A burst of tips keeps at most one core per web process busy with scrypt, so page views
    in the other threads get CPU (traceobject/gunicorn_conf.py): a second hashing waits for
    the first, then gives the same digest."""
    digests = []
    with crypto._hashing:  # a tip's receipt being hashed
        waiting = threading.Thread(target=lambda: digests.append(crypto.receipt_hash("1" * 16)))
        waiting.start()
        waiting.join(timeout=0.3)
        assert waiting.is_alive() and digests == []
    waiting.join(timeout=10)
    assert digests == [crypto.receipt_hash("1" * 16)]
