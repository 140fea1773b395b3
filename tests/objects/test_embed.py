"""The embeddable card, oEmbed and the addresses that outlive publication.

What a browser does with these headers (framing allowed or refused, no script) is in
tests/browser/test_reach.py; here, what each response says.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from django.conf import settings

from objects.models import Outcome
from objects.services import object_mark_identified, object_retire
from tests.factories import published_object


@pytest.fixture
def shown_object(case, investigator, second_investigator):
    return published_object(case, investigator, second_investigator, title="Striped wallpaper")


def _csp(response) -> dict[str, str]:
    directives = (d.strip() for d in response["Content-Security-Policy"].split(";"))
    return dict(d.split(" ", 1) for d in directives if d)


def test_the_card_may_be_framed_by_any_site_and_runs_no_script(client, shown_object):
    response = client.get(f"/fr/embed/objects/{shown_object.code}/")

    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    csp = _csp(response)
    assert csp["frame-ancestors"] == "*"
    assert csp["script-src"] == "'none'"
    assert csp["default-src"] == "'self'"  # the rest of the policy unchanged
    html = response.content.decode()
    assert "<script" not in html and "<form" not in html
    assert not response.cookies
    assert "public" in response["Cache-Control"] and response["ETag"]
    assert f'src="{shown_object.thumbnail.url}"' in html
    # Its button opens the object's page, in the card's language, in a new tab.
    assert (
        f'href="http://testserver/fr/objects/{shown_object.code}/" target="_blank" rel="noopener"'
        in html
    )


@pytest.mark.parametrize("path", ["/fr/", "/fr/objects/{code}/", "/fr/feed.atom", "/fr/about/"])
def test_every_other_page_still_refuses_to_be_framed(client, shown_object, path):
    response = client.get(path.format(code=shown_object.code))

    assert response["X-Frame-Options"] == "DENY"
    assert _csp(response)["frame-ancestors"] == "'none'"


def test_the_object_page_offers_the_iframe_snippet_and_the_oembed_link(client, shown_object):
    html = client.get(f"/de/objects/{shown_object.code}/").content.decode()

    snippet = (
        f"&lt;iframe src=&quot;http://testserver/de/embed/objects/{shown_object.code}/&quot; "
        "width=&quot;360&quot; height=&quot;540&quot; title=&quot;"
    )
    assert snippet in html
    page_url = quote(f"http://testserver/de/objects/{shown_object.code}/", safe="")
    assert (
        '<link rel="alternate" type="application/json+oembed" '
        f'href="http://testserver/oembed?url={page_url}&amp;format=json"'
    ) in html


def test_oembed_turns_a_pasted_object_link_into_the_card(client, shown_object):
    url = f"http://testserver/es/objects/{shown_object.code}/"

    response = client.get("/oembed", {"url": url, "format": "json"})

    assert response.status_code == 200
    data = response.json()
    assert data["version"] == "1.0" and data["type"] == "rich"
    assert (data["width"], data["height"]) == (360, 540)
    assert data["provider_name"] == settings.PORTAL_NAME
    assert data["title"] == "Striped wallpaper"
    assert re.fullmatch(
        rf'<iframe src="http://testserver/es/embed/objects/{shown_object.code}/" width="360" '
        r'height="540" title="[^"]+" loading="lazy" style="[^"]+"></iframe>',
        data["html"],
    )
    assert data["thumbnail_url"] == f"http://testserver{shown_object.thumbnail.url}"
    assert not response.cookies


def test_oembed_takes_the_unprefixed_link_the_object_page_shares(client, shown_object):
    url = f"http://testserver/objects/{shown_object.code}/"

    data = client.get("/oembed", {"url": url}).json()

    assert f'src="http://testserver/en/embed/objects/{shown_object.code}/"' in data["html"]


def test_oembed_fits_the_card_in_a_narrower_column(client, shown_object):
    url = f"http://testserver/en/objects/{shown_object.code}/"

    data = client.get("/oembed", {"url": url, "maxwidth": "300"}).json()

    assert data["width"] == 300 and 'width="300"' in data["html"]


@pytest.mark.parametrize(
    "url",
    [
        "http://elsewhere.example/en/objects/{code}/",
        "http://testserver/en/",
        "http://testserver/en/objects/TAO-1999-9999/",
        "javascript:alert(1)",
        "",
    ],
)
def test_oembed_answers_404_for_anything_but_one_of_our_objects(client, shown_object, url):
    assert client.get("/oembed", {"url": url.format(code=shown_object.code)}).status_code == 404


def test_oembed_answers_501_for_xml(client, shown_object):
    url = f"http://testserver/en/objects/{shown_object.code}/"

    assert client.get("/oembed", {"url": url, "format": "xml"}).status_code == 501


def test_an_identified_object_keeps_its_page_and_card_with_the_outcome(
    client, shown_object, investigator
):
    object_mark_identified(
        obj=shown_object,
        by=investigator,
        outcome=Outcome.COUNTRY_NARROWED,
        public_line="Sold in one country only.",
    )

    page = client.get(f"/en/objects/{shown_object.code}/").content.decode()
    card = client.get(f"/en/embed/objects/{shown_object.code}/").content.decode()

    assert "Country narrowed" in page and "Sold in one country only." in page
    assert "Identified" in card and "Country narrowed" in card and "Send a tip" not in card


def test_a_retired_object_keeps_its_page_saying_so(client, shown_object, investigator):
    object_retire(obj=shown_object, by=investigator)

    page = client.get(f"/fr/objects/{shown_object.code}/")
    card = client.get(f"/fr/embed/objects/{shown_object.code}/")

    assert page.status_code == 200 and card.status_code == 200
    for html in (page.content.decode(), card.content.decode()):
        assert "<img" not in html.split("</header>")[-1]  # its image is no longer public
        assert shown_object.thumbnail.url not in html
    assert "Striped wallpaper" in page.content.decode()
    assert f"/objects/{shown_object.code}/tip/" not in page.content.decode()
    assert client.get(f"/fr/objects/{shown_object.code}/tip/").status_code == 404
    assert '<meta name="robots" content="noindex">' in page.content.decode()


def test_an_object_never_published_has_no_page_or_card(client, case, investigator):
    from tests.factories import submitted_object

    waiting = submitted_object(case, investigator)

    for path in ("objects/{}/", "embed/objects/{}/"):
        assert client.get("/en/" + path.format(waiting.code)).status_code == 404


def test_object_page_cost_stays_one_query(client, shown_object, django_assert_num_queries):
    with django_assert_num_queries(1):
        client.get(f"/en/objects/{shown_object.code}/")
    from traceobject.pagecache import page_cache_bump

    for path in ("embed/objects/{}/",):
        page_cache_bump()
        with django_assert_num_queries(1):
            client.get("/en/" + path.format(shown_object.code))
