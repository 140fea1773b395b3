"""The public pages: the gallery and one object's page.

Any cache may serve these pages, so they never read `request.user` or `request.session`
(nor do their templates), carry no CSRF token and set no cookie. Reads are in selectors.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypedDict
from urllib.parse import quote

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from objects.models import Category, LocalText, ObjectState, TracedObject
from objects.selectors import (
    OWNER_OURS,
    object_page_get,
    objects_public_list,
    objects_public_summary,
)
from objects.snippets import reach_context

GALLERY_PAGE_SIZE = 24
# Short enough that a newly published or identified object shows within a minute.
PUBLIC_MAX_AGE = 60


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET and HEAD only, and cacheable by any cache for PUBLIC_MAX_AGE seconds.

    Except for a staff member browsing with a session cookie: SESSION_SAVE_EVERY_REQUEST
    renews that cookie on every response, and a shared cache must never store it.
    """

    @require_safe
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            patch_cache_control(response, private=True, max_age=PUBLIC_MAX_AGE)
        else:
            patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
        return response

    return wrapped


class GalleryFilters(TypedDict):
    category: str
    region: str
    hide_identified: bool
    owner: str  # "" any, OWNER_OURS, or a partner's primary key


def _select(name: str, label: str, options: list[tuple[str, str]], current: str) -> SafeString:
    """A labelled <select>, as a Django Select widget renders it, in one format_html pass.

    A value that is not an option selects nothing (the filter is then ignored)."""
    rendered = format_html_join(
        "\n",
        '  <option value="{}"{}>{}</option>\n',
        ((value, " selected" if value == current else "", text) for value, text in options),
    )
    return format_html(
        '<label class="form-label" for="id_{}">{}</label>\n'
        '      <select name="{}" class="form-select" id="id_{}">\n{}\n</select>',
        name,
        label,
        name,
        name,
        rendered,
    )


def gallery_filters(
    data: QueryDict, *, regions: list[str], owners: list[tuple[str, str]] | None = None
) -> tuple[GalleryFilters, dict]:
    """The gallery's GET filters, and the filter form's controls rendered by hand (a Django
    form with its widgets cost several times the rest of the page's filters).

    A value that is not an option is ignored, not an error: the filter is then off.
    hide_identified reads as a Django BooleanField with a CheckboxInput would: absent, empty
    or "false" is off, anything else on.
    """
    category, region = data.get("category", ""), data.get("region", "")
    owner, owners = data.get("owner", ""), owners or []
    hide = data.get("hide_identified")
    hide_identified = hide is not None and hide.lower() != "false" and bool(hide)
    categories = [("", str(_("All categories"))), *((v, str(t)) for v, t in Category.choices)]
    filters: GalleryFilters = {
        "category": category if category in Category.values else "",
        "region": region if region and region in regions else "",
        "hide_identified": hide_identified,
        "owner": owner if owner in {OWNER_OURS, *(pk for pk, _name in owners)} else "",
    }
    controls = {
        "category": _select("category", str(_("Category")), categories, category),
        "region": _select(
            "region",
            str(_("Region")),
            # A region hint the catalogues know (the demo's, the common ones) is shown in
            # the visitor's language; the value stays the stored hint.
            [("", str(_("All regions"))), *((r, _(r)) for r in regions)],
            region,
        ),
        "hide_identified": hide_identified,
        # Only once a partner's objects are shown: before, every object is ours.
        "owner": _select(
            "owner",
            str(_("Published by")),
            [("", str(_("All publishers"))), (OWNER_OURS, settings.PORTAL_NAME), *owners],
            owner,
        )
        if owners
        else "",
    }
    return filters, controls


class GalleryCard(TypedDict):
    """What one card of objects/includes/gallery_cards.html shows, worked out in Python: the
    template then only reads dictionary keys (24 cards each with a {% url %} and three
    object_texts lookups were most of the page's cost). A *_lang is "" when that text is in
    the page's language, else the language it is in (lang="…" for screen readers)."""

    url: str
    title: str
    title_lang: str
    code: str
    category: str
    region: str
    region_lang: str
    thumb_url: str
    thumb_width: str  # str, not int: the template would localize a number, at a cost
    thumb_height: str
    alt: str
    alt_lang: str
    identified: bool
    published_by: str  # a partner's name, "" for ours


def gallery_cards(objects: Iterable[TracedObject]) -> list[GalleryCard]:
    """The cards of one gallery page, with their texts in the page's language; the detail URL
    is reversed once, not once a card."""
    language = get_language()
    # A code that cannot occur in a real one, replaced by each object's (quoted) code.
    url_template = reverse("objects:detail", args=["CODE-PLACEHOLDER"])
    categories = {value: str(label) for value, label in Category.choices}

    def other(text: LocalText) -> str:
        return text.lang if text.lang and text.lang != language else ""

    cards: list[GalleryCard] = []
    for obj in objects:
        title = obj.text_in("title", language)
        region = obj.text_in("region_hint", language)
        alt = obj.text_in("alt_text", language) if obj.thumbnail else LocalText("", language)
        cards.append(
            {
                "url": url_template.replace("CODE-PLACEHOLDER", quote(obj.code, safe="")),
                "title": title,
                "title_lang": other(title),
                "code": obj.code,
                "category": categories.get(obj.category) or obj.category,
                "region": region,
                "region_lang": other(region),
                "thumb_url": obj.thumbnail.url if obj.thumbnail else "",
                "thumb_width": str(obj.thumbnail_width),
                "thumb_height": str(obj.thumbnail_height),
                "alt": alt,
                "alt_lang": other(alt),
                "identified": obj.state == ObjectState.IDENTIFIED,
                "published_by": obj.owner.name if obj.owner_id and obj.owner else "",
            }
        )
    return cards


@public_page
def gallery(request: HttpRequest) -> HttpResponse:
    summary = objects_public_summary()
    filters, controls = gallery_filters(
        request.GET, regions=summary["regions"], owners=summary["owners"]
    )
    filtered = any(filters.values())
    paginator = Paginator(objects_public_list(**filters), GALLERY_PAGE_SIZE)
    if not filtered:  # the unfiltered list is every public object: no COUNT query needed
        paginator.count = summary["published"]
    # get_page turns a missing or malformed number into page 1, one too large into the last.
    page_obj = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "objects/gallery.html",
        {
            "controls": controls,
            "gallery_url": reverse("objects:gallery"),
            "filtered": filtered,
            "page_obj": page_obj,
            "cards": gallery_cards(page_obj),
            "page_range": paginator.get_elided_page_range(page_obj.number),
            "counts": summary,
        },
    )


@public_page
def object_detail(request: HttpRequest, code: str) -> HttpResponse:
    # Retired objects keep their address: posters, feeds and other sites still link to it.
    obj = object_page_get(code=code)
    if obj is None:
        raise Http404("No public object with this code.")
    if obj.state == ObjectState.RETIRED:
        return render(request, "objects/object_retired.html", {"obj": obj})

    # The shared link is the unprefixed one: whoever opens it gets their own language.
    share_path = request.path_info[len(request.LANGUAGE_CODE) + 1 :]
    share_image = request.build_absolute_uri(obj.thumbnail.url) if obj.thumbnail else ""
    return render(
        request,
        "objects/object_detail.html",
        {
            "obj": obj,
            "ObjectState": ObjectState,
            "share_url": request.build_absolute_uri(share_path),
            "share_image": share_image,
            **reach_context(request, obj),
        },
    )
