"""Reads for an object's evidence board: its groups of similar tips and the tally of what
they claim, strongest first, each tallied inside the database (GROUP BY, window
functions, array_agg) so that Python reads a few dozen rows, not every tip and claim (the
agreement score: docs/tips.md). Three queries for the board whatever the object's size:
the groups shown with the object's counts, the claims' tally, and the place claims' points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection

from objects.models import TracedObject
from tips.models import CLOSED_STATUSES, FLOOD_DISCOUNTED, ClaimKind, FloodState, TipStatus

LANGUAGE_BONUS = 0.5
TIME_BONUS = 0.5
SAMPLE_CHARS = 200


@dataclass(slots=True)
class Group:
    """A group of similar tips as the board reads it (id < 0: one tip not grouped yet)."""

    id: int
    flood: str
    first_at: datetime
    last_at: datetime
    size: int
    lead_id: int  # the group's first tip: its text is the group's sample
    languages: list[str]  # sorted
    statuses: dict[str, int]  # tips per status
    urgent_open: int = 0
    sample: str = ""
    tips: list[tuple[int, str, str]] = field(default_factory=list)  # (id, ref, source)


@dataclass(slots=True)
class GroupsRead:
    """The strongest groups of an object, its floods apart, and its counts."""

    tips: int
    groups: int
    new: int
    urgent: int
    calm: list[Group]  # not held or rejected as floods, strongest first
    calm_total: int
    floods: list[Group]  # held or rejected floods, strongest first
    floods_total: int


@dataclass(frozen=True, slots=True)
class PlacePoint:
    """Where the tips naming one town put it, to 0.001° (about 100 m), with who said so."""

    value: str  # "PL:3094802"
    lat: float
    lon: float
    groups: frozenset[int]  # independent groups (floods count nothing)
    tips: frozenset[int]
    languages: frozenset[str]  # of the independent groups' tips
    slots: frozenset[int]  # TIP_AGREEMENT_SLOT_HOURS slots of those groups' first tips
    first_at: datetime  # the first independent tip naming it (any tip, if none)
    certain: bool  # some tip named it without doubt


def agreement_score(*, groups: int, languages: int, slots: int) -> float:
    if groups <= 0:
        return 0.0
    bonus = LANGUAGE_BONUS * min(languages - 1, groups - 1) + TIME_BONUS * min(
        slots - 1, groups - 1
    )
    return round(groups + max(bonus, 0.0), 2)


def _params(traced_object: TracedObject, **more: Any) -> dict[str, Any]:
    return {
        "object": traced_object.pk,
        "none": FloodState.NONE.value,
        "discounted": tuple(state.value for state in FLOOD_DISCOUNTED),
        "closed": tuple(status.value for status in CLOSED_STATUSES),
        "rejected": TipStatus.REJECTED.value,
        "slot": settings.TIP_AGREEMENT_SLOT_HOURS * 3600,
        **{f"status_{n}": status.value for n, status in enumerate(TipStatus)},
        **more,
    }


# The object's tips, each with its group (a tip not grouped yet is a group of one, -id).
# The object's own index serves this (an ORDER BY received_at made PostgreSQL walk the
# received_at index over every tip of every object: 2.2 s at 1 M tips).
_TIPS = """
    tip AS (
        SELECT id, group_id, coalesce(group_id, -id) AS g, language, status, urgent,
               received_at
        FROM tips_tip WHERE traced_object_id = %(object)s
    ), flood AS (
        SELECT id, flood FROM tips_tipgroup
        WHERE traced_object_id = %(object)s AND flood <> %(none)s
    )"""
_STATUS_COUNTS = ", ".join(
    f"count(*) FILTER (WHERE status = %(status_{n})s) AS status_{n}" for n in range(len(TipStatus))
)
# Each group's figures, and its rank by strength among the calm groups or among the floods:
# more tips, then more languages, then a longer time span (many people over days, not one
# person reloading), then the oldest, then the id.
_GROUPED = f"""
    grouped AS (
        SELECT g, count(*) AS size,
               coalesce(array_agg(DISTINCT language) FILTER (WHERE language <> ''), '{{}}')
                   AS languages,
               min(received_at) AS first_at, max(received_at) AS last_at, {_STATUS_COUNTS},
               count(*) FILTER (WHERE urgent AND status NOT IN %(closed)s) AS urgent_open
        FROM tip GROUP BY g
    ), ranked AS (
        SELECT grouped.*, coalesce(flood.flood, %(none)s) AS flood_state,
               coalesce(flood.flood IN %(discounted)s, false) AS discounted
        FROM grouped LEFT JOIN flood ON flood.id = grouped.g
    ), ordered AS (
        SELECT ranked.*,
               row_number() OVER (
                   PARTITION BY discounted
                   ORDER BY size DESC, cardinality(languages) DESC, last_at - first_at DESC,
                            first_at, g
               ) AS rank,
               count(*) OVER (PARTITION BY discounted) AS in_part,
               count(*) OVER () AS all_groups, sum(size) OVER () AS all_tips,
               sum(status_0) OVER () AS all_new, sum(urgent_open) OVER () AS all_urgent
        FROM ranked
    )"""  # noqa: S608 (our own constants only; values go as parameters)
_GROUP_COLUMNS = (
    "o.g, o.flood_state, o.first_at, o.last_at, o.size, o.languages, "
    + ", ".join(f"o.status_{n}" for n in range(len(TipStatus)))
    + ", o.urgent_open, o.discounted, o.in_part, o.all_groups, o.all_tips, o.all_new,"
    " o.all_urgent"
)
# The first tip of a group of several, from the (group, received_at) index.
_LEAD = """CASE WHEN o.g < 0 THEN -o.g ELSE (
        SELECT lead.id FROM tips_tip AS lead WHERE lead.group_id = o.g
        ORDER BY lead.received_at, lead.id LIMIT 1) END"""

_SHOWN_SQL = f"""
    WITH {_TIPS}, {_GROUPED}, shown AS (
        SELECT {_GROUP_COLUMNS}, {_LEAD} AS lead_id, o.rank
        FROM ordered AS o
        WHERE o.rank <= CASE WHEN o.discounted THEN %(floods_shown)s ELSE %(calm_shown)s END
    )
    SELECT {_GROUP_COLUMNS.replace("o.", "shown.")}, shown.lead_id, body.body
    FROM shown JOIN tips_tip AS body ON body.id = shown.lead_id
    ORDER BY shown.discounted, shown.rank
"""  # noqa: S608 (our own constants only; values go as parameters)

_ALL_SQL = f"""
    WITH {_TIPS}, {_GROUPED}, members AS (
        SELECT g, array_agg(id ORDER BY received_at, id) AS ids,
               array_agg(ref ORDER BY received_at, id) AS refs,
               array_agg(source ORDER BY received_at, id) AS sources
        FROM (SELECT id, coalesce(group_id, -id) AS g, received_at, ref, source
              FROM tips_tip WHERE traced_object_id = %(object)s) AS member
        GROUP BY g
    )
    SELECT {_GROUP_COLUMNS}, m.ids[1], body.body, m.ids, m.refs, m.sources
    FROM ordered AS o JOIN members AS m USING (g) JOIN tips_tip AS body ON body.id = m.ids[1]
    ORDER BY o.rank
"""  # noqa: S608


_TOTALS = 7 + len(TipStatus)  # where discounted, in_part and the object's counts start


def _group(row: tuple[Any, ...]) -> Group:
    g, flood, first_at, last_at, size, languages = row[:6]
    counts = row[6 : 6 + len(TipStatus)]
    rest = row[6 + len(TipStatus) :]
    return Group(
        id=g,
        flood=flood,
        first_at=first_at,
        last_at=last_at,
        size=size,
        lead_id=rest[7],
        languages=sorted(languages),
        statuses={status.value: n for status, n in zip(TipStatus, counts, strict=True) if n},
        urgent_open=rest[0],
        sample=" ".join((rest[8] or "").split())[:SAMPLE_CHARS],
    )


def board_groups(traced_object: TracedObject, *, calm_shown: int, floods_shown: int) -> GroupsRead:
    """The `calm_shown` strongest groups, the `floods_shown` strongest floods, each with
    its first tip's text, and the object's counts: one query."""
    with connection.cursor() as cursor:
        cursor.execute(
            _SHOWN_SQL,
            _params(traced_object, calm_shown=calm_shown, floods_shown=floods_shown),
        )
        rows = cursor.fetchall()
    read = GroupsRead(
        tips=0, groups=0, new=0, urgent=0, calm=[], calm_total=0, floods=[], floods_total=0
    )
    for row in rows:
        group = _group(row)
        discounted, in_part, groups, tips, new, urgent = row[_TOTALS : _TOTALS + 6]
        read.groups, read.tips, read.new, read.urgent = groups, int(tips), int(new), int(urgent)
        if discounted:
            read.floods.append(group)
            read.floods_total = in_part
        else:
            read.calm.append(group)
            read.calm_total = in_part
    return read


def all_groups(traced_object: TracedObject) -> list[Group]:
    """Every group of the object, strongest first (floods among them), with its tips."""
    with connection.cursor() as cursor:
        cursor.execute(_ALL_SQL, _params(traced_object))
        rows = cursor.fetchall()
    groups = []
    for row in rows:
        group = _group(row[:-3])
        group.tips = list(zip(*row[-3:], strict=True))
        groups.append(group)
    # Strongest first over all groups (the query ranks calm groups and floods apart).
    groups.sort(
        key=lambda g: (
            -g.size,
            -len(g.languages),
            -(g.last_at - g.first_at).total_seconds(),
            g.first_at,
            g.id,
        )
    )
    return groups


# The object's claims on tips not rejected, each with its tip's group ("support": none when
# the group is a held or rejected flood, which counts nothing) and the slot of the group's
# first tip (rejected tips included, as the group's first tip is).
_CLAIMS = f"""
    WITH {_TIPS}, slotted AS (
        SELECT tip.*,
               floor(extract(epoch FROM min(received_at) OVER (PARTITION BY g)) / %(slot)s)
                   AS slot
        FROM tip
    ), claim AS (
        SELECT c.kind, c.value, c.uncertain, c.lat, c.lon, t.id AS tip_id, t.language,
               t.slot, t.received_at,
               CASE WHEN flood.flood IN %(discounted)s THEN NULL ELSE t.g END AS support
        FROM slotted AS t
        JOIN tips_tipclaim AS c ON c.tip_id = t.id
        LEFT JOIN flood ON flood.id = t.group_id
        WHERE t.status <> %(rejected)s
    )"""  # noqa: S608

# Every claim, and a place again for its country ("via": kept apart to count the country's
# groups that came only from places).
_TALLY_SQL = f"""
    {_CLAIMS}, counted AS (
        SELECT kind, value, uncertain, tip_id, language, slot, support, false AS via
        FROM claim
        UNION ALL
        SELECT %(country)s, split_part(value, ':', 1), false, tip_id, language, slot,
               support, true
        FROM claim WHERE kind = %(place)s
    )
    SELECT kind, value, count(DISTINCT tip_id), count(DISTINCT support),
           count(DISTINCT support) FILTER (WHERE NOT via), bool_or(via),
           coalesce(array_agg(DISTINCT language)
                    FILTER (WHERE support IS NOT NULL AND language <> ''), '{{}}'),
           count(DISTINCT slot) FILTER (WHERE support IS NOT NULL),
           bool_or(NOT uncertain)
    FROM counted GROUP BY kind, value
"""  # noqa: S608

_POINTS_SQL = f"""
    {_CLAIMS}
    SELECT value, round(lat::numeric, 3), round(lon::numeric, 3),
           coalesce(array_agg(DISTINCT support) FILTER (WHERE support IS NOT NULL), '{{}}'),
           array_agg(DISTINCT tip_id),
           coalesce(array_agg(DISTINCT language)
                    FILTER (WHERE support IS NOT NULL AND language <> ''), '{{}}'),
           coalesce(array_agg(DISTINCT slot) FILTER (WHERE support IS NOT NULL), '{{}}'),
           coalesce(min(received_at) FILTER (WHERE support IS NOT NULL), min(received_at)),
           bool_or(NOT uncertain)
    FROM claim WHERE kind = %(place)s AND lat IS NOT NULL AND lon IS NOT NULL
    GROUP BY 1, 2, 3
"""  # noqa: S608


def claims_tally(traced_object: TracedObject) -> dict[str, list[dict]]:
    """Each claim kind's values, the best supported first: one query, one row per value.

    A place also counts for its country: a country's groups are those that name it and
    those that name a place in it ("place_groups": how many came only from places)."""
    params = _params(traced_object, country=ClaimKind.COUNTRY.value, place=ClaimKind.PLACE.value)
    with connection.cursor() as cursor:
        cursor.execute(_TALLY_SQL, params)
        rows = cursor.fetchall()
    board: dict[str, list[dict]] = {kind.value: [] for kind in ClaimKind}
    for kind, value, tips, groups, direct, via, languages, slots, certain in rows:
        if kind == ClaimKind.NAME and groups < settings.TIP_NAME_MIN_GROUPS:
            continue
        entry = {
            kind: value,
            "tips": tips,
            "groups": groups,
            "languages": sorted(languages),
            "score": agreement_score(groups=groups, languages=len(languages), slots=slots),
        }
        if kind == ClaimKind.COUNTRY:
            entry["place_groups"] = groups - direct if via else 0
        elif kind == ClaimKind.PLACE:
            entry.update(_place_fields(value, uncertain=not certain))
        board[kind].append(entry)
    for entries in board.values():
        entries.sort(key=_claim_order)
    return board


def _claim_order(entry: dict) -> tuple:
    """Best supported first: score, then groups, then tips, then the value."""
    return (-entry["score"], -entry["groups"], -entry["tips"], str(next(iter(entry.values()))))


def place_points(traced_object: TracedObject) -> list[PlacePoint]:
    """The points the object's place claims give, one per town and 0.001° cell (one
    query), for the board to cluster by distance (tips/place_map.py)."""
    params = _params(traced_object, place=ClaimKind.PLACE.value)
    with connection.cursor() as cursor:
        cursor.execute(_POINTS_SQL, params)
        rows = cursor.fetchall()
    return [
        PlacePoint(
            value=value,
            lat=float(lat),
            lon=float(lon),
            groups=frozenset(groups),
            tips=frozenset(tips),
            languages=frozenset(languages),
            slots=frozenset(int(slot) for slot in slots),
            first_at=first_at,
            certain=bool(certain),
        )
        for value, lat, lon, groups, tips, languages, slots, first_at, certain in rows
    ]


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


def object_board(*, traced_object: TracedObject) -> dict:
    """The evidence board as plain data (the JSON of `analyse_tips --format json`)."""
    groups = all_groups(traced_object)
    tally = claims_tally(traced_object)
    return {
        "object": traced_object.code,
        "tips": sum(group.size for group in groups),
        "groups": [
            {
                "id": group.id if group.id > 0 else None,
                "size": group.size,
                "flood": group.flood != FloodState.NONE,
                "flood_state": group.flood,
                "first_at": group.first_at.isoformat() if group.first_at else None,
                "last_at": group.last_at.isoformat() if group.last_at else None,
                "languages": group.languages,
                "sample": group.sample,
                "tips": [
                    {"id": pk, "ref": ref, "source": source} for pk, ref, source in group.tips
                ],
            }
            for group in groups
        ],
        "countries": tally[ClaimKind.COUNTRY],
        "domains": tally[ClaimKind.DOMAIN],
        "names": tally[ClaimKind.NAME],
        "places": tally[ClaimKind.PLACE],
    }
