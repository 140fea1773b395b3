"""Reads for the public pages: the gallery, its filters and counters, and one object.

Each function runs one query, whatever the number of objects, so the
public pages stay cheap on a launch day (tests pin the counts).
"""

from __future__ import annotations

from typing import TypedDict

from django.db.models import Count, Q

from objects.models import ObjectState, TracedObject, TracedObjectQuerySet

# The columns a gallery card shows; everything else stays in the database.
_CARD_FIELDS = (
    "code",
    "title",
    "category",
    "region_hint",
    "alt_text",
    "state",
    "published_at",
    "thumbnail",
    "thumbnail_width",
    "thumbnail_height",
    "translations",
)

# The columns the object page shows: never the case, the uploader or internal notes.
_PAGE_FIELDS = (
    "code",
    "title",
    "category",
    "questions",
    "region_hint",
    "alt_text",
    "state",
    "outcome",
    "outcome_public_line",
    "published_at",
    "display",
    "display_width",
    "display_height",
    "thumbnail",  # for the Open Graph card of a shared link and the tip form
    "thumbnail_width",
    "thumbnail_height",
    "translations",
)


def objects_public_list(
    *, category: str = "", region: str = "", hide_identified: bool = False
) -> TracedObjectQuerySet:
    """Published and identified objects, newest first; an empty filter means "any"."""
    objects = TracedObject.objects.public()
    if category:
        objects = objects.filter(category=category)
    if region:
        objects = objects.filter(region_hint=region)
    if hide_identified:
        objects = objects.exclude(state=ObjectState.IDENTIFIED)
    # pk breaks ties, so an object never shows on two pages or on none.
    return objects.only(*_CARD_FIELDS).order_by("-published_at", "-pk")


class PublicSummary(TypedDict):
    regions: list[str]  # the region hints public objects carry, for the region filter
    published: int  # every public object, identified ones included
    identified: int


def objects_public_summary() -> PublicSummary:
    """The gallery's region options and counters, in one query grouped by region hint (one
    row per region, whatever the number of objects)."""
    rows = (
        TracedObject.objects.public()
        .order_by("region_hint")
        .values_list("region_hint")
        .annotate(
            published=Count("pk"),
            identified=Count("pk", filter=Q(state=ObjectState.IDENTIFIED)),
        )
    )
    summary: PublicSummary = {"regions": [], "published": 0, "identified": 0}
    for region, published, identified in rows:
        if region:
            summary["regions"].append(region)
        summary["published"] += published
        summary["identified"] += identified
    return summary


def object_public_get(*, code: str) -> TracedObject | None:
    """The public object with this code, or None (also for drafts, retired objects, …)."""
    try:
        return TracedObject.objects.public().only(*_PAGE_FIELDS).get(code=code)
    except TracedObject.DoesNotExist:
        return None
