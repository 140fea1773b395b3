"""The embeddable card of an object and its oEmbed endpoint (the <iframe> snippet the
object page offers to copy is in objects/snippets.py).

The card is the one page any site may frame: it alone answers with `frame-ancestors *` and
without X-Frame-Options (every other page keeps DENY and `frame-ancestors 'none'`, from
settings.py). It runs no script (`script-src 'none'`), sets no cookie and posts nothing:
its button opens the object's own page in a new tab, where the tip is sent.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from csp.decorators import csp_replace
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.safestring import SafeString
from django.utils.translation import get_language, get_language_from_path
from django.views.decorators.clickjacking import xframe_options_exempt

from objects.feeds import MarkupSafeJSONEncoder, etagged
from objects.models import ObjectState, TracedObject
from objects.selectors import object_page_get
from objects.snippets import CARD_HEIGHT, CARD_MIN_WIDTH, CARD_WIDTH, iframe_snippet
from objects.templatetags.object_texts import bdi
from objects.views import public_page


def owner_name_html(obj: TracedObject) -> SafeString | str:
    """A partner's name for "Published by …", escaped and isolated in <bdi>: a name that
    ends in a bracket, "Politie (NL)", keeps it in place in an Arabic sentence. "" for ours."""
    return bdi(obj.owner.name) if obj.owner is not None else ""


@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"], "script-src": ["'none'"], "form-action": ["'none'"]})
@public_page
@etagged
def embed_card(request: HttpRequest, code: str) -> HttpResponse:
    obj = object_page_get(code=code)
    if obj is None:
        raise Http404("No public object with this code.")
    language = get_language()
    response = render(
        request,
        "objects/embed.html",
        {
            "obj": obj,
            "ObjectState": ObjectState,
            "title": obj.text_in("title", language),
            "question": obj.text_in("questions", language),
            "alt": obj.text_in("alt_text", language),
            "owner_name": owner_name_html(obj),
            "page_url": request.build_absolute_uri(reverse("objects:detail", args=[obj.code])),
            "show_image": bool(obj.thumbnail) and obj.state != ObjectState.RETIRED,
        },
    )
    # Framed by other origins: the default same-origin policy would refuse it to a site
    # that isolates itself (Cross-Origin-Embedder-Policy).
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def _object_code_from_url(url: str, request: HttpRequest) -> tuple[str, str] | None:
    """(code, language) of one of our object pages or cards, or None for any other URL."""
    parts = urlsplit(url)
    ours = {request.get_host(), urlsplit(settings.SITE_URL).netloc}
    if parts.scheme not in {"http", "https"} or parts.netloc not in ours:
        return None
    path, language = parts.path, get_language_from_path(parts.path)
    if language is None:  # the page's shared link has none: it redirects by the browser's
        language = settings.LANGUAGE_CODE
        path = f"/{language}{path}"
    # A language prefix resolves only while that language is active.
    with translation.override(language):
        try:
            match = resolve(path)
        except Resolver404:
            return None
    if match.view_name not in {"objects:detail", "reach:embed", "reach:poster"}:
        return None
    return match.kwargs["code"], language


def _int_param(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


@public_page
@etagged
def oembed(request: HttpRequest) -> HttpResponse:
    """oEmbed 1.0 (https://oembed.com/): a pasted object link becomes the card's iframe."""
    if request.GET.get("format", "json") != "json":
        return HttpResponse(status=501)  # the specification's answer to an unknown format
    found = _object_code_from_url(request.GET.get("url", ""), request)
    obj = object_page_get(code=found[0]) if found else None
    if found is None or obj is None:
        raise Http404("Not the address of a public object.")
    max_width, max_height = _int_param(request, "maxwidth"), _int_param(request, "maxheight")
    width = max(CARD_MIN_WIDTH, min(CARD_WIDTH, max_width or CARD_WIDTH))
    if max_height is not None and max_height < CARD_HEIGHT:
        raise Http404("The card does not fit in that height.")
    with translation.override(found[1]):
        data: dict[str, object] = {
            "version": "1.0",
            "type": "rich",
            "provider_name": settings.PORTAL_NAME,
            "provider_url": request.build_absolute_uri("/"),
            "title": obj.text_in("title", found[1]),
            "html": iframe_snippet(request, obj, width=width),
            "width": width,
            "height": CARD_HEIGHT,
            "cache_age": 3600,
        }
        if obj.owner is not None:  # a partner's object: the agency that published it
            data["author_name"] = obj.owner.name
        if obj.thumbnail and obj.state != ObjectState.RETIRED:
            data |= {
                "thumbnail_url": request.build_absolute_uri(obj.thumbnail.url),
                "thumbnail_width": obj.thumbnail_width,
                "thumbnail_height": obj.thumbnail_height,
            }
    return JsonResponse(
        data, encoder=MarkupSafeJSONEncoder, json_dumps_params={"ensure_ascii": False}
    )
