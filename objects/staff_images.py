"""How staff see an object's image beside a tip, in the queue and on the board."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from objects.models import TracedObject

OBJECT_IMAGE_SIDE = 320  # pixels: the long side of the object's image beside the tip


def staff_image_url(object_id: int, kind: str) -> str:
    """An object's image ("display" or "thumbnail") as staff see it, published or not: the
    private copy through image_view (an unpublished image has no public URL at all)."""
    return reverse("admin:objects_tracedobject_image", args=[object_id, kind])


def fitted(width: int | None, height: int | None, side: int) -> tuple[int, int]:
    """The size of an image scaled to `side` on its long side (no inline CSS under our CSP)."""
    if not width or not height:
        return side, side
    scale = min(1.0, side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def object_preview(obj: TracedObject | None, side: int) -> dict | None:
    """What staff compare a tip with: the object, its image's URL (empty before intake) and
    its size fitted to `side`. No query: `obj` comes with the tip's select_related."""
    if obj is None:
        return None
    image = staff_image_url(obj.pk, "display")
    width, height = fitted(obj.display_width, obj.display_height, side)
    return {
        "object": obj,
        "url": reverse("admin:objects_tracedobject_change", args=[obj.pk]),
        "image_url": image if obj.display else "",
        "width": width,
        "height": height,
    }


PREVIEW_SIDE = 480  # pixels: the long side of the image on the object's change page


def display_image_html(obj: TracedObject) -> str:
    """The object's image as its change page and action pages show it (escaped)."""
    if not obj.display:
        return _("No image yet: it appears once the upload is processed.")
    width, height = fitted(obj.display_width, obj.display_height, PREVIEW_SIDE)
    return format_html(
        '<a href="{0}"><img src="{0}" alt="{1}" width="{2}" height="{3}"></a>',
        staff_image_url(obj.pk, "display"),
        obj.alt_text,
        width,
        height,
    )
