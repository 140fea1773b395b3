"""Reads: the public pages' (one query each, whatever the number of objects, so they stay
cheap on a launch day; tests pin the counts) and the back office's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from django.contrib.auth.models import User
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce

from objects.models import (
    PUBLIC_STATES,
    Case,
    ObjectState,
    Resemblance,
    TracedObject,
    TracedObjectQuerySet,
)

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
    "owner__name",  # "Published by …" on a partner's object (joined, no second query)
    "owner__origin",
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
    "owner_ref",
    "owner__name",
    "owner__origin",
)

# The gallery's owner filter: our own objects, or one partner's (its primary key).
OWNER_OURS = "here"


def objects_public_list(
    *, category: str = "", region: str = "", hide_identified: bool = False, owner: str = ""
) -> TracedObjectQuerySet:
    """Published and identified objects, newest first; an empty filter means "any"."""
    objects = TracedObject.objects.public()
    if owner == OWNER_OURS:
        objects = objects.ours()
    elif owner:
        objects = objects.filter(owner_id=owner)
    if category:
        objects = objects.filter(category=category)
    if region:
        objects = objects.filter(region_hint=region)
    if hide_identified:
        objects = objects.exclude(state=ObjectState.IDENTIFIED)
    # pk breaks ties, so an object never shows on two pages or on none.
    return objects.select_related("owner").only(*_CARD_FIELDS).order_by("-published_at", "-pk")


class PublicSummary(TypedDict):
    regions: list[str]  # the region hints public objects carry, for the region filter
    owners: list[tuple[str, str]]  # (pk, name) of the partners whose objects are public here
    published: int  # every public object, identified ones included
    identified: int


def objects_public_summary() -> PublicSummary:
    """The gallery's region and owner options and counters, in one query grouped by region
    hint and owner (one row per pair, whatever the number of objects)."""
    rows = (
        TracedObject.objects.public()
        .order_by("region_hint", "owner__name", "owner_id")
        .values_list("region_hint", "owner_id", "owner__name")
        .annotate(
            published=Count("pk"),
            identified=Count("pk", filter=Q(state=ObjectState.IDENTIFIED)),
        )
    )
    summary: PublicSummary = {"regions": [], "owners": [], "published": 0, "identified": 0}
    owners: dict[str, str] = {}
    for region, owner_id, owner_name, published, identified in rows:
        if region and region not in summary["regions"]:
            summary["regions"].append(region)
        if owner_id is not None:
            owners[str(owner_id)] = owner_name
        summary["published"] += published
        summary["identified"] += identified
    summary["owners"] = sorted(owners.items(), key=lambda pair: (pair[1].lower(), pair[0]))
    return summary


def object_public_get(*, code: str) -> TracedObject | None:
    """The public object with this code, or None (also for drafts, retired objects, …)."""
    try:
        return (
            TracedObject.objects.public().select_related("owner").only(*_PAGE_FIELDS).get(code=code)
        )
    except TracedObject.DoesNotExist:
        return None


# --- Back office ------------------------------------------------------------------------


def owned_case_ids(*, user: User) -> set[int] | None:
    """The cases whose reference `user` may read; None for a superuser (every case)."""
    if user.is_superuser:
        return None
    return set(Case.objects.filter(owners=user).values_list("pk", flat=True))


def cases_of(*, user: User, cases: QuerySet[Case] | None = None) -> QuerySet[Case]:
    """The cases `user` owns (every case for a superuser), of `cases` if given."""
    cases = Case.objects.all() if cases is None else cases
    return cases if user.is_superuser else cases.filter(owners=user)


def cases_with_object_counts(*, user: User, cases: QuerySet[Case]) -> QuerySet[Case]:
    return cases_of(user=user, cases=cases).annotate(
        object_count=Count("traced_objects", distinct=True)
    )


@dataclass(frozen=True)
class NearDuplicate:
    other: TracedObject
    distance: int
    visible: bool  # `user` may open it
    case_visible: bool  # `user` may read its case's reference


def near_duplicates(
    *, obj: TracedObject, user: User, owned: set[int] | None
) -> list[NearDuplicate]:
    """Every resemblance of `obj` in either direction, closest first, with what `user` may
    see of the other object (`owned`: owned_case_ids). Two queries."""
    rows = Resemblance.objects.filter(Q(new=obj) | Q(existing=obj)).select_related(
        "new__case", "existing__case"
    )
    others: dict[int, tuple[TracedObject, int]] = {}
    for row in rows:
        other = row.existing if row.new_id == obj.pk else row.new
        if other.pk not in others or row.distance < others[other.pk][1]:
            others[other.pk] = (other, row.distance)
    visible = set(
        TracedObject.objects.visible_to(user).filter(pk__in=others).values_list("pk", flat=True)
    )
    return [
        NearDuplicate(
            other=other,
            distance=distance,
            visible=other.pk in visible,
            case_visible=other.pk in visible and (owned is None or other.case_id in owned),
        )
        for other, distance in sorted(others.values(), key=lambda pair: pair[1])
    ]


# --- Feeds, cards and posters -----------------------------------------------------------

# Newest entries a feed carries; a reader that polls keeps what it saw before.
FEED_SIZE = 100
# What a feed entry, an embedded card or a poster shows (as an object page, plus the
# dates that say when it changed and the digest of its image).
_REACH_FIELDS = (*_PAGE_FIELDS, "display_sha256", "identified_at", "retired_at")


def objects_feed_list(*, limit: int = FEED_SIZE) -> list[TracedObject]:
    """Every object that was ever public, most recently changed first, in one query.

    Retired objects stay in, without their image: a feed entry that disappears silently
    would leave a re-publisher showing an object we no longer look for. `feed_updated` is
    when it last changed publicly (retired, identified or published, the latest first).
    """
    return list(
        _ever_public()
        .select_related("owner")
        .only(*_REACH_FIELDS)
        .annotate(feed_updated=Coalesce("retired_at", "identified_at", "published_at"))
        .order_by("-feed_updated", "-pk")[:limit]
    )


def object_page_get(*, code: str) -> TracedObject | None:
    """The object with this code if it was ever public (retired ones too, so a link on a
    poster or another site keeps answering), or None; one query."""
    try:
        return _ever_public().select_related("owner").only(*_REACH_FIELDS).get(code=code)
    except TracedObject.DoesNotExist:
        return None


def _ever_public() -> TracedObjectQuerySet:
    return TracedObject.objects.filter(
        Q(state__in=PUBLIC_STATES) | Q(state=ObjectState.RETIRED, published_at__isnull=False)
    ).shown()


# --- The network ------------------------------------------------------------------------

# Most recently changed objects the signed feed carries; a partner keeps what it saw before,
# and never takes an object missing from the feed for a retired one (objects/partners.py).
NETWORK_FEED_SIZE = 300


def objects_network_feed_list(*, limit: int = NETWORK_FEED_SIZE) -> list[TracedObject]:
    """Our own objects that were ever public, as objects_feed_list (one query): never a
    partner's, which only its owner publishes."""
    return list(
        _ever_public()
        .ours()
        .select_related("owner")
        .only(*_REACH_FIELDS)
        .annotate(feed_updated=Coalesce("retired_at", "identified_at", "published_at"))
        .order_by("-feed_updated", "-pk")[:limit]
    )
