"""When the database is down, the 500 page still gives the visitor their text back and the
emergency numbers, and the text is never written to a log."""

import pytest
from django.db import OperationalError, connection

from tests.tips.conftest import tip_data

pytestmark = pytest.mark.django_db

WRITTEN = "The shampoo <b>Sunny</b> is sold in Lidl in Poland & Czechia."


def refuse_every_query(execute, sql, params, many, context):
    raise OperationalError("could not connect to server: Connection refused")


@pytest.fixture
def visitor(client):
    # A visitor sees the page the site would send, not the exception.
    client.raise_request_exception = False
    return client


def test_a_tip_that_fails_on_the_database_is_given_back_with_the_emergency_numbers(
    visitor, public_object, settings, monkeypatch, caplog
):
    settings.EMERGENCY_CONTACTS = [("Politie", "112"), ("Kindertelefoon", "0800-0432")]

    def database_down(**kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr("tips.views.tip_receive", database_down)

    response = visitor.post(f"/en/objects/{public_object.code}/tip/", tip_data(body=WRITTEN))

    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in html
    assert "The shampoo &lt;b&gt;Sunny&lt;/b&gt; is sold in Lidl in Poland &amp; Czechia." in html
    assert 'href="tel:112"><strong>112</strong></a> – Politie' in html
    assert 'href="tel:08000432"><strong>0800-0432</strong></a> – Kindertelefoon' in html
    assert "Sunny" not in caplog.text


def test_the_500_page_makes_no_query_while_the_database_is_down(visitor):
    with connection.execute_wrapper(refuse_every_query):
        response = visitor.post("/en/report/", tip_data(body=WRITTEN, danger_now="on"))

    html = response.content.decode()
    assert response.status_code == 500
    assert "Lidl in Poland &amp; Czechia." in html
    assert 'href="tel:116111"><strong>116 111</strong></a>' in html


def test_what_is_given_back_is_capped(visitor, monkeypatch):
    # Fails before the form could refuse the length, as a lost database connection would.
    monkeypatch.setattr("tips.views.object_public_get", lambda **kwargs: 1 / 0)

    response = visitor.post("/en/objects/TAO-2026-0001/tip/", tip_data(body="a" * 4990 + "b" * 900))

    html = response.content.decode()
    assert response.status_code == 500
    assert "a" * 4990 + "b" * 10 + "\n\nSupermarkets" in html  # each field capped
    assert "b" * 11 not in html
