"""GET /network/feed.json: our own public objects as one signed document for partner
portals (docs/network.md, "Objects"), polled with a conditional GET.

Only what the public pages show: code, status, texts, region, category, outcome and the
sanitised public image with its digest; never a case, a person or a draft.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from network.envelope import document_sign
from network.keys import network_enabled
from objects.models import TRANSLATED_FIELDS, ObjectState, TracedObject
from objects.selectors import objects_network_feed_list
from objects.views import public_page

# Our field names as the feed calls them (the contract's "description" is our questions).
FEED_TEXT_NAMES = {
    "title": "title",
    "questions": "description",
    "region_hint": "region",
    "alt_text": "alt",
}
assert set(FEED_TEXT_NAMES) == set(TRANSLATED_FIELDS)


def feed_minute(moment: datetime) -> str:
    """A time as the feed writes it: UTC, to the minute."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def _translations(obj: TracedObject) -> dict[str, dict[str, str]]:
    """English (our fields) and each language it was translated into, empty texts left out:
    the receiving portal falls back to English as we do."""
    texts = {
        settings.LANGUAGE_CODE: {
            FEED_TEXT_NAMES[name]: getattr(obj, name)
            for name in TRANSLATED_FIELDS
            if getattr(obj, name)
        }
    }
    for language, fields in sorted((obj.translations or {}).items()):
        kept = {FEED_TEXT_NAMES[n]: v for n, v in fields.items() if n in FEED_TEXT_NAMES and v}
        if kept and language != settings.LANGUAGE_CODE:
            texts[language] = kept
    return texts


def feed_item(obj: TracedObject) -> dict[str, Any]:
    item: dict[str, Any] = {
        "ref": obj.code,
        "status": obj.state,
        "updated": feed_minute(obj.feed_updated),  # type: ignore[attr-defined]
        "region": obj.region_hint,
        "category": obj.category,
        "translations": _translations(obj),
        "images": [],
    }
    if obj.state == ObjectState.IDENTIFIED:
        item["outcome"] = obj.outcome
        item["outcome_line"] = obj.outcome_public_line
    # A retired object's public image is deleted (objects/media.py): never link to it.
    if obj.display and obj.state != ObjectState.RETIRED:
        item["images"] = [
            {
                "url": urljoin(settings.SITE_URL, obj.display.url),
                "sha256": obj.display_sha256,
            }
        ]
    return item


def network_feed_payload() -> tuple[dict[str, Any], datetime | None]:
    """The feed's payload and when its newest entry changed (None when it is empty)."""
    objects = objects_network_feed_list()
    newest = max((obj.feed_updated for obj in objects), default=None)  # type: ignore[attr-defined]
    return {"objects": [feed_item(obj) for obj in objects]}, newest


@public_page
def network_feed(request: HttpRequest) -> HttpResponse:
    if not network_enabled():
        raise Http404("The network is off on this portal.")
    payload, newest = network_feed_payload()
    # The ETag is the payload's, not the signed body's: the signature's timestamp changes
    # with every request, the objects do not, and a partner's poll should cost a header.
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    etag = f'"{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"'
    modified = newest.timestamp() if newest else None
    headers = {"ETag": etag, **({"Last-Modified": http_date(modified)} if modified else {})}
    not_modified = get_conditional_response(
        request, etag=etag, last_modified=int(modified) if modified else None
    )
    if not_modified is not None:
        for name, value in headers.items():
            not_modified.headers[name] = value
        return not_modified
    body = document_sign(kind="objects", payload=payload)
    return HttpResponse(body, content_type="application/json", headers=headers)
