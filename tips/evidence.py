"""Reads for an object's evidence board: its groups of similar tips and the tally of what
they claim, strongest first, each tallied inside the database (GROUP BY, window
functions, array_agg) so that Python reads a few dozen rows, not every tip and claim (the
agreement score: docs/tips.md). One statement for the board whatever the object's size:
the groups shown with the object's counts, the best claims of the stored tally (kept by
tips/tally.py, which counts again only what changed), the place claims' points and the
activity sparkline's counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import connection

from objects.models import TracedObject
from tips import evidence_embedded, tally
from tips.activity import Counted, activity_since
from tips.models import CLOSED_STATUSES, FLOOD_DISCOUNTED, ClaimKind, FloodState, TipStatus
from tips.tally import LANGUAGE_BONUS, TIME_BONUS
from tips.towns import town

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
        "flooded": tuple(state.value for state in FloodState if state != FloodState.NONE),
        "closed": tuple(status.value for status in CLOSED_STATUSES),
        "rejected": TipStatus.REJECTED.value,
        "slot": settings.TIP_AGREEMENT_SLOT_HOURS * 3600,
        **{f"status_{n}": status.value for n, status in enumerate(TipStatus)},
        **more,
    }


# PostgreSQL's JIT compiler spent 25 to 50 ms compiling each of these queries (their cost
# estimates pass jit_above_cost) to save a few: off for the statement that follows, in the
# same implicit transaction (SET LOCAL; a surrounding transaction keeps it until its end).
_NO_JIT = "SET LOCAL jit = off;"

# The object's tips, each with its group (a tip not grouped yet is a group of one, -id),
# from the object's own index, which carries every column read here (tip_board: an
# index-only scan; an ORDER BY received_at made PostgreSQL walk the received_at index
# over every tip of every object: 2.2 s at 1 M tips); the groups' figures;
# whether each is a held or rejected flood (the few flood groups, from the flood index).
_STATUS_COUNTS = ", ".join(
    f"count(*) FILTER (WHERE status = %(status_{n})s) AS status_{n}" for n in range(len(TipStatus))
)
_GROUPS = f"""
    tip AS (
        SELECT id, group_id, coalesce(group_id, -id) AS g, language, status, urgent,
               received_at
        FROM tips_tip WHERE traced_object_id = %(object)s
    ), flood AS (
        SELECT id, flood FROM tips_tipgroup
        WHERE traced_object_id = %(object)s AND flood IN %(flooded)s
    ), grouped AS (
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
    )"""  # noqa: S608 (our own constants only; values go as parameters)
# Strongest first: more tips, then more languages, then a longer time span (many people
# over days, not one person reloading), then the oldest, then the id.
_STRENGTH = "size DESC, cardinality(languages) DESC, last_at - first_at DESC, first_at, g"
_GROUP_COLUMNS = (
    "g, flood_state, first_at, last_at, size, languages, "
    + ", ".join(f"status_{n}" for n in range(len(TipStatus)))
    + ", urgent_open"
)
# The first tip of a group of several, from the (group, received_at) index.
_LEAD = """CASE WHEN g < 0 THEN -g ELSE (
        SELECT lead.id FROM tips_tip AS lead WHERE lead.group_id = g
        ORDER BY lead.received_at, lead.id LIMIT 1) END"""

# The board's groups, without folding every group of a large object: each group's size
# and first tip first (one hash aggregate over the object's tips), then the full figures
# (languages, statuses, span) only for the groups that can be shown, those at least as
# large as the `calm_shown`-th largest calm group and the `floods_shown`-th largest flood
# (the strongest are the largest first: _STRENGTH). The counts come from all of them.
_BOARD_GROUPS = f"""
    tip AS (
        SELECT id, coalesce(group_id, -id) AS g, language, status, urgent, received_at
        FROM tips_tip WHERE traced_object_id = %(object)s
    ), flood AS (
        SELECT id, flood FROM tips_tipgroup
        WHERE traced_object_id = %(object)s AND flood IN %(flooded)s
    ), light AS (
        SELECT g, count(*) AS size, min(received_at) AS first_at,
               g IN (SELECT id FROM flood WHERE flood IN %(discounted)s) AS discounted
        FROM tip GROUP BY g
    ), bar AS (
        SELECT (SELECT min(size) FROM (SELECT size FROM light WHERE NOT discounted
                                       ORDER BY size DESC LIMIT %(calm_shown)s) AS best)
                   AS calm,
               (SELECT min(size) FROM (SELECT size FROM light WHERE discounted
                                       ORDER BY size DESC LIMIT %(floods_shown)s) AS best)
                   AS floods
    ), candidate AS (
        SELECT g FROM light, bar
        WHERE size >= CASE WHEN discounted THEN bar.floods ELSE bar.calm END
    ), grouped AS (
        SELECT g, count(*) AS size,
               coalesce(array_agg(DISTINCT language) FILTER (WHERE language <> ''), '{{}}')
                   AS languages,
               min(received_at) AS first_at, max(received_at) AS last_at, {_STATUS_COUNTS},
               count(*) FILTER (WHERE urgent AND status NOT IN %(closed)s) AS urgent_open
        FROM tip WHERE g IN (SELECT g FROM candidate) GROUP BY g
    ), ranked AS (
        SELECT grouped.*, coalesce(flood.flood, %(none)s) AS flood_state,
               coalesce(flood.flood IN %(discounted)s, false) AS discounted
        FROM grouped LEFT JOIN flood ON flood.id = grouped.g
    )"""  # noqa: S608

# The activity sparkline's counts (tips/activity.py, Counted) from the rows the board reads
# anyway: per local day since %(since)s, the tips, the independent groups whose first tip
# arrived that day and the places first named that day (the stored tally); and the object's
# independent groups with the newest one's first tip (its saturation). Three queries less
# per board.
_ACTIVITY = f"""json_build_array(
        (SELECT coalesce(json_object_agg(day, n), '{{}}') FROM (
            SELECT (received_at AT TIME ZONE %(tz)s)::date AS day, count(*) AS n
            FROM tip WHERE received_at >= %(since)s GROUP BY 1) AS days),
        (SELECT coalesce(json_object_agg(day, n), '{{}}') FROM (
            SELECT (first_at AT TIME ZONE %(tz)s)::date AS day, count(*) AS n FROM light
            WHERE g > 0 AND NOT discounted AND first_at >= %(since)s GROUP BY 1) AS days),
        {tally.PLACE_DAYS},
        (SELECT json_build_array(count(*), max(first_at)) FROM light
         WHERE g > 0 AND NOT discounted))"""  # noqa: S608

# Everything the board reads, in one statement whose answer is one row of JSON: the
# object's counts, the groups shown (the strongest calm ones, then the strongest floods)
# with their first tips' texts, the best claims of the stored tally and the places' points.
# The tips are read once for all of it.
_BOARD_SQL = f"""
    {_NO_JIT} WITH {_BOARD_GROUPS}, shown AS (
        (SELECT * FROM ranked WHERE NOT discounted ORDER BY {_STRENGTH} LIMIT %(calm_shown)s)
        UNION ALL
        (SELECT * FROM ranked WHERE discounted ORDER BY {_STRENGTH} LIMIT %(floods_shown)s)
    ), led AS (
        SELECT shown.*, {_LEAD} AS lead_id FROM shown
    )
    SELECT
        (SELECT json_build_array(count(*), coalesce(sum(size), 0),
                                 (SELECT count(*) FROM tip WHERE status = %(status_0)s),
                                 (SELECT count(*) FROM tip
                                  WHERE urgent AND status NOT IN %(closed)s),
                                 count(*) FILTER (WHERE discounted))
         FROM light),
        (SELECT json_agg(json_build_array({_GROUP_COLUMNS}, lead_id, body.body, discounted)
                         ORDER BY discounted, {_STRENGTH})
         FROM led JOIN tips_tip AS body ON body.id = led.lead_id),
        {tally.BEST},
        {tally.POINTS},
        {_ACTIVITY}
"""  # noqa: S608

# Every group with its tips, for `analyse_tips` (sorted by strength in Python).
_ALL_SQL = f"""
    {_NO_JIT} WITH {_GROUPS}, members AS (
        SELECT g, array_agg(id ORDER BY received_at, id) AS ids,
               array_agg(ref ORDER BY received_at, id) AS refs,
               array_agg(source ORDER BY received_at, id) AS sources
        FROM (SELECT id, coalesce(group_id, -id) AS g, received_at, ref, source
              FROM tips_tip WHERE traced_object_id = %(object)s) AS member
        GROUP BY g
    )
    SELECT {_GROUP_COLUMNS}, m.ids[1], body.body, m.ids, m.refs, m.sources
    FROM ranked JOIN members AS m USING (g) JOIN tips_tip AS body ON body.id = m.ids[1]
"""  # noqa: S608


def _when(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _group(row: list[Any] | tuple[Any, ...]) -> Group:
    """A group from its columns (_GROUP_COLUMNS, then its first tip's id and text)."""
    g, flood, first_at, last_at, size, languages = row[:6]
    statuses = row[6 : 6 + len(TipStatus)]
    urgent_open, lead_id, body = row[6 + len(TipStatus) : 9 + len(TipStatus)]
    return Group(
        id=g,
        flood=flood,
        first_at=_when(first_at),
        last_at=_when(last_at),
        size=size,
        lead_id=lead_id,
        languages=sorted(languages),
        statuses={status.value: n for status, n in zip(TipStatus, statuses, strict=True) if n},
        urgent_open=urgent_open,
        sample=" ".join((body or "").split())[:SAMPLE_CHARS],
    )


@dataclass(slots=True)
class BoardData:
    groups: GroupsRead
    tally: dict[str, list[dict]]
    points: list[PlacePoint]
    counted: Counted | None = None  # the activity's counts (None: tips/activity counts them)


def _counted(row: list[Any]) -> Counted:
    tips, groups, places, (independent, newest_first) = row

    def days(counts: dict[str, int]) -> dict[date, int]:
        return {date.fromisoformat(day): n for day, n in counts.items()}

    return Counted(
        tips=days(tips),
        groups=days(groups),
        places=days(places),
        independent=independent,
        newest_first=_when(newest_first) if newest_first else None,
    )


def board_data(
    traced_object: TracedObject,
    *,
    calm_shown: int,
    floods_shown: int,
    claims_shown: int | None = None,
) -> BoardData:
    """The groups shown and the counts, the claims' tally (the best `claims_shown` of each
    kind, or all) and the places' points of the object: on PostgreSQL one query, whose
    answer is one row, after the stored tally's marked claims are counted again."""
    params = _params(
        traced_object,
        calm_shown=calm_shown,
        floods_shown=floods_shown,
        country=ClaimKind.COUNTRY.value,
        place=ClaimKind.PLACE.value,
        since=activity_since()[1],
        tz=settings.TIME_ZONE,
        **tally.read_params(claims_shown=claims_shown),
    )
    counted = None
    if connection.vendor == "postgresql":
        tally.refresh(traced_object.pk)
        with connection.cursor() as cursor:
            cursor.execute(_BOARD_SQL, params)
            counts, shown, claims, points, activity = cursor.fetchone()
        counted = _counted(activity)
    else:  # the embedded database of `make run`
        counts, shown, claims, points = evidence_embedded.board_rows(
            traced_object.pk, calm_shown=calm_shown, floods_shown=floods_shown
        )
    groups, tips, new, urgent, floods = counts
    read = GroupsRead(
        tips=tips,
        groups=groups,
        new=new,
        urgent=urgent,
        calm=[],
        calm_total=groups - floods,
        floods=[],
        floods_total=floods,
    )
    for row in shown or []:
        (read.floods if row[-1] else read.calm).append(_group(row))
    return BoardData(
        groups=read,
        tally=_tally(claims or [], shown=claims_shown),
        points=_points(points or []),
        counted=counted,
    )


def board_groups(traced_object: TracedObject, *, calm_shown: int, floods_shown: int) -> GroupsRead:
    """The `calm_shown` strongest groups, the `floods_shown` strongest floods, each with
    its first tip's text, and the object's counts."""
    return board_data(traced_object, calm_shown=calm_shown, floods_shown=floods_shown).groups


def all_groups(traced_object: TracedObject) -> list[Group]:
    """Every group of the object, strongest first (floods among them), with its tips."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_ALL_SQL, _params(traced_object))
            rows = cursor.fetchall()
    else:  # the embedded database of `make run`
        rows = evidence_embedded.all_rows(traced_object.pk)
    groups = []
    for row in rows:
        group = _group(row[:-3])
        group.tips = list(zip(*row[-3:], strict=True))
        groups.append(group)
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


def claims_tally(traced_object: TracedObject) -> dict[str, list[dict]]:
    """Each claim kind's values, the best supported first (one row per value from SQL).

    A place also counts for its country: a country's groups are those that name it and
    those that name a place in it ("place_groups": how many came only from places)."""
    return board_data(traced_object, calm_shown=0, floods_shown=0).tally


def place_points(traced_object: TracedObject) -> list[PlacePoint]:
    """The points the object's place claims give, one per town and 0.001° cell, for the
    board to cluster by distance (tips/place_map.py)."""
    return board_data(traced_object, calm_shown=0, floods_shown=0).points


def _tally(rows: list[list[Any]], *, shown: int | None = None) -> dict[str, list[dict]]:
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
        if shown is not None:
            del entries[shown:]
    return board


def _points(rows: list[list[Any]]) -> list[PlacePoint]:
    return [
        PlacePoint(
            value=value,
            lat=float(lat),
            lon=float(lon),
            groups=frozenset(groups),
            tips=frozenset(tips),
            languages=frozenset(languages),
            slots=frozenset(int(slot) for slot in slots),
            first_at=_when(first_at),
            certain=bool(certain),
        )
        for value, lat, lon, groups, tips, languages, slots, first_at, certain in rows
    ]


def _claim_order(entry: dict) -> tuple:
    """Best supported first: score, then groups, then tips, then the value."""
    return (-entry["score"], -entry["groups"], -entry["tips"], str(next(iter(entry.values()))))


def _place_fields(value: str, *, uncertain: bool) -> dict:
    """A place claim's town as the board shows it ("PL:3094802" -> Kraków, PL, 50.06, ...)."""
    country = value.partition(":")[0]
    place = town(value)
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
