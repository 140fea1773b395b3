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
from django.db.models.functions import TruncHour

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


def _support(object_id: int) -> QuerySet[TipClaim]:
    """The claims that count on an object: tips not rejected, in a group that is no held
    or rejected flood."""
    return (
        _claims_of(object_id)
        .filter(tip__group_id__isnull=False)
        .exclude(tip__status=TipStatus.REJECTED)
        .exclude(tip__group__flood__in=FLOOD_DISCOUNTED)
        .order_by()
    )


def scores_count(object_id: int, keys: set[Key]) -> dict[Key, int]:
    """Each key's agreement score in hundredths, capped (one query): its groups, the
    languages of its supporting tips, and the TIP_AGREEMENT_SLOT_HOURS slots they arrived in.
    Read as distinct (claim, group, language, hour) rows: a flood of 3,000 tips in one hour
    is one row."""
    if not keys:
        return {}
    rows = (
        _support(object_id)
        .filter(_keys_filter(keys))
        .annotate(hour=TruncHour("tip__received_at", tzinfo=UTC))
        .values_list("kind", "value", "tip__group_id", "tip__language", "hour")
        .distinct()
    )
    slot_seconds = settings.TIP_AGREEMENT_SLOT_HOURS * 3600
    groups: dict[Key, set[int]] = defaultdict(set)
    languages: dict[Key, set[str]] = defaultdict(set)
    slots: dict[Key, set[int]] = defaultdict(set)
    for kind, value, group_id, language, hour in rows:
        slot = int(hour.timestamp() // slot_seconds)
        for key in claim_keys(kind, value):
            if key not in keys:
                continue
            groups[key].add(group_id)
            if language:
                languages[key].add(language)
            slots[key].add(slot)
    return {
        key: min(
            STRENGTH_CAP,
            round(
                100
                * agreement_score(
                    groups=len(groups[key]),
                    languages=len(languages[key]),
                    slots=len(slots[key]),
                )
            ),
        )
        for key in keys
    }


def _stored(object_id: int, keys: set[Key]) -> dict[Key, int]:
    if not keys:
        return {}
    rows = ClaimAgreement.objects.filter(traced_object_id=object_id).filter(
        Q(pk__in=[]) | _exact(keys)
    )
    return {
        (kind, value): score for kind, value, score in rows.values_list("kind", "value", "score")
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


def tip_strength_added(tip: Tip, claims: Iterable[Key] | None = None) -> None:
    """A tip was analysed (its group and `claims` are written, read again when not given):
    count its claims again."""
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
        _grown(tip, tip.traced_object_id, tip.group_id, keys)


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


def _grown(tip: Tip, object_id: int, group_id: int, keys: set[Key]) -> None:
    """_refresh for one tip added to a group, in fewer queries: support only grew, so every
    score can only rise and a group's strength is the higher of what it was and the new
    scores of what it says. Nothing is read back per group: each UPDATE raises the tips
    below a score (tests/tips/test_strength.py checks this against a count from scratch)."""
    group = Tip.objects.filter(group_id=group_id).order_by()
    flood = TipGroup.objects.filter(pk=group_id).values_list("flood", flat=True).first()
    if flood in FLOOD_DISCOUNTED:  # it joined a flood that counts nothing: nothing changed
        group.exclude(group_strength=0).update(group_strength=0)
        return
    unsaid = _unsaid(tip, group_id, keys)
    had = group.exclude(pk=tip.pk).aggregate(best=Max("group_strength"))["best"]
    if not unsaid and had:  # its group said it all: no score moves, it takes the group's
        Tip.objects.filter(pk=tip.pk).exclude(group_strength=had).update(group_strength=had)
        return
    stored = _stored(object_id, keys)
    scores = scores_count(object_id, {k for k in unsaid if stored.get(k, 0) < STRENGTH_CAP})
    changed = {key: score for key, score in scores.items() if stored.get(key, 0) != score}
    _scores_write(object_id, changed)
    # The tip's group: what its other tips had, or what this tip says if stronger.
    said = max((scores.get(key, stored.get(key, 0)) for key in keys), default=0)
    strength = min(STRENGTH_CAP, max(STRENGTH_ONE_VOICE, said, had or 0))
    group.exclude(group_strength=strength).update(group_strength=strength)
    # Every other group saying a claim whose score rose: raised to that score.
    by_score: dict[int, set[Key]] = defaultdict(set)
    for key, score in changed.items():
        by_score[score].add(key)
    # A score below the cap has few groups behind it (at most STRENGTH_CAP / 100): their ids
    # are read first, and the UPDATE goes to them through the group index, rather than
    # weighing every tip of the object below the score against a subquery.
    for score, raised in sorted(by_score.items()):
        supporters = set(
            _support(object_id)
            .filter(_keys_filter(raised))
            .values_list("tip__group_id", flat=True)
            .distinct()
        )
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
