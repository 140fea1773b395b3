"""The <iframe> snippet of an object's embeddable card (objects/embed.py), and what the
object page shows to offer it; apart from the card's views so the object page can import
it without importing views that import it back."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language

from objects.models import TracedObject

# The iframe's size in CSS pixels: the card is laid out for it (static/css/embed.css).
CARD_WIDTH = 360
CARD_HEIGHT = 540
CARD_MIN_WIDTH = 280


def card_url(request: HttpRequest, code: str) -> str:
    return request.build_absolute_uri(reverse("reach:embed", args=[code]))


def iframe_snippet(request: HttpRequest, obj: TracedObject, *, width: int = CARD_WIDTH) -> str:
    """The <iframe> another site pastes, in the active language."""
    return render_to_string(
        "objects/includes/embed_iframe.html",
        {
            "src": card_url(request, obj.code),
            "width": width,
            "height": CARD_HEIGHT,
            "title": obj.text_in("title", get_language()),
            "PORTAL_NAME": settings.PORTAL_NAME,
        },
    ).strip()


def reach_context(request: HttpRequest, obj: TracedObject) -> dict[str, object]:
    """What the object page needs for its "embed", "poster" and oEmbed discovery parts."""
    page_url = request.build_absolute_uri(reverse("objects:detail", args=[obj.code]))
    return {
        "embed_snippet": iframe_snippet(request, obj),
        "oembed_url": request.build_absolute_uri(reverse("oembed"))
        + "?"
        + urlencode({"url": page_url, "format": "json"}),
    }
