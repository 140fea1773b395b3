"""The stored tally of an object's claims (tips/tally_models.py), kept by counting again
only the claims the database's triggers marked (migration tips 0023), before the board reads
it and every TALLY_REFRESH_SECONDS from beat: a look at the marks when nothing changed, and
one statement over the marked claims' rows only when something did. PostgreSQL only; the
embedded database of `make run` folds its claims in Python on every view
(tips/evidence_embedded.py).

What a claim's figures are (docs/tips.md, "The agreement score"): over the object's tips
not rejected that claim it, its tips; its independent groups (a tip not grouped yet is a
group of its own, -its id; a held or rejected flood counts nothing); their tips' languages
and TIP_AGREEMENT_SLOT_HOURS slots; whether some tip claimed it without doubt; the first
such tip's time. A place also counts for its country ("via"). Its points: per town and
0.001° cell, the same figures with the groups', tips', languages' and slots' sets.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection

from tips.models import FLOOD_DISCOUNTED, ClaimKind, TipStatus

# The agreement score's bonuses (evidence.agreement_score; docs/tips.md).
LANGUAGE_BONUS = 0.5
TIME_BONUS = 0.5

# pg_advisory_xact_lock(LOCK_CLASS, object id): one count at a time per object, so that two
# boards opened at once do not both rewrite the same rows.
LOCK_CLASS = 1923

# The marked claims counted again, in one statement after the object's lock: the marks
# deleted, the claims' rows deleted and new ones written (no unique index between the two:
# the statement's DELETE and INSERT see the same snapshot, taken once the lock is held, so a
# second count waits and then sees this one's rows). A marked place counts its country
# again; a marked country reads its places' claims too. Nothing marked: nothing read.
_RECOUNT = """
    SET LOCAL jit = off;
    SELECT pg_advisory_xact_lock(%(lock)s, %(object)s::integer);
    WITH marked AS (
        DELETE FROM tips_tallymark WHERE traced_object_id = %(object)s RETURNING kind, value
    ), keyed AS (
        SELECT kind, value FROM marked
        UNION
        SELECT %(country)s::varchar, split_part(value, ':', 1)::varchar FROM marked
        WHERE kind = %(place)s
    ), country AS (
        SELECT value FROM keyed WHERE kind = %(country)s
    ), picked AS (
        SELECT c.kind, c.value, c.uncertain, c.lat, c.lon, c.tip_id
        FROM tips_tipclaim AS c JOIN keyed ON keyed.kind = c.kind AND keyed.value = c.value
        WHERE c.traced_object_id = %(object)s
        UNION ALL
        SELECT c.kind, c.value, c.uncertain, c.lat, c.lon, c.tip_id
        FROM tips_tipclaim AS c JOIN country ON country.value = split_part(c.value, ':', 1)
        WHERE c.traced_object_id = %(object)s AND c.kind = %(place)s
          AND (c.kind, c.value) NOT IN (SELECT kind, value FROM keyed)
    ), tip AS MATERIALIZED (
        -- The object's tips not rejected, each with its support, read once from the
        -- object's index and joined by hash: a country named by 12,000 tips looked up tip
        -- by tip and group by group took 200 ms.
        SELECT t.id, t.language, t.received_at,
               CASE WHEN flood.id IS NULL THEN coalesce(t.group_id, -t.id) END AS support
        FROM tips_tip AS t
        LEFT JOIN tips_tipgroup AS flood
            ON flood.id = t.group_id AND flood.traced_object_id = %(object)s
           AND flood.flood IN %(discounted)s
        WHERE t.traced_object_id = %(object)s AND t.status <> %(rejected)s
          AND EXISTS (SELECT FROM keyed)
    ), claim AS (
        SELECT p.kind, p.value, p.uncertain, p.lat, p.lon, t.id AS tip_id, t.language,
               t.received_at, floor(extract(epoch FROM t.received_at) / %(slot)s) AS slot,
               t.support
        FROM picked AS p JOIN tip AS t ON t.id = p.tip_id
    ), counted AS (
        SELECT kind, value, uncertain, tip_id, language, slot, support, received_at,
               false AS via
        FROM claim
        UNION ALL
        SELECT %(country)s::varchar, split_part(value, ':', 1)::varchar, false, tip_id,
               language, slot, support, received_at, true
        FROM claim WHERE kind = %(place)s
    ), tally AS (
        SELECT kind, value, count(DISTINCT tip_id) AS tips, count(DISTINCT support) AS groups,
               count(DISTINCT support) FILTER (WHERE NOT via) AS direct, bool_or(via) AS via,
               coalesce(array_agg(DISTINCT language)
                        FILTER (WHERE support IS NOT NULL AND language <> ''), '{}')
                   AS languages,
               count(DISTINCT slot) FILTER (WHERE support IS NOT NULL) AS slots,
               bool_or(NOT uncertain) AS certain, min(received_at) AS first_at
        FROM counted WHERE (kind, value) IN (SELECT kind, value FROM keyed) GROUP BY kind, value
    ), dropped AS (
        DELETE FROM tips_claimtally
        WHERE traced_object_id = %(object)s AND (kind, value) IN (SELECT kind, value FROM keyed)
    ), added AS (
        INSERT INTO tips_claimtally (traced_object_id, kind, value, tips, groups, direct, via,
                                     languages, slots, certain, score, first_at)
        SELECT %(object)s, kind, value, tips, groups, direct, via, to_jsonb(languages), slots,
               certain,
               -- evidence.agreement_score, for the index that serves the best first
               CASE WHEN groups = 0 THEN 0 ELSE groups + greatest(
                   %(language_bonus)s * least(cardinality(languages) - 1, groups - 1)
                   + %(time_bonus)s * least(slots - 1, groups - 1), 0) END,
               first_at
        FROM tally
    ), points_dropped AS (
        DELETE FROM tips_claimpoint
        WHERE traced_object_id = %(object)s
          AND value IN (SELECT value FROM keyed WHERE kind = %(place)s)
    ), points_added AS (
        INSERT INTO tips_claimpoint (traced_object_id, value, lat, lon, groups, tips, languages,
                                     slots, first_at, certain)
        SELECT %(object)s, value, round(lat::numeric, 3), round(lon::numeric, 3),
               to_jsonb(coalesce(array_agg(DISTINCT support) FILTER (WHERE support IS NOT NULL),
                                 '{}')),
               to_jsonb(array_agg(DISTINCT tip_id)),
               to_jsonb(coalesce(array_agg(DISTINCT language)
                                 FILTER (WHERE support IS NOT NULL AND language <> ''), '{}')),
               to_jsonb(coalesce(array_agg(DISTINCT slot) FILTER (WHERE support IS NOT NULL),
                                 '{}')),
               coalesce(min(received_at) FILTER (WHERE support IS NOT NULL), min(received_at)),
               bool_or(NOT uncertain)
        FROM claim
        WHERE kind = %(place)s AND value IN (SELECT value FROM keyed WHERE kind = %(place)s)
          AND lat IS NOT NULL AND lon IS NOT NULL
        GROUP BY value, round(lat::numeric, 3), round(lon::numeric, 3)
    )
    SELECT count(*) FROM keyed"""  # noqa: S608 (our own constants only; values as parameters)

_ANY_MARKED = "SELECT EXISTS (SELECT FROM tips_tallymark WHERE traced_object_id = %s)"

# What the board reads of the stored tally, inside its own statement (tips/evidence.py):
# the best `claims_shown` claims of each kind (all of them when it is NULL), names only
# when TIP_NAME_MIN_GROUPS groups agree; the places' points; and the days on which places
# were first named (the activity sparkline).
BEST = """(SELECT json_agg(json_build_array(kind, value, tips, groups, direct, via, languages,
                                           slots, certain))
         FROM (SELECT *, row_number() OVER (
                   PARTITION BY kind ORDER BY score DESC, groups DESC, tips DESC,
                                              value COLLATE "C") AS n
               FROM tips_claimtally
               WHERE traced_object_id = %(object)s
                 AND (kind <> %(name)s OR groups >= %(name_min)s)) AS best
         WHERE %(claims_shown)s::integer IS NULL OR n <= %(claims_shown)s::integer)"""
POINTS = """(SELECT json_agg(json_build_array(value, lat, lon, groups, tips, languages, slots,
                                            first_at, certain))
         FROM tips_claimpoint WHERE traced_object_id = %(object)s)"""
PLACE_DAYS = """(SELECT coalesce(json_object_agg(day, n), '{}') FROM (
            SELECT (first_at AT TIME ZONE %(tz)s)::date AS day, count(*) AS n
            FROM tips_claimtally
            WHERE traced_object_id = %(object)s AND kind = %(place)s AND first_at >= %(since)s
            GROUP BY 1) AS days)"""


def read_params(*, claims_shown: int | None) -> dict[str, Any]:
    """The parameters BEST, POINTS and PLACE_DAYS take beyond the object's."""
    return {
        "name": ClaimKind.NAME.value,
        "name_min": settings.TIP_NAME_MIN_GROUPS,
        "claims_shown": claims_shown,
    }


def refresh(object_id: int) -> int:
    """Count again the object's claims the triggers marked: a look at the marks, then one
    statement if there are any; how many claims were counted (0: nothing had changed). A
    mark left by an object deleted since is only deleted."""
    with connection.cursor() as cursor:
        # A look at the marks first: planning the count costs more than this whole look.
        cursor.execute(_ANY_MARKED, [object_id])
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute(
            _RECOUNT,
            {
                "lock": LOCK_CLASS,
                "object": object_id,
                "place": ClaimKind.PLACE.value,
                "country": ClaimKind.COUNTRY.value,
                "discounted": tuple(state.value for state in FLOOD_DISCOUNTED),
                "rejected": TipStatus.REJECTED.value,
                "slot": settings.TIP_AGREEMENT_SLOT_HOURS * 3600,
                "language_bonus": LANGUAGE_BONUS,
                "time_bonus": TIME_BONUS,
            },
        )
        return cursor.fetchone()[0]


def refresh_marked() -> dict[str, int]:
    """Count again the marked claims of every object that has some (beat, every
    TALLY_REFRESH_SECONDS): the board then seldom waits for a count, whatever the rate of
    new tips (one count per object per run, not one per tip)."""
    if connection.vendor != "postgresql":  # the embedded database keeps no stored tally
        return {"objects": 0, "claims": 0}
    from tips.tally_models import TallyMark

    objects = sorted(set(TallyMark.objects.values_list("traced_object_id", flat=True)))
    return {"objects": len(objects), "claims": sum(refresh(pk) for pk in objects)}
