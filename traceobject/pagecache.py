"""A server-side cache of the public pages, served before sessions, auth and OTP do any work:
only a 200 its view marked `Cache-Control: public`, without cookies, to a GET or HEAD without
a session cookie; made stale by `page_cache_bump()` (docs/architecture.md, "page cache")."""

from __future__ import annotations

import hashlib
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import get_conditional_response

from traceobject import metrics

VERSION_KEY = "pagecache:version"
# Never looked up: health must answer from the services themselves, and the back office is
# never cached (its requests carry a session anyway; this saves the lookup on its login).
NEVER_CACHED_PREFIXES = ("/healthz/", "/metrics", "/backoffice/")
# A cache that fails is skipped this long: pages are rendered as if nothing were cached,
# rather than every request waiting for Redis's timeout (see traceobject/cache.py too).
CACHE_DOWN_SECONDS = 10.0
_cache_down_until = 0.0
# Per process: key -> (expires at, value). Cleared whole when it grows past this.
_LOCAL_MAX = 1000
_local: dict[str, tuple[float, object]] = {}
logger = logging.getLogger(__name__)
_REFUSED_DIRECTIVES = {"private", "no-store", "no-cache"}
_COMMAS = re.compile(r"\s*,\s*")


def page_cache_bump() -> None:
    """Make every cached public page stale (call it once a change is committed)."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)
    _local.clear()


def _local_get(key: str) -> object | None:
    entry = _local.get(key)
    if entry is None or entry[0] < time.monotonic():
        return None
    return entry[1]


def _local_set(key: str, value: object) -> None:
    if len(_local) >= _LOCAL_MAX:
        _local.clear()
    _local[key] = (time.monotonic() + settings.PAGE_CACHE_LOCAL_SECONDS, value)


def _version() -> str:
    version = _local_get(VERSION_KEY)
    if version is None:
        version = cache.get(VERSION_KEY)
        if version is None:
            version = uuid.uuid4().hex
            cache.add(VERSION_KEY, version, None)
            version = cache.get(VERSION_KEY, version)
        _local_set(VERSION_KEY, version)
    return str(version)


def page_key(request: HttpRequest) -> str:
    language = translation.get_language_from_request(request, check_path=True)
    where = f"{request.get_host()}|{language}|{request.get_full_path()}"
    return f"page:{_version()}:{hashlib.sha256(where.encode()).hexdigest()}"


def request_cacheable(request: HttpRequest) -> bool:
    return (
        settings.PAGE_CACHE_SECONDS > 0
        and request.method in {"GET", "HEAD"}
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not request.path.startswith(NEVER_CACHED_PREFIXES)
        and time.monotonic() >= _cache_down_until
    )


def _cache_failed(exc: Exception) -> None:
    global _cache_down_until
    _cache_down_until = time.monotonic() + CACHE_DOWN_SECONDS
    logger.warning(
        "page cache unavailable (%s); pages rendered uncached for %ss",
        type(exc).__name__,
        CACHE_DOWN_SECONDS,
    )


def response_cacheable(response: HttpResponse) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    directives = {
        d.split("=")[0].strip().lower() for d in _COMMAS.split(response.get("Cache-Control", ""))
    }
    if "public" not in directives or directives & _REFUSED_DIRECTIVES:
        return False
    return "cookie" not in response.get("Vary", "").lower()


class _CacheUnavailable(Exception):
    pass


def _guarded(function: Callable[..., Any], *args: Any) -> Any:
    """Call a cache operation; a broken cache (Redis down or hanging) is never an error page."""
    try:
        return function(*args)
    except Exception as exc:
        _cache_failed(exc)
        raise _CacheUnavailable from exc


class PageCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request_cacheable(request):
            return self.get_response(request)
        try:
            return self.cached(request)
        except _CacheUnavailable:
            return self.get_response(request)

    def cached(self, request: HttpRequest) -> HttpResponse:
        key = _guarded(page_key, request)
        stored = _local_get(key)
        if stored is None:
            stored = _guarded(cache.get, key)
            if stored is not None:
                _local_set(key, stored)
        if stored is not None:
            headers, content = cast(tuple[dict[str, str], bytes], stored)
            response = HttpResponse(content, headers=headers)
            response["X-Page-Cache"] = "hit"
            metrics.PAGE_CACHE.labels(result="hit").inc()
            # A page stored with an ETag (objects/feeds.py) answers a matching
            # If-None-Match with 304, from here as from its view.
            if "ETag" in headers:
                return (
                    get_conditional_response(request, etag=headers["ETag"], response=response)
                    or response
                )
            return response
        metrics.PAGE_CACHE.labels(result="miss").inc()
        response = self.get_response(request)
        if response_cacheable(response):
            stored = (dict(response.items()), response.content)
            try:
                cache.set(key, stored, settings.PAGE_CACHE_SECONDS)
            except Exception as exc:  # the page is rendered: send it, uncached
                _cache_failed(exc)
                return response
            _local_set(key, stored)
            response["X-Page-Cache"] = "miss"
        return response
