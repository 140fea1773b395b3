"""The server-side page cache (traceobject/pagecache.py): what it serves, to whom, and when
a change makes it stale."""

from __future__ import annotations

from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from objects.services import object_retire
from traceobject.pagecache import page_key, response_cacheable


def test_an_anonymous_visitor_gets_the_gallery_from_the_cache_without_a_query(
    client, public_object, django_assert_num_queries
):
    first = client.get(reverse("objects:gallery"))
    assert first["X-Page-Cache"] == "miss"
    with django_assert_num_queries(0):
        second = client.get(reverse("objects:gallery"))
    assert second["X-Page-Cache"] == "hit"
    assert second.content == first.content
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]


def test_the_object_page_is_cached_too(client, public_object):
    url = reverse("objects:detail", args=[public_object.code])
    assert client.get(url)["X-Page-Cache"] == "miss"
    assert client.get(url)["X-Page-Cache"] == "hit"


def test_retiring_an_object_makes_the_cached_pages_stale_at_once(
    client, public_object, investigator, django_capture_on_commit_callbacks
):
    gallery = reverse("objects:gallery")
    assert public_object.code in client.get(gallery).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        object_retire(obj=public_object, by=investigator)
    response = client.get(gallery)
    assert response["X-Page-Cache"] == "miss"
    assert public_object.code not in response.content.decode()
    # Its page stays (posters and other sites link to it), and says at once it was retired.
    page = client.get(reverse("objects:detail", args=[public_object.code]))
    assert "this object was retired" in page.content.decode()
    assert page["X-Page-Cache"] == "miss"


def test_each_filter_and_page_is_a_page_of_its_own(client, public_object):
    gallery = reverse("objects:gallery")
    assert client.get(f"{gallery}?category=packaging")["X-Page-Cache"] == "miss"
    assert client.get(f"{gallery}?category=textile")["X-Page-Cache"] == "miss"
    assert client.get(f"{gallery}?category=packaging")["X-Page-Cache"] == "hit"


def test_a_visitor_with_a_session_cookie_is_neither_served_from_nor_stored_in_the_cache(
    client, public_object, settings
):
    client.get(reverse("objects:gallery"))  # cached for the anonymous
    client.cookies[settings.SESSION_COOKIE_NAME] = "anything"
    response = client.get(reverse("objects:gallery"))
    assert "X-Page-Cache" not in response
    assert "private" in response["Cache-Control"]


def test_a_page_holding_a_form_is_never_cached(client, public_object):
    url = reverse("tips:tip", args=[public_object.code])
    assert "X-Page-Cache" not in client.get(url)
    assert "X-Page-Cache" not in client.get(url)
    assert "X-Page-Cache" not in client.post(url, {})


def test_a_response_that_sets_a_cookie_or_is_private_is_never_stored():
    public = HttpResponse("x", headers={"Cache-Control": "public, max-age=60"})
    assert response_cacheable(public)
    with_cookie = HttpResponse("x", headers={"Cache-Control": "public, max-age=60"})
    with_cookie.set_cookie("csrftoken", "t")
    assert not response_cacheable(with_cookie)
    assert not response_cacheable(HttpResponse("x", headers={"Cache-Control": "private"}))
    assert not response_cacheable(HttpResponse("x"))
    varies = HttpResponse("x", headers={"Cache-Control": "public", "Vary": "Cookie"})
    assert not response_cacheable(varies)


def test_the_key_is_the_full_path_and_the_language(settings):
    settings.LANGUAGES = [("en", "English"), ("fr", "French")]
    rf = RequestFactory()
    english = page_key(rf.get("/?page=2", HTTP_ACCEPT_LANGUAGE="en"))
    assert page_key(rf.get("/?page=2", HTTP_ACCEPT_LANGUAGE="en")) == english
    assert page_key(rf.get("/?page=2", HTTP_ACCEPT_LANGUAGE="fr")) != english
    assert page_key(rf.get("/?page=3", HTTP_ACCEPT_LANGUAGE="en")) != english
    assert page_key(rf.get("/fr/?page=2")) != page_key(rf.get("/?page=2"))


def test_the_gallery_is_rendered_uncached_while_redis_is_down(client, public_object, settings):
    from traceobject import pagecache

    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
    }
    pagecache._local.clear()
    try:
        response = client.get(reverse("objects:gallery"))
        assert response.status_code == 200 and public_object.code in response.content.decode()
        assert "X-Page-Cache" not in response  # skipped for a while, not retried per request
        assert not pagecache.request_cacheable(RequestFactory().get("/"))
    finally:
        pagecache._cache_down_until = 0.0
