"""The Atom and JSON feeds, read by feed-reader libraries as a subscriber's reader would."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import feedparser
import feedparser_rs
import pytest
from django.conf import settings
from django.utils import timezone

from objects.models import Outcome, TracedObject
from objects.services import object_mark_identified, object_retire
from tests.factories import published_object

LANGUAGES = [code for code, _name in settings.LANGUAGES]


@pytest.fixture
def three_objects(case, investigator, second_investigator):
    """Three published objects with real images, published a minute apart (oldest first)."""
    objects = [
        published_object(
            case, investigator, second_investigator, seed=seed, title=f"Object number {seed}"
        )
        for seed in range(3)
    ]
    start = timezone.now() - timedelta(hours=1)
    for minutes, obj in enumerate(objects):
        TracedObject.objects.filter(pk=obj.pk).update(
            published_at=start + timedelta(minutes=minutes)
        )
        obj.refresh_from_db()
    return objects


def _served_sha256(media_root, url: str) -> str:
    name = url.split(settings.MEDIA_URL, 1)[1]
    return hashlib.sha256((media_root / name).read_bytes()).hexdigest()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_atom_feed_lists_every_published_object_with_its_image(
    client, three_objects, media_root, language
):
    response = client.get(f"/{language}/feed.atom")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.language == language
    links = [entry.link for entry in feed.entries]
    # Newest first.
    assert links == [
        f"http://testserver/{language}/objects/{obj.code}/" for obj in reversed(three_objects)
    ]
    for entry, obj in zip(feed.entries, reversed(three_objects), strict=True):
        (image,) = entry.media_content
        assert image["url"] == f"http://testserver{obj.display.url}"
        assert (int(image["width"]), int(image["height"])) == (
            obj.display_width,
            obj.display_height,
        )
        assert obj.display_sha256 == _served_sha256(media_root, image["url"])
        assert f"{obj.display_sha256}</media:hash>" in response.content.decode()
        assert "Where is this wallpaper sold?" in entry.summary


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_json_feed_lists_every_published_object_with_its_image(
    client, three_objects, media_root, language
):
    response = client.get(f"/{language}/feed.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/feed+json"
    feed = feedparser_rs.parse(response.content)
    assert not feed.bozo
    assert feed.version == "json11"
    assert [entry.link for entry in feed.entries] == [
        f"http://testserver/{language}/objects/{obj.code}/" for obj in reversed(three_objects)
    ]
    items = json.loads(response.content)["items"]
    for entry, item, obj in zip(feed.entries, items, reversed(three_objects), strict=True):
        assert entry.title == "Object number " + obj.title[-1]
        assert entry.enclosures[0].href == f"http://testserver{obj.display.url}"
        image = item["_traceobject"]["image"]
        assert (image["width"], image["height"]) == (obj.display_width, obj.display_height)
        assert image["sha256"] == _served_sha256(media_root, image["url"])
        assert item["image"] == image["url"]


def test_a_translated_object_is_listed_in_the_feed_language(client, three_objects):
    TracedObject.objects.filter(pk=three_objects[0].pk).update(
        translations={"fr": {"title": "Objet numéro zéro", "questions": "Où est-il vendu ?"}}
    )

    feed = feedparser.parse(client.get("/fr/feed.atom").content)

    assert feed.entries[-1].title == "Objet numéro zéro"
    assert "Où est-il vendu ?" in feed.entries[-1].summary


def test_an_identified_object_comes_back_as_an_updated_entry_that_says_so(
    client, three_objects, investigator
):
    oldest = three_objects[0]
    object_mark_identified(
        obj=oldest,
        by=investigator,
        outcome=Outcome.COUNTRY_NARROWED,
        public_line="Sold in one country only.",
    )

    atom = feedparser.parse(client.get("/en/feed.atom").content)
    items = json.loads(client.get("/en/feed.json").content)["items"]

    first = atom.entries[0]
    assert first.link.endswith(f"/objects/{oldest.code}/")  # moved to the top
    assert first.title == "Identified: Object number 0"
    assert "Identified: Country narrowed. Sold in one country only." in first.summary
    assert first.updated_parsed > first.published_parsed
    assert first.id == f"http://testserver/en/objects/{oldest.code}/"  # the same entry
    assert items[0]["_traceobject"]["state"] == "identified"
    assert items[0]["date_modified"] > items[0]["date_published"]
    assert items[0]["image"]  # still public, with its image


def test_a_retired_object_stays_in_the_feeds_without_its_image(client, three_objects, investigator):
    newest = three_objects[-1]
    object_retire(obj=newest, by=investigator)

    atom = feedparser.parse(client.get("/en/feed.atom").content)
    items = json.loads(client.get("/en/feed.json").content)["items"]

    assert len(atom.entries) == 3
    retired = atom.entries[0]
    assert retired.title == "Retired: Object number 2"
    assert "No longer searched for" in retired.summary
    assert not retired.get("media_content")
    assert "image" not in items[0] and items[0]["_traceobject"]["image"] is None


def test_drafts_and_objects_awaiting_approval_are_in_no_feed(client, case, investigator):
    from tests.factories import submitted_object

    waiting = submitted_object(case, investigator)

    for path in ("/en/feed.atom", "/en/feed.json"):
        assert waiting.code not in client.get(path).content.decode()


@pytest.mark.parametrize("path", ["/en/feed.atom", "/fr/feed.json"])
def test_a_repeat_with_the_etag_gets_304_from_the_view_and_from_the_page_cache(
    client, three_objects, path
):
    first = client.get(path)
    etag = first["ETag"]

    assert first["X-Page-Cache"] == "miss"
    assert "public" in first["Cache-Control"]
    assert not first.cookies
    cached = client.get(path, headers={"if-none-match": etag})
    assert cached.status_code == 304
    assert cached.content == b""

    from traceobject.pagecache import page_cache_bump

    page_cache_bump()
    rendered = client.get(path, headers={"if-none-match": etag})
    assert rendered.status_code == 304
    assert "X-Page-Cache" not in rendered  # a 304 is never stored


def test_a_change_gives_the_feed_a_new_etag(
    client, three_objects, investigator, django_capture_on_commit_callbacks
):
    etag = client.get("/en/feed.json")["ETag"]
    with django_capture_on_commit_callbacks(execute=True):  # the page cache made stale
        object_retire(obj=three_objects[0], by=investigator)

    assert client.get("/en/feed.json", headers={"if-none-match": etag}).status_code == 200


def test_every_public_page_links_to_both_feeds_of_its_language(client, three_objects):
    for path in ("/de/", f"/de/objects/{three_objects[0].code}/", "/de/about/"):
        html = client.get(path).content.decode()
        assert '<link rel="alternate" type="application/atom+xml" href="/de/feed.atom"' in html
        assert '<link rel="alternate" type="application/feed+json" href="/de/feed.json"' in html


def test_the_feeds_cost_one_query_whatever_the_number_of_objects(
    client, three_objects, django_assert_num_queries
):
    from traceobject.pagecache import page_cache_bump

    for path in ("/en/feed.atom", "/en/feed.json"):
        page_cache_bump()
        with django_assert_num_queries(1):
            client.get(path)


def test_the_feeds_speak_their_language(client, three_objects, investigator):
    object_mark_identified(
        obj=three_objects[0], by=investigator, outcome=Outcome.COUNTRY_NARROWED, public_line=""
    )

    atom = feedparser.parse(client.get("/fr/feed.atom").content)
    feed = json.loads(client.get("/de/feed.json").content)

    assert atom.feed.title == "Trace an Object\u00a0: objets à reconnaître"
    assert atom.entries[0].title == "Identifié\u00a0: Object number 0"
    assert feed["title"] == "Trace an Object: Objekte zum Wiedererkennen"
    assert feed["items"][0]["title"] == "Identifiziert: Object number 0"
