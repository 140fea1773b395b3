"""The poster page: one sheet in the visitor's language, for objects still searched for.

Printed to PDF and its QR code read: tests/browser/test_posters.py.
"""

from __future__ import annotations

import pytest
from django.conf import settings

from objects.models import Outcome
from objects.services import object_mark_identified, object_retire
from tests.factories import published_object


@pytest.fixture
def shown_object(case, investigator, second_investigator):
    return published_object(case, investigator, second_investigator, title="Striped wallpaper")


def test_the_poster_page_is_in_the_visitors_language_with_a_qr_code(client, shown_object):
    response = client.get(f"/nl/objects/{shown_object.code}/poster/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="nl">' in html
    assert "/static/css/poster-a4.css" in html
    assert '<svg aria-hidden="true"' in html
    short = settings.SITE_URL.split("://")[1].rstrip("/") + f"/nl/objects/{shown_object.code}"
    assert f'<p class="poster-url">{short}</p>' in html
    for _label, number in settings.EMERGENCY_CONTACTS:
        assert f'<strong dir="ltr">{number}</strong>' in html
    assert "a3" in client.get(f"/nl/objects/{shown_object.code}/poster/?size=a3").content.decode()


def test_an_arabic_poster_reads_right_to_left_with_the_numbers_in_their_own_order(
    client, shown_object
):
    """On a right-to-left sheet "116 111" would otherwise print as "111 116"."""
    html = client.get(f"/ar/objects/{shown_object.code}/poster/").content.decode()
    embed = client.get(f"/ar/embed/objects/{shown_object.code}/").content.decode()

    assert '<html lang="ar" dir="rtl">' in html
    assert '<html lang="ar" dir="rtl">' in embed
    for _label, number in settings.EMERGENCY_CONTACTS:
        assert f'<strong dir="ltr">{number}</strong>' in html


def test_the_object_page_links_to_its_posters(client, shown_object):
    html = client.get(f"/de/objects/{shown_object.code}/").content.decode()

    assert f'href="/de/objects/{shown_object.code}/poster/"' in html
    assert f'href="/de/objects/{shown_object.code}/poster/?size=a3"' in html


def test_the_poster_page_refuses_to_be_framed(client, shown_object):
    response = client.get(f"/fr/objects/{shown_object.code}/poster/")

    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_no_poster_for_an_identified_retired_or_unpublished_object(
    client, shown_object, case, investigator, second_investigator
):
    from tests.factories import submitted_object

    retired = published_object(case, investigator, second_investigator, seed=1)
    object_retire(obj=retired, by=investigator)
    object_mark_identified(
        obj=shown_object, by=investigator, outcome=Outcome.COUNTRY_NARROWED, public_line=""
    )
    waiting = submitted_object(case, investigator, seed=2)

    for obj in (shown_object, retired, waiting):
        assert client.get(f"/en/objects/{obj.code}/poster/").status_code == 404
    assert "/poster/" not in client.get(f"/en/objects/{shown_object.code}/").content.decode()


def test_the_poster_costs_one_query(client, shown_object, django_assert_num_queries):
    with django_assert_num_queries(1):
        client.get(f"/en/objects/{shown_object.code}/poster/")
