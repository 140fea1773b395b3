"""The evidence board's tally as tips/evidence.py computed it before the tallies moved into
SQL: every tip and claim of the object read into Python and folded there. Kept as the
oracle that tests/tips/test_tally_sql.py compares the SQL tally with, on generated objects.
"""

from __future__ import annotations

import gc
import heapq
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings

from objects.models import TracedObject
from tips.evidence import SAMPLE_CHARS, agreement_score
from tips.models import (
    CLOSED_STATUSES,
    FLOOD_DISCOUNTED,
    ClaimKind,
    FloodState,
    Tip,
    TipClaim,
    TipGroup,
    TipStatus,
)


@dataclass(slots=True)
class Group:
    """A group of similar tips as the board reads it (id < 0: one tip not grouped yet).
    Lean (slots, a tuple per tip): an object of 15,000 tips makes 15,000 of them, and the
    garbage collector's passes over them were a good part of the board's time."""

    id: int
    flood: str
    first_at: datetime
    last_at: datetime
    languages: set[str] = field(default_factory=set)
    tips: list[tuple[int, str, str]] = field(default_factory=list)  # (id, ref, source)
    statuses: dict[str, int] = field(default_factory=dict)  # tips per status
    urgent_open: int = 0

    @property
    def lead_id(self) -> int:
        """The group's first tip: its text is the group's sample."""
        return self.tips[0][0]

    @property
    def size(self) -> int:
        return len(self.tips)

    def strength(self) -> tuple:
        """Sort key, strongest first: more tips, then more languages, then a longer time
        span (many people over days, not one person reloading), then the oldest."""
        span = (self.last_at - self.first_at).total_seconds()
        return (-self.size, -len(self.languages), -span, self.first_at, self.id)


def object_groups(traced_object: TracedObject) -> tuple[dict[int, Group], int]:
    """The object's groups by id, and its number of tips, without their texts: one query
    for the few groups held, released or rejected as floods, one for the tips (a join to
    every group instead made PostgreSQL walk all groups of all objects: 120 ms at 1 M)."""
    floods = dict(
        TipGroup.objects.filter(traced_object=traced_object)
        .exclude(flood=FloodState.NONE)
        .values_list("pk", "flood")
    )
    rows = (
        Tip.objects.filter(traced_object=traced_object)
        # Sorted here, not by the database: asked for ORDER BY received_at, PostgreSQL
        # walked the received_at index over every tip of every object (2.2 s at 1 M tips)
        # instead of reading this object's tips from its own index (10 ms).
        .order_by()
        .values_list(
            "pk", "group_id", "language", "received_at", "ref", "source", "status", "urgent"
        )
    )
    with _collector_paused():
        return _grouped(
            sorted(rows.iterator(chunk_size=2000), key=lambda row: (row[3], row[0])), floods
        )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's garbage collector paused while the groups are built: 15,000 small groups
    made it run full collections over the whole process, 80 of the board's 200 ms at 1 M
    tips (profiled). The groups hold no reference cycles; collection resumes right after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _grouped(
    rows: Iterable[tuple[Any, ...]], floods: dict[int, str]
) -> tuple[dict[int, Group], int]:
    """The tips' rows, oldest first, folded into groups; and how many tips there were."""
    groups: dict[int, Group] = {}
    count = 0
    for pk, group_id, language, received_at, ref, source, status, urgent in rows:
        count += 1
        key = group_id if group_id is not None else -pk  # not grouped yet: a group of one
        group = groups.get(key)
        if group is None:
            flood = floods.get(group_id, FloodState.NONE)
            group = groups[key] = Group(
                id=key, flood=flood, first_at=received_at, last_at=received_at
            )
        group.last_at = received_at
        if language:
            group.languages.add(language)
        group.tips.append((pk, ref, source))
        group.statuses[status] = group.statuses.get(status, 0) + 1
        if urgent and status not in CLOSED_STATUSES:
            group.urgent_open += 1
    return groups, count


def group_samples(groups: Iterable[Group]) -> dict[int, str]:
    """The text of each group's first tip, shortened: one query for the groups given (the
    board asks only for those it shows)."""
    first_tips = {group.lead_id: group.id for group in groups}
    bodies = Tip.objects.filter(pk__in=list(first_tips)).values_list("pk", "body")
    return {first_tips[pk]: " ".join(body.split())[:SAMPLE_CHARS] for pk, body in bodies}


def claims_tally(traced_object: TracedObject, groups: dict[int, Group]) -> dict[str, list[dict]]:
    """Each claim kind's values, the best supported first (one query over the claims).

    A place also counts for its country: a country's groups are those that name it and
    those that name a place in it ("place_groups": how many came only from places)."""
    claims = (
        TipClaim.objects.filter(tip__traced_object=traced_object)
        .exclude(tip__status=TipStatus.REJECTED)
        .order_by()  # tallied in any order: sorting 45,000 claims by value took 70 ms
        .values_list(
            "kind",
            "value",
            "tip_id",
            "tip__group_id",
            "tip__language",
            "uncertain",
            "tip__received_at",
        )
    )
    slot_seconds = settings.TIP_AGREEMENT_SLOT_HOURS * 3600
    tips: dict[tuple, set[int]] = defaultdict(set)
    support: dict[tuple, set[int]] = defaultdict(set)
    languages: dict[tuple, set[str]] = defaultdict(set)
    slots: dict[tuple, set[int]] = defaultdict(set)  # of the supporting tips
    certain: set[tuple] = set()  # places that some tip named without doubt
    from_places: set[tuple] = set()  # country keys that places support
    for kind, value, tip_id, group_id, language, uncertain, received_at in claims.iterator(
        chunk_size=5000
    ):
        keys: tuple[tuple, ...] = ((kind, value),)
        if kind == ClaimKind.PLACE:
            if not uncertain:
                certain.add((kind, value))
            country_key = (ClaimKind.COUNTRY.value, value.split(":", 1)[0])
            from_places.add(country_key)
            keys = ((kind, value), (_PLACE_COUNTRY, country_key[1]))
        group = groups.get(group_id if group_id is not None else -tip_id)
        for key in keys:
            tips[key].add(tip_id)
            if group is None or group.flood in FLOOD_DISCOUNTED:
                continue
            support[key].add(group.id)
            slots[key].add(int(received_at.timestamp() // slot_seconds))
            if language:
                languages[key].add(language)
    # The countries' own claims merged with their places' (kept apart until here to count
    # the groups that came only from places).
    place_only: dict[str, int] = {}
    for _, code in from_places:
        direct = (ClaimKind.COUNTRY.value, code)
        via = (_PLACE_COUNTRY, code)
        place_only[code] = len(support[via] - support[direct])
        tips[direct] |= tips.pop(via)
        support[direct] |= support.pop(via)
        languages[direct] |= languages.pop(via)
        slots[direct] |= slots.pop(via)

    board: dict[str, list[dict]] = {kind.value: [] for kind in ClaimKind}
    for key, tip_ids in tips.items():
        kind, value = key
        independent = support[key]
        if kind == ClaimKind.NAME and len(independent) < settings.TIP_NAME_MIN_GROUPS:
            continue
        score = agreement_score(
            groups=len(independent), languages=len(languages[key]), slots=len(slots[key])
        )
        entry = {
            kind: value,
            "tips": len(tip_ids),
            "groups": len(independent),
            "languages": sorted(languages[key]),
            "score": score,
        }
        if kind == ClaimKind.COUNTRY:
            entry["place_groups"] = place_only.get(value, 0)
        elif kind == ClaimKind.PLACE:
            entry.update(_place_fields(value, uncertain=key not in certain))
        board[kind].append(entry)
    for entries in board.values():
        entries.sort(
            key=lambda e: (-e["score"], -e["groups"], -e["tips"], str(list(e.values())[0]))
        )
    return board


_PLACE_COUNTRY = "place-country"  # a country supported by a place claim, while tallying


def _place_fields(value: str, *, uncertain: bool) -> dict:
    """A place claim's town as the board shows it ("PL:3094802" -> Kraków, PL, 50.06, ...)."""
    from tips.places import place_index  # built only when an object has place claims

    country, _, geonameid = value.partition(":")
    place = place_index().by_id.get(int(geonameid)) if geonameid.isdigit() else None
    return {
        "name": place.name if place else value,
        "country": country,
        "lat": place.lat if place else None,
        "lon": place.lon if place else None,
        "uncertain": uncertain,
    }


def strongest(groups: list[Group], count: int | None = None) -> list[Group]:
    """The `count` strongest groups (all, if None), strongest first. The strength key is
    worked out only for the groups at least as large as the count-th largest: an object of
    15,000 tips has some 13,000 groups, most of one tip, and keying them all took 25 ms."""
    if count is not None and len(groups) > count:
        floor = heapq.nlargest(count, (group.size for group in groups))[-1]
        groups = [group for group in groups if group.size >= floor]
    return sorted(groups, key=Group.strength)[:count]
