"""Atom and JSON Feed 1.1 of the objects, one of each per language (/fr/feed.atom, …).

Both are built from the same entries (objects_feed_list): newest change first, identified
and retired objects kept as updated entries that say so. Each image comes with its width,
height and SHA-256, so a site that re-publishes an object can show it at its size and check
that its copy is ours. Cacheable as the gallery is: public_page, an ETag, no cookie.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypedDict

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from objects.models import Category, ObjectState, TracedObject
from objects.selectors import objects_feed_list
from objects.views import public_page

MEDIA_RSS_NS = "http://search.yahoo.com/mrss/"


def etagged(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """An ETag from the body, and 304 to a request whose If-None-Match has it: a feed
    reader polling every few minutes then costs a header, not the feed."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code != 200 or response.streaming:
            return response
        etag = f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
        response.headers["ETag"] = etag
        return get_conditional_response(request, etag=etag, response=response) or response

    return wrapped


class MarkupSafeJSONEncoder(DjangoJSONEncoder):
    """JSON whose strings carry no raw <, > or &: a partner's name or title such as
    "<script>" stays inert even where a careless reader pastes the JSON into a page."""

    def encode(self, o: Any) -> str:
        return (
            super()
            .encode(o)
            .replace("&", "\\u0026")
            .replace("<", "\\u003c")
            .replace(">", "\\u003e")
        )


class FeedImage(TypedDict):
    url: str
    width: int
    height: int
    sha256: str
    mime_type: str


class FeedEntry(TypedDict):
    url: str
    code: str
    title: str
    question: str
    region_hint: str
    category: str
    state: str
    status: str  # what became of it, "" while it is searched for
    summary: str
    author: str  # the partner agency that published it, "" for ours
    published: datetime
    updated: datetime
    image: FeedImage | None


def status_line(obj: TracedObject) -> str:
    """What a reader is told when an object is no longer simply searched for."""
    if obj.state == ObjectState.IDENTIFIED:
        line = _("Identified: %(outcome)s.") % {"outcome": obj.get_outcome_display()}
        return f"{line} {obj.outcome_public_line}".strip()
    if obj.state == ObjectState.RETIRED:
        return _("No longer searched for: this object was retired.")
    return ""


def _entry_title(obj: TracedObject, title: str) -> str:
    if obj.state == ObjectState.IDENTIFIED:
        return _("Identified: %(title)s") % {"title": title}
    if obj.state == ObjectState.RETIRED:
        return _("Retired: %(title)s") % {"title": title}
    return title


def published_by_line(obj: TracedObject) -> str:
    """Whose object it is, for a partner's (the msgid the gallery and object page use)."""
    if obj.owner is None:
        return ""
    return _("Published by %(owner)s") % {"owner": obj.owner.name}


def feed_entries(request: HttpRequest) -> list[FeedEntry]:
    language = get_language()
    categories = {value: str(label) for value, label in Category.choices}
    entries: list[FeedEntry] = []
    for obj in objects_feed_list():
        title = obj.text_in("title", language)
        question = obj.text_in("questions", language)
        region = obj.text_in("region_hint", language)
        status = status_line(obj)
        image: FeedImage | None = None
        # A retired object's public image is deleted (objects/media.py): never link to it.
        if obj.display and obj.state != ObjectState.RETIRED:
            image = {
                "url": request.build_absolute_uri(obj.display.url),
                "width": obj.display_width or 0,
                "height": obj.display_height or 0,
                "sha256": obj.display_sha256,
                "mime_type": "image/jpeg",  # the intake writes JPEG only (objects/imaging.py)
            }
        lines = [status, question]
        if region:
            lines.append(_("Region: %(region)s") % {"region": region})
        lines.append(published_by_line(obj))
        entries.append(
            {
                "url": request.build_absolute_uri(reverse("objects:detail", args=[obj.code])),
                "code": obj.code,
                "title": _entry_title(obj, title),
                "question": question,
                "region_hint": region,
                "category": categories.get(obj.category, obj.category),
                "state": obj.state,
                "status": status,
                "summary": "\n\n".join(line for line in lines if line),
                "author": obj.owner.name if obj.owner else "",
                "published": obj.published_at,  # type: ignore[typeddict-item]
                "updated": obj.feed_updated,  # type: ignore[attr-defined]
                "image": image,
            }
        )
    return entries


def _feed_title() -> str:
    return _("%(portal)s: objects to recognise") % {"portal": settings.PORTAL_NAME}


def _feed_description() -> str:
    return _(
        "Everyday objects from child-abuse investigations. If you recognise one, tell us "
        "where it comes from: no account needed, anonymously."
    )


class _MediaAtomFeed(Atom1Feed):
    """Atom with each image as a Media RSS <media:content>, which feed readers show."""

    def root_attributes(self) -> dict[str, str]:
        return {**super().root_attributes(), "xmlns:media": MEDIA_RSS_NS}

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        # Django declares the summary type="html"; ours is plain text (a partner's name or
        # title may read "<b>…"), which a reader must show as written, not render.
        summary = item["description"]
        super().add_item_elements(handler, {**item, "description": None})
        if summary is not None:
            handler.addQuickElement("summary", summary, {"type": "text"})
        image: FeedImage | None = item.get("image")
        if image is None:
            return
        handler.startElement(
            "media:content",
            {
                "url": image["url"],
                "type": image["mime_type"],
                "medium": "image",
                "width": str(image["width"]),
                "height": str(image["height"]),
            },
        )
        if image["sha256"]:
            handler.addQuickElement("media:hash", image["sha256"], {"algo": "sha-256"})
        handler.endElement("media:content")


class ObjectsAtomFeed(Feed):
    feed_type = _MediaAtomFeed

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> list[FeedEntry]:
        # The entries stand in for Django's "object": this instance serves every request.
        return feed_entries(request)

    def title(self) -> str:
        return _feed_title()

    def subtitle(self) -> str:
        return _feed_description()

    def link(self) -> str:
        return reverse("objects:gallery")

    def feed_url(self) -> str:
        return reverse("reach:feed_atom")

    def items(self, entries: list[FeedEntry]) -> list[FeedEntry]:
        return entries

    def item_title(self, item: FeedEntry) -> str:
        return item["title"]

    def item_description(self, item: FeedEntry) -> str:
        return item["summary"]

    def item_link(self, item: FeedEntry) -> str:
        return item["url"]

    def item_guid(self, item: FeedEntry) -> str:
        return item["url"]  # the same id before and after an update: readers replace it

    def item_author_name(self, item: FeedEntry) -> str | None:
        # Ours carry no <author>, as before; a partner's names the agency that published it.
        return item["author"] or None

    def item_pubdate(self, item: FeedEntry) -> datetime:
        return item["published"]

    def item_updateddate(self, item: FeedEntry) -> datetime:
        return item["updated"]

    def item_categories(self, item: FeedEntry) -> list[str]:
        return [item["category"]]

    def item_extra_kwargs(self, item: FeedEntry) -> dict[str, Any]:
        return {"image": item["image"]}


feed_atom = public_page(etagged(ObjectsAtomFeed()))


@public_page
@etagged
def feed_json(request: HttpRequest) -> HttpResponse:
    """JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/); the fields that have no
    place in it (code, state, the image's size and digest) are in its `_traceobject`
    extension, as the specification asks of extensions."""
    items = []
    for entry in feed_entries(request):
        item: dict[str, Any] = {
            "id": entry["url"],
            "url": entry["url"],
            "title": entry["title"],
            "content_text": entry["summary"],
            "summary": entry["status"] or entry["question"],
            "date_published": entry["published"].isoformat(),
            "date_modified": entry["updated"].isoformat(),
            "tags": [entry["category"]],
            "_traceobject": {
                "code": entry["code"],
                "state": entry["state"],
                "question": entry["question"],
                "region_hint": entry["region_hint"],
                "status": entry["status"],
                "image": entry["image"],
            },
        }
        if entry["author"]:
            item["authors"] = [{"name": entry["author"]}]
        if entry["image"]:
            item["image"] = entry["image"]["url"]
            item["attachments"] = [
                {"url": entry["image"]["url"], "mime_type": entry["image"]["mime_type"]}
            ]
        items.append(item)
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": _feed_title(),
        "description": _feed_description(),
        "home_page_url": request.build_absolute_uri(reverse("objects:gallery")),
        "feed_url": request.build_absolute_uri(reverse("reach:feed_json")),
        "language": get_language(),
        "items": items,
    }
    return JsonResponse(
        feed,
        encoder=MarkupSafeJSONEncoder,
        content_type="application/feed+json",
        json_dumps_params={"ensure_ascii": False},
    )
