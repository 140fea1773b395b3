"""A partner's object beyond the portal (issue #21): the Atom and JSON feeds, oEmbed, the
embeddable card and the poster name the agency that published it, and only for a partner's
object; a partner's name is text everywhere, never markup."""

from __future__ import annotations

import json
import re

import feedparser
import pytest
from django.conf import settings
from django.utils import translation

from tests.factories import published_object
from tests.objects.test_network_objects import (  # noqa: F401 (fixtures)
    imported,
    item,
    network_settings,
    partner,
    portal,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("require_postgres")]

LANGUAGES = [code for code, _name in settings.LANGUAGES]
HOSTILE = '<script>alert("x")</script> & <b>Co</b>'


@pytest.fixture
def ours(case, investigator, second_investigator):
    return published_object(case, investigator, second_investigator, title="Striped wallpaper")


@pytest.fixture
def theirs(request, ours):
    [obj] = imported(request.getfixturevalue("partner"), item())
    return obj


@pytest.fixture
def hostile_partner(request):
    owner = request.getfixturevalue("partner")
    owner.name = HOSTILE
    owner.save(update_fields=["name"])
    return owner


def published_by(language: str, owner: str) -> str:
    with translation.override(language):
        return translation.gettext("Published by %(owner)s") % {"owner": owner}


def atom_entries(client, language: str = "en") -> dict[str, object]:
    feed = feedparser.parse(client.get(f"/{language}/feed.atom").content)
    assert not feed.bozo, feed.get("bozo_exception")
    return {entry.link.rstrip("/").rsplit("/", 1)[-1]: entry for entry in feed.entries}


def json_items(client, language: str = "en") -> dict[str, dict]:
    items = json.loads(client.get(f"/{language}/feed.json").content)["items"]
    return {entry["_traceobject"]["code"]: entry for entry in items}


# --- Feeds ------------------------------------------------------------------------------


def test_the_atom_feed_names_a_partners_object_owner_as_its_author(client, ours, theirs):
    entries = atom_entries(client)
    assert entries[theirs.code].author == "Politie Nederland"
    assert "Published by Politie Nederland" in entries[theirs.code].summary
    # Ours stays as it was: no <author>, no "Published by".
    assert "author" not in entries[ours.code]
    assert "Published by" not in entries[ours.code].summary


def test_the_json_feed_names_a_partners_object_owner_in_its_authors(client, ours, theirs):
    items = json_items(client)
    assert items[theirs.code]["authors"] == [{"name": "Politie Nederland"}]
    assert "Published by Politie Nederland" in items[theirs.code]["content_text"]
    assert "authors" not in items[ours.code]
    assert "Published by" not in items[ours.code]["content_text"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_feeds_say_who_published_it_in_their_language(client, theirs, language):
    said = published_by(language, "Politie Nederland")
    assert said in atom_entries(client, language)[theirs.code].summary
    assert said in json_items(client, language)[theirs.code]["content_text"]
    if language != "en":
        assert said != published_by("en", "Politie Nederland")


def test_a_partners_name_is_escaped_in_the_atom_feed(client, hostile_partner, theirs):
    raw = client.get("/en/feed.atom").content.decode()
    assert "<script" not in raw and "<b>" not in raw
    assert "&lt;script&gt;" in raw
    assert '<summary type="text">' in raw  # plain text, not HTML for a reader to render
    entry = atom_entries(client)[theirs.code]
    assert entry.author == HOSTILE  # the reader gets the name back as text
    assert entry.summary_detail.type == "text/plain"
    assert published_by("en", HOSTILE) in entry.summary


def test_a_partners_name_is_escaped_in_the_json_feed(client, hostile_partner, theirs):
    raw = client.get("/en/feed.json").content.decode()
    assert "<script" not in raw and "<b>" not in raw and " & " not in raw
    entry = json_items(client)[theirs.code]
    assert entry["authors"] == [{"name": HOSTILE}]
    assert published_by("en", HOSTILE) in entry["content_text"]
    assert "content_html" not in entry  # text, never markup for a reader to render


def test_the_feeds_still_cost_one_query_with_partner_objects(
    client, ours, theirs, django_assert_num_queries
):
    from traceobject.pagecache import page_cache_bump

    for path in ("/en/feed.atom", "/en/feed.json"):
        page_cache_bump()
        with django_assert_num_queries(1):
            assert client.get(path).status_code == 200


# --- oEmbed -----------------------------------------------------------------------------


def oembed(client, obj, language: str = "en") -> dict:
    url = f"http://testserver/{language}/objects/{obj.code}/"
    response = client.get("/oembed", {"url": url, "format": "json"})
    assert response.status_code == 200
    return response.json()


def test_oembed_gives_a_partners_object_owner_as_author_name(client, ours, theirs):
    assert oembed(client, theirs)["author_name"] == "Politie Nederland"
    assert oembed(client, theirs, "nl")["title"] == "Houten trein"
    assert "author_name" not in oembed(client, ours)


def test_a_partners_name_is_escaped_in_oembed(client, hostile_partner, theirs):
    url = f"http://testserver/en/objects/{theirs.code}/"
    response = client.get("/oembed", {"url": url})
    raw = response.content.decode()
    assert "<script" not in raw and "<b>" not in raw
    data = response.json()
    assert data["author_name"] == HOSTILE
    assert data["html"].startswith("<iframe ")  # decoded back to the snippet, unchanged


# --- The card and the poster ------------------------------------------------------------


@pytest.mark.parametrize("path", ["embed/objects/{}/", "objects/{}/poster/"])
def test_the_card_and_the_poster_say_who_published_a_partners_object(client, ours, theirs, path):
    html = client.get("/nl/" + path.format(theirs.code)).content.decode()
    assert "Gepubliceerd door <bdi>Politie Nederland</bdi>" in html
    assert "Houten trein" in html
    ours_html = client.get("/nl/" + path.format(ours.code)).content.decode()
    assert "Gepubliceerd door" not in ours_html


@pytest.mark.parametrize("path", ["embed/objects/{}/", "objects/{}/poster/"])
def test_a_partners_name_is_escaped_on_the_card_and_the_poster(
    client, hostile_partner, theirs, path
):
    html = client.get("/en/" + path.format(theirs.code)).content.decode()
    assert "<script>alert" not in html and "<b>Co" not in html
    assert (
        "Published by <bdi>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;Co"
        in html
    )


@pytest.mark.parametrize("path", ["embed/objects/{}/", "objects/{}/poster/"])
def test_the_card_and_the_poster_of_a_partners_object_cost_one_query(
    client, theirs, path, django_assert_num_queries
):
    from traceobject.pagecache import page_cache_bump

    page_cache_bump()
    with django_assert_num_queries(1):
        assert client.get("/en/" + path.format(theirs.code)).status_code == 200


@pytest.mark.parametrize("path", ["embed/objects/{}/", "objects/{}/poster/"])
def test_a_partners_english_texts_read_left_to_right_on_an_arabic_card_and_poster(
    client, theirs, path
):
    """The partner sent English and Dutch only: on an Arabic page the English question keeps
    its question mark at its end ("Where was it sold?", not "?Where was it sold")."""
    html = client.get("/ar/" + path.format(theirs.code)).content.decode()
    assert re.search(r'<h[12][^>]* lang="en" dir="ltr">Wooden train', html)
    assert re.search(r'<p class="[\w-]*question" lang="en" dir="ltr">Where was it sold\?', html)
    assert "<bdi>Politie Nederland</bdi>" in html


@pytest.mark.parametrize("language", ["ar", "en", "pl"])
def test_the_gallery_and_the_object_page_isolate_a_partners_name(client, theirs, language):
    """The words "Published by Politie Nederland" on the gallery's card and the object's
    page: the name in <bdi>, so that in a right-to-left sentence its brackets and full stop
    stay its own; escaped like any text."""
    gallery = client.get(f"/{language}/").content.decode()
    page = client.get(f"/{language}/objects/{theirs.code}/").content.decode()
    named = published_by(language, "<bdi>Politie Nederland</bdi>")
    assert named in gallery and named in page
    assert '<dd class="col-sm-8"><bdi>Politie Nederland</bdi> (<bdi>' in page


def test_the_gallery_escapes_a_partners_name(client, hostile_partner, theirs):
    gallery = client.get("/en/").content.decode()
    assert "<script>alert" not in gallery and "<b>Co" not in gallery
    assert "Published by <bdi>&lt;script&gt;alert(&quot;x&quot;)" in gallery
