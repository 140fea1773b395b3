"""Sending a tip about an object: what is stored, what is refused, and what is never kept."""

import re

import pytest
from django.conf import settings

from objects.models import ObjectState
from outbox.models import OutboxMessage
from tests.factories import bare_object
from tests.tips.conftest import tip_data
from tips.crypto import contact_decrypt, receipt_hash
from tips.models import Tip, TipKind, TipStatus

pytestmark = pytest.mark.django_db


def post_tip(client, obj, **fields):
    return client.post(
        f"/en/objects/{obj.code}/tip/", tip_data(**fields), REMOTE_ADDR="198.51.100.23"
    )


def test_the_tip_page_shows_the_form_with_a_self_hosted_proof_of_work(client, public_object):
    response = client.get(f"/en/objects/{public_object.code}/tip/")
    html = response.content.decode()
    assert response.status_code == 200
    for name in ("body", "country", "where", "links", "contact", "contact_consent", "altcha"):
        assert f'name="{name}"' in html
    assert "<altcha-widget" in html and "/static/altcha/altcha.min.js" in html
    assert 'id="__altcha-css"' in html  # so the widget injects no inline <style>
    assert re.search(r"""src=["']https?://""", html) is None
    assert "no-store" in response.headers["Cache-Control"]
    assert "worker-src 'self' blob:" in response.headers["Content-Security-Policy"]


def test_a_visitor_sends_a_tip_and_gets_a_receipt_of_16_digits(client, public_object):
    response = post_tip(client, public_object)
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/receipt/issued/"
    response = client.get(response.headers["Location"])
    receipt = re.search(r'id="receipt-code">([\d ]+)<', response.content.decode()).group(1)
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", receipt)
    tip = Tip.objects.get()
    assert tip.kind == TipKind.OBJECT and tip.traced_object == public_object
    assert tip.body == "This is the Sunny brand sold in Lidl shops in Poland."
    assert (tip.country, tip.where, tip.links) == (
        "PL",
        "Supermarkets",
        ["https://example.org/sunny"],
    )
    assert tip.status == TipStatus.NEW and not tip.urgent and tip.language == "en"
    assert tip.received_at.second == 0 and tip.received_at.microsecond == 0
    # Only a slow hash of the receipt is kept.
    digits = receipt.replace(" ", "")
    assert tip.receipt_hash == receipt_hash(digits) and digits not in tip.receipt_hash
    assert "no-store" in response.headers["Cache-Control"]


def test_contact_details_are_kept_only_with_consent_and_encrypted(client, public_object):
    response = post_tip(client, public_object, contact="anna@example.org")
    assert response.status_code == 200
    assert "Tick this box if you want us to keep your contact details" in response.content.decode()
    assert not Tip.objects.exists()

    post_tip(client, public_object, contact="anna@example.org", contact_consent="on")
    tip = Tip.objects.get()
    assert "anna@example.org" not in tip.contact_encrypted
    assert contact_decrypt(tip.contact_encrypted) == "anna@example.org"


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"body": "short"}, "Please write at least 10 characters."),
        ({"body": "x" * 5001}, "This text has 5001 characters; the limit is 5000. Nothing was cut"),
        ({"body": ""}, "Please fill this in."),
        (
            {"links": "javascript:alert(1)"},
            "is not a web address starting with http:// or https://",
        ),
        ({"links": "ftp://files.example.org/a"}, "is not a web address starting with http"),
        ({"links": "\n".join(f"https://e.org/{i}" for i in range(6))}, "Give at most 5 links"),
        ({"where": "w" * 501}, "the limit is 500. Nothing was cut"),
        ({"contact": "c" * 301, "contact_consent": "on"}, "the limit is 300. Nothing was cut"),
        ({"country": "XX"}, "Select a valid choice"),
        ({"altcha": ""}, "Please tick the anti-spam check"),
        ({"altcha": "bm90IGEgc29sdXRpb24="}, "The anti-spam check failed"),
        ({"website": "http://spam.example"}, "Your message could not be sent"),
    ],
)
def test_bad_input_gets_a_clear_message_and_stores_nothing(client, public_object, fields, message):
    response = post_tip(client, public_object, **fields)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Tip.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_a_proof_of_work_cannot_be_used_twice(client, public_object):
    data = tip_data()
    client.post(f"/en/objects/{public_object.code}/tip/", data)
    response = client.post(f"/en/objects/{public_object.code}/tip/", data)
    assert "already used" in response.content.decode()
    assert Tip.objects.count() == 1


def test_control_and_direction_override_characters_are_removed(client, public_object):
    post_tip(
        client,
        public_object,
        body="Sold in \u202eeracs\u202c shops\x00\x07 near the\u200b station\r\nsecond line",
        where="Market\x1b[31m street",
    )
    tip = Tip.objects.get()
    assert tip.body == "Sold in eracs shops near the station\nsecond line"
    assert tip.where == "Market[31m street"


def test_an_unknown_or_unpublished_object_is_a_404_and_stores_nothing(
    client, case, investigator, public_object
):
    draft = bare_object(case, investigator, state=ObjectState.AWAITING_APPROVAL)
    for code in ("TAO-2026-9999", draft.code):
        assert client.get(f"/en/objects/{code}/tip/").status_code == 404
        assert client.post(f"/en/objects/{code}/tip/", tip_data()).status_code == 404
    assert not Tip.objects.exists()


def test_other_methods_get_a_405_page(client, public_object):
    response = client.put(f"/en/objects/{public_object.code}/tip/")
    assert response.status_code == 405
    assert "Not available this way" in response.content.decode()
    response = client.get("/en/receipt/add/")
    assert response.status_code == 405 and response.headers["Allow"] == "POST"
    assert "Nothing was stored" in response.content.decode()


def test_the_object_page_links_to_the_tip_page(client, public_object):
    html = client.get(f"/en/objects/{public_object.code}/").content.decode()
    assert f'href="/en/objects/{public_object.code}/tip/"' in html


def test_the_receipt_page_survives_a_reload_through_a_strict_short_lived_cookie(
    client, public_object
):
    response = post_tip(client, public_object)
    # What the WSGI handler sends: one Set-Cookie per morsel, each named "receipt".
    cookies = [morsel.output() for morsel in response.cookies.values()]
    assert len(cookies) == len(settings.LANGUAGES) and all(
        c.startswith("Set-Cookie: receipt=") for c in cookies
    )
    assert any("Path=/fr/receipt/issued/" in c for c in cookies)
    cookie = response.cookies["receipt:en"]
    assert cookie["path"] == "/en/receipt/issued/" and cookie["max-age"] == 900
    assert cookie["httponly"] and cookie["secure"] and cookie["samesite"] == "Strict"
    first = client.get("/en/receipt/issued/").content.decode()
    again = client.get("/en/receipt/issued/")
    assert 'id="receipt-code"' in first and again.content.decode() == first
    assert "no-store" in again.headers["Cache-Control"]
    receipt = re.search(r'id="receipt-code">([\d ]+)<', first).group(1)
    assert receipt.replace(" ", "") not in cookie.value  # encrypted, not in clear


def test_the_same_form_sent_twice_makes_one_tip_and_shows_the_same_receipt(client, public_object):
    data = tip_data()
    first = client.post(f"/en/objects/{public_object.code}/tip/", data, follow=True)
    data["altcha"] = tip_data()["altcha"]  # a fresh proof of work, the same form otherwise
    second = client.post(f"/en/objects/{public_object.code}/tip/", data, follow=True)
    assert Tip.objects.count() == 1
    assert second.content.decode() == first.content.decode()


def test_without_the_cookie_the_receipt_page_says_the_tip_was_not_lost(client, public_object):
    post_tip(client, public_object)
    client.cookies.clear()
    html = client.get("/en/receipt/issued/").content.decode()
    assert 'id="receipt-code"' not in html and "Your tip was not lost." in html


def test_an_expired_receipt_cookie_is_not_shown(client, public_object, monkeypatch):
    from tips import crypto

    post_tip(client, public_object)
    monkeypatch.setattr(crypto, "RECEIPT_COOKIE_SECONDS", -1)
    assert 'id="receipt-code"' not in client.get("/en/receipt/issued/").content.decode()


def test_the_language_switcher_on_the_receipt_page_keeps_the_receipt(client, public_object):
    post_tip(client, public_object)
    english = client.get("/en/receipt/issued/").content.decode()
    french = client.get("/fr/receipt/issued/").content.decode()
    receipt = re.search(r'id="receipt-code">([\d ]+)<', english).group(1)
    assert f'id="receipt-code">{receipt}<' in french
