"""A group's strength from the evidence: the best agreement score, across the object's
independent groups, of what the group claims (the formula and why: docs/tips.md, "A group's
strength"). Stored on the tips (Tip.group_strength) so that the queue's index serves "take
the next tip"; each claim's score is kept per object (ClaimAgreement).

Kept up to date in the transaction of every change that can move a score: a tip analysed
(tips/grouping.py), a change of membership (groups_recount: merges, splits, "duplicate of",
deletions), a flood held, released or rejected, a tip rejected or reopened (tips/triage.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max, Q, QuerySet

from tips.evidence import agreement_score
from tips.models import (
    FLOOD_DISCOUNTED,
    STRENGTH_CAP,
    STRENGTH_ONE_VOICE,
    ClaimAgreement,
    ClaimKind,
    Tip,
    TipClaim,
    TipGroup,
    TipStatus,
)

Key = tuple[str, str]  # (kind, value) of a claim


def claim_keys(kind: str, value: str) -> tuple[Key, ...]:
    """What a claim says: itself, and a place also its country (as the board tallies it)."""
    if kind == ClaimKind.PLACE:
        return ((kind, value), (ClaimKind.COUNTRY.value, value.split(":", 1)[0]))
    return ((kind, value),)


def _keys_filter(keys: Iterable[Key]) -> Q:
    """Claims that support any of `keys` (a country's support includes its places)."""
    keys = list(keys)
    condition = _exact(keys)
    for country in sorted({value for kind, value in keys if kind == ClaimKind.COUNTRY}):
        condition |= _places_of(country)
    return condition


def _places_of(country: str) -> Q:
    """Place claims in `country` ("PL:3094802"). SQLite's LIKE cannot use an index (it
    ignores case); its text compares byte by byte, so a range is exactly the prefix."""
    if connection.vendor == "sqlite":
        return Q(kind=ClaimKind.PLACE, value__gte=f"{country}:", value__lt=f"{country};")
    return Q(kind=ClaimKind.PLACE, value__startswith=f"{country}:")


def _claims_of(object_id: int) -> QuerySet[TipClaim]:
    """An object's claims, to be looked up by kind and value. SQLite keeps no statistics:
    it would walk the (object, kind) index through every claim of the object rather than
    the (kind, value) one; the object's id as an expression leaves it that one."""
    claims = TipClaim.objects.order_by()
    if connection.vendor == "sqlite":
        return claims.alias(object_of=F("traced_object_id") + 0).filter(object_of=object_id)
    return claims.filter(traced_object_id=object_id)


# The claims that count on an object (tips not rejected, in a group that is no held or
# rejected flood), with the TIP_AGREEMENT_SLOT_HOURS slot each arrived in (whole slots since
# 1970, UTC), distinct. Written out: it runs for most tips analysed, and the ORM spent more
# time building it than the database running it (bench/tip_grouping.py).
_SUPPORT_SQL = """
    SELECT DISTINCT claim.kind, claim.value, tip.group_id, tip.language, {slot}
    FROM tips_tipclaim AS claim
    JOIN tips_tip AS tip ON tip.id = claim.tip_id
    JOIN tips_tipgroup AS grp ON grp.id = tip.group_id
    WHERE {object} = %s AND tip.status <> %s AND grp.flood NOT IN ({discounted}) AND ({keys})
"""
# SQLite: its own strftime rather than Django's functions (called in Python row by row),
# and the object's id as an expression (see _claims_of).
_SLOT_SQLITE = "CAST(strftime('%%s', tip.received_at) AS INTEGER) / {seconds}"
_SLOT_POSTGRESQL = "CAST(FLOOR(EXTRACT(EPOCH FROM tip.received_at) / {seconds}) AS BIGINT)"


def _support_rows(object_id: int, keys: set[Key]) -> list[tuple[str, str, int, str, int]]:
    """Distinct (kind, value, group, language, slot) of the claims supporting `keys`."""
    by_kind: dict[str, set[str]] = defaultdict(set)
    for kind, value in keys:
        by_kind[kind].add(value)
    conditions, params = [], []
    for kind, values in sorted(by_kind.items()):
        conditions.append(
            f"(claim.kind = %s AND claim.value IN ({', '.join(['%s'] * len(values))}))"
        )
        params += [kind, *sorted(values)]
    sqlite = connection.vendor == "sqlite"
    for country in sorted(by_kind.get(ClaimKind.COUNTRY.value, ())):  # and its places
        if sqlite:  # a range, as _places_of
            conditions.append("(claim.kind = %s AND claim.value >= %s AND claim.value < %s)")
            params += [ClaimKind.PLACE.value, f"{country}:", f"{country};"]
        else:
            conditions.append("(claim.kind = %s AND claim.value LIKE %s)")
            escaped = country.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params += [ClaimKind.PLACE.value, f"{escaped}:%"]
    seconds = settings.TIP_AGREEMENT_SLOT_HOURS * 3600
    sql = _SUPPORT_SQL.format(
        slot=(_SLOT_SQLITE if sqlite else _SLOT_POSTGRESQL).format(seconds=seconds),
        object="claim.traced_object_id + 0" if sqlite else "claim.traced_object_id",
        discounted=", ".join(["%s"] * len(FLOOD_DISCOUNTED)),
        keys=" OR ".join(conditions),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                object_id,
                TipStatus.REJECTED.value,
                *(state.value for state in FLOOD_DISCOUNTED),
                *params,
            ],
        )
        return cursor.fetchall()


def _supported(object_id: int, keys: set[Key]) -> dict[Key, tuple[set[int], set[str], set[int]]]:
    """Each key's groups, the languages of its supporting tips, and the slots they arrived
    in (one query, as distinct (claim, group, language, slot) rows: a flood of 3,000 tips
    in one slot is one row)."""
    support: dict[Key, tuple[set[int], set[str], set[int]]] = {
        key: (set(), set(), set()) for key in keys
    }
    if not keys:
        return support
    for kind, value, group_id, language, slot in _support_rows(object_id, keys):
        for key in claim_keys(kind, value):
            if key not in support:
                continue
            groups, languages, slots = support[key]
            groups.add(group_id)
            if language:
                languages.add(language)
            slots.add(slot)
    return support


def _score(groups: set[int], languages: set[str], slots: set[int]) -> int:
    score = agreement_score(groups=len(groups), languages=len(languages), slots=len(slots))
    return min(STRENGTH_CAP, round(100 * score))


def scores_count(object_id: int, keys: set[Key]) -> dict[Key, int]:
    """Each key's agreement score in hundredths, capped (one query, _supported)."""
    return {key: _score(*support) for key, support in _supported(object_id, keys).items()}


def _stored(object_id: int, keys: set[Key]) -> dict[Key, int]:
    """The stored scores of `keys` (read by their kinds and values, then picked: a simpler
    query than one condition a kind, for the same index)."""
    if not keys:
        return {}
    rows = ClaimAgreement.objects.filter(
        traced_object_id=object_id,
        kind__in=sorted({kind for kind, _value in keys}),
        value__in=sorted({value for _kind, value in keys}),
    )
    return {
        (kind, value): score
        for kind, value, score in rows.values_list("kind", "value", "score")
        if (kind, value) in keys
    }


def _exact(keys: Iterable[Key]) -> Q:
    by_kind: dict[str, set[str]] = defaultdict(set)
    for kind, value in keys:
        by_kind[kind].add(value)
    condition = Q(pk__in=[])
    for kind, values in by_kind.items():
        condition |= Q(kind=kind, value__in=sorted(values))
    return condition


def _scores_write(object_id: int, changed: dict[Key, int]) -> None:
    gone = {key for key, score in changed.items() if score == 0}
    if gone:
        ClaimAgreement.objects.filter(traced_object_id=object_id).filter(_exact(gone)).delete()
    kept = [
        ClaimAgreement(traced_object_id=object_id, kind=kind, value=value[:200], score=score)
        for (kind, value), score in changed.items()
        if score > 0
    ]
    if kept:
        ClaimAgreement.objects.bulk_create(
            kept,
            update_conflicts=True,
            unique_fields=["traced_object", "kind", "value"],
            update_fields=["score"],
        )


def _supporters(object_id: int, keys: set[Key]) -> set[int]:
    """The groups whose tips claim any of `keys` (rejected tips and floods included: their
    groups' strength may have to fall)."""
    if not keys:
        return set()
    claims = _claims_of(object_id).filter(_keys_filter(keys))
    return set(claims.values_list("tip__group_id", flat=True).distinct()) - {None}


def groups_strength_write(object_id: int, group_ids: set[int]) -> None:
    """Each group's strength from the stored scores of what its tips (not rejected) claim,
    written onto its tips where it changed: three queries, and one UPDATE per strength."""
    if not group_ids:
        return
    floods = dict(
        TipGroup.objects.filter(pk__in=group_ids).values_list("pk", "flood")
    )  # a group merged away is gone: nothing to write
    said: dict[int, set[Key]] = defaultdict(set)
    claims = (
        TipClaim.objects.filter(tip__group_id__in=list(floods))
        .exclude(tip__status=TipStatus.REJECTED)
        .order_by()
        .values_list("tip__group_id", "kind", "value")
        .distinct()
    )
    for group_id, kind, value in claims:
        said[group_id].update(claim_keys(kind, value))
    scores = _stored(object_id, set().union(*said.values())) if said else {}
    strengths: dict[int, set[int]] = defaultdict(set)
    for group_id, flood in floods.items():
        if flood in FLOOD_DISCOUNTED:
            strength = 0  # out of the queue, and it counts nothing
        else:
            best = max((scores.get(key, 0) for key in said[group_id]), default=0)
            strength = min(STRENGTH_CAP, max(STRENGTH_ONE_VOICE, best))
        strengths[strength].add(group_id)
    for strength, ids in strengths.items():
        Tip.objects.filter(group_id__in=sorted(ids)).exclude(group_strength=strength).update(
            group_strength=strength
        )


def _refresh(object_id: int, keys: set[Key], groups: set[int], *, grown: bool) -> None:
    """Count `keys` again, then write the strength of `groups` and of every group whose
    scores changed. `grown`: support was only added (a tip analysed), so a score already at
    the cap cannot change and is not counted again (a claim many groups agree on costs a
    look-up, not a count)."""
    stored = _stored(object_id, keys)
    counted = {key for key in keys if not (grown and stored.get(key, 0) >= STRENGTH_CAP)}
    scores = scores_count(object_id, counted)
    changed = {key: score for key, score in scores.items() if stored.get(key, 0) != score}
    _scores_write(object_id, changed)
    groups_strength_write(object_id, groups | _supporters(object_id, set(changed)))


def tip_strength_added(
    tip: Tip, claims: Iterable[Key] | None = None, *, flood: str | None = None
) -> None:
    """A tip was analysed (its group and `claims` are written, read again when not given;
    `flood`: its group's FloodState, when the caller has read it): count its claims again."""
    if tip.group_id is None or tip.traced_object_id is None:
        return
    if claims is None:
        claims = TipClaim.objects.filter(tip=tip).values_list("kind", "value")
    keys: set[Key] = set()
    for kind, value in claims:
        keys.update(claim_keys(kind, value))
    if tip.status == TipStatus.REJECTED:  # it supports nothing, yet its group is written
        _refresh(tip.traced_object_id, keys, {tip.group_id}, grown=True)
    else:
        if flood is None:
            flood = TipGroup.objects.filter(pk=tip.group_id).values_list("flood", flat=True).first()
        _grown(tip, tip.traced_object_id, tip.group_id, keys, flood=flood)


def _unsaid(tip: Tip, group_id: int, keys: set[Key]) -> set[Key]:
    """The keys to which `tip` may add a group, a language or a time slot: all but those
    that another tip of its group (not rejected) already says in the same language and
    slot, whose score it cannot move. A tip joining a group that says what it says (most
    tips do) then costs one look-up at its group instead of a count over the object."""
    slot = settings.TIP_AGREEMENT_SLOT_HOURS * 3600
    start = datetime.fromtimestamp(tip.received_at.timestamp() // slot * slot, tz=UTC)
    others = (
        TipClaim.objects.filter(
            tip__group_id=group_id,
            tip__received_at__gte=start,
            tip__received_at__lt=start + timedelta(seconds=slot),
        )
        .exclude(tip_id=tip.pk)
        .exclude(tip__status=TipStatus.REJECTED)
    )
    if tip.language:  # an empty language adds none
        others = others.filter(tip__language=tip.language)
    said: set[Key] = set()
    for kind, value in others.order_by().values_list("kind", "value").distinct():
        said.update(claim_keys(kind, value))
    return keys - said


def _grown(tip: Tip, object_id: int, group_id: int, keys: set[Key], *, flood: str | None) -> None:
    """_refresh for one tip added to a group (`flood`: the group's FloodState), in fewer
    queries: support only grew, so every score can only rise and a group's strength is the
    higher of what it was and the new scores of what it says. A score at the cap cannot
    rise: only the others are looked up at the group (_unsaid) and counted; a tip saying
    one claim at the cap makes its group's strength the cap, without reading what the
    group had. Nothing is read back per group: each UPDATE raises the tips below a score
    (tests/tips/test_strength.py checks this against a count from scratch)."""
    group = Tip.objects.filter(group_id=group_id).order_by()
    if flood in FLOOD_DISCOUNTED:  # it joined a flood that counts nothing: nothing changed
        # Its other tips are at 0 since the flood was held or rejected.
        Tip.objects.filter(pk=tip.pk).exclude(group_strength=0).update(group_strength=0)
        return
    stored = _stored(object_id, keys)
    below = {key for key in keys if stored.get(key, 0) < STRENGTH_CAP}
    support = _supported(object_id, _unsaid(tip, group_id, below) if below else set())
    scores = {key: _score(*counted) for key, counted in support.items()}
    changed = {key: score for key, score in scores.items() if stored.get(key, 0) != score}
    _scores_write(object_id, changed)
    # The tip's group: what its other tips had, or what this tip says if stronger.
    said = max((scores.get(key, stored.get(key, 0)) for key in keys), default=0)
    strength = STRENGTH_CAP
    if said < STRENGTH_CAP:
        had = group.exclude(pk=tip.pk).aggregate(best=Max("group_strength"))["best"]
        strength = min(STRENGTH_CAP, max(STRENGTH_ONE_VOICE, said, had or 0))
    group.exclude(group_strength=strength).update(group_strength=strength)
    # Every other group saying a claim whose score rose: raised to that score.
    by_score: dict[int, set[Key]] = defaultdict(set)
    for key, score in changed.items():
        by_score[score].add(key)
    # A score below the cap has few groups behind it (at most STRENGTH_CAP / 100): their ids
    # were read with the count, and the UPDATE goes to them through the group index, rather
    # than weighing every tip of the object below the score against a subquery.
    for score, raised in sorted(by_score.items()):
        supporters = set().union(*(support[key][0] for key in raised))
        if supporters:
            Tip.objects.filter(group_id__in=sorted(supporters), group_strength__lt=score).update(
                group_strength=score
            )


def groups_strength_refresh(group_ids: Iterable[int | None]) -> None:
    """These groups' members or standing changed (a merge, a split, a flood decision, a tip
    rejected or reopened, a deletion): everything their tips claim is counted again."""
    ids = {pk for pk in group_ids if pk is not None}
    if not ids:
        return
    by_object: dict[int, set[int]] = defaultdict(set)
    for pk, object_id in TipGroup.objects.filter(pk__in=ids).values_list("pk", "traced_object_id"):
        by_object[object_id].add(pk)
    for object_id, groups in by_object.items():
        keys: set[Key] = set()
        claims = (
            TipClaim.objects.filter(tip__group_id__in=sorted(groups))
            .order_by()
            .values_list("kind", "value")
            .distinct()
        )
        for kind, value in claims:
            keys.update(claim_keys(kind, value))
        _refresh(object_id, keys, groups, grown=False)


def object_strength_refresh(object_id: int) -> None:
    """Every score and strength of one object, from scratch (`analyse_tips --regroup`,
    `manage.py tips_strength`)."""
    with transaction.atomic():
        keys: set[Key] = set()
        claims = (
            TipClaim.objects.filter(traced_object_id=object_id)
            .order_by()
            .values_list("kind", "value")
            .distinct()
        )
        for kind, value in claims:
            keys.update(claim_keys(kind, value))
        ClaimAgreement.objects.filter(traced_object_id=object_id).delete()
        _scores_write(object_id, scores_count(object_id, keys))
        groups = set(
            TipGroup.objects.filter(traced_object_id=object_id).values_list("pk", flat=True)
        )
        groups_strength_write(object_id, groups)
