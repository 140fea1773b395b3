"""The public pages: the gallery and one object's page.

Any cache may serve these pages, so they never read `request.user` or `request.session`
(nor do their templates), carry no CSRF token and set no cookie. Reads are in selectors.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from html import escape
from typing import TypedDict
from urllib.parse import quote

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from objects.models import Category, LocalText, ObjectState, TracedObject
from objects.selectors import (
    object_public_get,
    objects_public_list,
    objects_public_summary,
)

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
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
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


def gallery_filters(data: QueryDict, *, regions: list[str]) -> tuple[GalleryFilters, dict]:
    """The gallery's GET filters, and the filter form's controls rendered by hand (a Django
    form with its widgets cost several times the rest of the page's filters).

    A value that is not an option is ignored, not an error: the filter is then off.
    hide_identified reads as a Django BooleanField with a CheckboxInput would: absent, empty
    or "false" is off, anything else on.
    """
    category, region = data.get("category", ""), data.get("region", "")
    hide = data.get("hide_identified")
    hide_identified = hide is not None and hide.lower() != "false" and bool(hide)
    categories = [("", str(_("All categories"))), *((v, str(t)) for v, t in Category.choices)]
    filters: GalleryFilters = {
        "category": category if category in Category.values else "",
        "region": region if region and region in regions else "",
        "hide_identified": hide_identified,
    }
    controls = {
        "category": _select("category", str(_("Category")), categories, category),
        "region": _select(
            "region",
            str(_("Region")),
            [("", str(_("All regions"))), *((r, r) for r in regions)],
            region,
        ),
        "hide_identified": hide_identified,
    }
    return filters, controls


# One gallery card. Rendered here rather than by a template include: 24 includes, each with a
# {% url %}, an object_texts tag and three lang_if_other tags, were most of the page's cost.
# Every value goes through html.escape (what django.utils.html.escape does, without its lazy
# checks); the lang attributes through _lang().
_CARD = """<li class="col">
<article class="card h-100 object-card">
  {image}
  <div class="card-body d-flex flex-column">
    <h3 class="h5 card-title"><a class="stretched-link" href="{url}"{title_lang}>{title}</a></h3>
    <p class="card-text small mb-2 object-meta">
      <span class="object-code">{code}</span> · {category}{region}
    </p>
    {badge}
  </div>
</article>
</li>"""
_IMAGE = (
    '<img src="{}" width="{}" height="{}" alt="{}"{} loading="lazy"'
    ' class="card-img-top object-thumb">'
)
_REGION = " · <span{}>{}</span>"
_BADGE = '<p class="mt-auto mb-0"><span class="badge badge-identified">{}</span></p>'


def gallery_cards(objects: Iterable[TracedObject]) -> SafeString:
    """The cards of one gallery page, each an <li>, with their texts in the page's language
    (lang="…" on any that is not); the detail URL is reversed once, not once a card."""
    language = get_language()
    # A code that cannot occur in a real one, replaced by each object's (quoted) code.
    url_template = escape(reverse("objects:detail", args=["CODE-PLACEHOLDER"]))
    categories = {value: escape(str(label)) for value, label in Category.choices}
    badge = _BADGE.format(escape(_("Identified")))

    def lang(text: LocalText) -> str:
        return f' lang="{escape(text.lang)}"' if text.lang and text.lang != language else ""

    cards = []
    for obj in objects:
        title = obj.text_in("title", language)
        region_hint = obj.text_in("region_hint", language)
        image = ""
        if obj.thumbnail:
            alt_text = obj.text_in("alt_text", language)
            image = _IMAGE.format(
                escape(obj.thumbnail.url),
                escape(str(obj.thumbnail_width)),
                escape(str(obj.thumbnail_height)),
                escape(alt_text),
                lang(alt_text),
            )
        region = _REGION.format(lang(region_hint), escape(region_hint)) if region_hint else ""
        cards.append(
            _CARD.format(
                image=image,
                url=url_template.replace("CODE-PLACEHOLDER", escape(quote(obj.code, safe=""))),
                title_lang=lang(title),
                title=escape(title),
                code=escape(obj.code),
                category=categories.get(obj.category) or escape(obj.category),
                region=region,
                badge=badge if obj.state == ObjectState.IDENTIFIED else "",
            )
        )
    return mark_safe("\n".join(cards))  # noqa: S308 - every value above went through escape


@public_page
def gallery(request: HttpRequest) -> HttpResponse:
    summary = objects_public_summary()
    filters, controls = gallery_filters(request.GET, regions=summary["regions"])
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
    obj = object_public_get(code=code)
    if obj is None:
        raise Http404("No public object with this code.")
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
        },
    )
