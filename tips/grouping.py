"""Near-duplicate groups of tips on one object, built incrementally as tips arrive (MinHash
and LSH bands stored as rows; how and why: docs/tips.md)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import numpy as np
from datasketch import MinHash
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from objects.models import TracedObject
from tips import flood, strength
from tips.models import (
    GROUP_SIZE_CAP,
    ClaimKind,
    FloodState,
    Tip,
    TipBand,
    TipClaim,
    TipGroup,
    TipKind,
    TipStatus,
)
from tips.places import tip_claims_and_places

SHINGLE = 3
# Fixed: signatures stored in the database must stay comparable across restarts and
# upgrades (datasketch 2 changed its default scheme; a change here needs --regroup).
SEED = 1
SCHEME = "affine32"
CANDIDATES_CHECKED = 20  # candidate members compared signature to signature, most bands first

_WORD = re.compile(r"\w+")


def shingles(text: str) -> set[str]:
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    found: set[str] = set()
    for word in _WORD.findall(folded):
        padded = f" {word} "
        found.update(padded[i : i + SHINGLE] for i in range(max(1, len(padded) - SHINGLE + 1)))
    return found


def _object_id(tip: Tip) -> int:
    """The object a tip is about: only tips on an object are grouped (reports are not)."""
    if tip.traced_object_id is None:
        raise ValueError(f"tip #{tip.pk} is a report: reports are not grouped")
    return tip.traced_object_id


def num_perm() -> int:
    return settings.TIP_GROUP_BANDS * settings.TIP_GROUP_ROWS


@cache
def _permutations(count: int) -> np.ndarray:
    """datasketch draws its permutations from the seed each time; drawn once here."""
    return MinHash(num_perm=count, seed=SEED, scheme=SCHEME).permutations


def signature(text: str) -> np.ndarray:
    count = num_perm()
    minhash = MinHash(num_perm=count, seed=SEED, permutations=_permutations(count), scheme=SCHEME)
    minhash.update_batch([shingle.encode() for shingle in shingles(text)])
    return minhash.hashvalues.astype("<u4")


def signature_from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype="<u4")


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """MinHash's estimate of the Jaccard similarity of the two shingle sets."""
    return float(np.mean(a == b)) if len(a) == len(b) else 0.0


def band_keys(sig: np.ndarray) -> list[int]:
    """One signed 64-bit key per band (a BigIntegerField), the band's number mixed in."""
    rows = settings.TIP_GROUP_ROWS
    keys = []
    for band in range(settings.TIP_GROUP_BANDS):
        digest = hashlib.blake2b(
            sig[band * rows : (band + 1) * rows].tobytes(),
            digest_size=8,
            salt=band.to_bytes(16, "little"),
        ).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys


# --- Writes --------------------------------------------------------------------------------


# A group's size, counted up to the cap, written onto the tips whose size it changes.
_GROUP_SIZE = "SELECT COUNT(*) FROM (SELECT 1 FROM tips_tip WHERE group_id = %s LIMIT %s) AS tips"
_GROUP_SIZE_SQL = (
    f"UPDATE tips_tip SET group_size = ({_GROUP_SIZE})"  # noqa: S608 (constants only)
    f" WHERE group_id = %s AND group_size <> ({_GROUP_SIZE})"
)


def group_sizes_refresh(group_ids: Iterable[int | None]) -> None:
    """Set Tip.group_size on the tips of these groups: one UPDATE a group, which counts its
    tips up to the cap and writes only rows whose size changes (past the cap, none but a
    newcomer's)."""
    with connection.cursor() as cursor:
        for group_id in sorted({pk for pk in group_ids if pk is not None}):
            cursor.execute(
                _GROUP_SIZE_SQL, [group_id, GROUP_SIZE_CAP, group_id, group_id, GROUP_SIZE_CAP]
            )


def group_sizes_refresh_all() -> None:
    """Every grouped tip's size in one statement (`seed_load`; migration 0013 has a copy)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tips_tip SET group_size = CASE WHEN sizes.n > %s THEN %s ELSE sizes.n END"
            " FROM (SELECT group_id, COUNT(*) AS n FROM tips_tip WHERE group_id IS NOT NULL"
            " GROUP BY group_id) AS sizes WHERE tips_tip.group_id = sizes.group_id",
            [GROUP_SIZE_CAP, GROUP_SIZE_CAP],
        )


# A tip nobody has started on: new and assigned to nobody.
UNTOUCHED = Q(status=TipStatus.NEW, assigned_to__isnull=True)


def group_reads_refresh(group_ids: Iterable[int | None]) -> None:
    """Set Tip.group_read on the tips of these groups from their members' state: two queries
    a group, and only rows whose flag changes are written."""
    for group_id in {pk for pk in group_ids if pk is not None}:
        members = Tip.objects.filter(group_id=group_id).order_by()
        read = members.exclude(UNTOUCHED).exists()
        members.exclude(group_read=read).update(group_read=read)


def groups_recount(group_ids: Iterable[int | None]) -> None:
    """Their membership changed (a merge, a split, a regroup, a deletion): each group's
    size, read flag and strength (tips/strength.py), counted again on its tips."""
    group_ids = list(group_ids)
    group_sizes_refresh(group_ids)
    group_reads_refresh(group_ids)
    strength.groups_strength_refresh(group_ids)


def group_read_mark(group_id: int) -> None:
    """One of the group's tips was just taken, assigned or moved on: the group is being read
    (one UPDATE of the rows not marked yet; none once the group is marked).

    On PostgreSQL a row another transaction holds is skipped, not waited for: two analysts
    taking two tips of one group at once each hold their own tip and would wait for each
    other's (a deadlock). The holder is taking or triaging that tip, and marks the group
    itself; only a tip joining the group in that same instant (the grouping holds it) may
    stay unmarked until the group's next tip is taken."""
    unread = Tip.objects.filter(group_id=group_id, group_read=False)
    if connection.features.has_select_for_update_skip_locked:
        free = unread.order_by().select_for_update(skip_locked=True).values("pk")
        unread = Tip.objects.filter(pk__in=free)
    unread.update(group_read=True)


def group_reads_refresh_all() -> None:
    """Every grouped tip's flag in one statement (`seed_load`; migration 0014 has a copy)."""
    started = Tip.objects.exclude(group_id=None).exclude(UNTOUCHED).values("group_id")
    Tip.objects.filter(group_id__in=started).update(group_read=True)


# A tip joins its group: the group, its signature, and the group's read flag from any other
# member (they all carry it; False when it opens the group).
_JOIN_SQL = """
    UPDATE tips_tip SET group_id = %s, signature = %s, group_read = COALESCE((
        SELECT other.group_read FROM tips_tip AS other
        WHERE other.group_id = %s AND other.id <> %s LIMIT 1), %s)
    WHERE id = %s"""


def _join(tip: Tip, *, group_id: int, sig: np.ndarray) -> None:
    """Put the tip into its group, and write the group's size: onto every tip of the group
    whose size it changes, or, when the group had reached the cap before (its other tips
    carry the cap already), onto the newcomer alone, without weighing the others."""
    with connection.cursor() as cursor:
        cursor.execute(_JOIN_SQL, [group_id, sig.tobytes(), group_id, tip.pk, False, tip.pk])
        cursor.execute(_GROUP_SIZE, [group_id, GROUP_SIZE_CAP + 1])
        (size,) = cursor.fetchone()
        if size > GROUP_SIZE_CAP:
            cursor.execute(
                "UPDATE tips_tip SET group_size = %s WHERE id = %s AND group_size <> %s",
                [GROUP_SIZE_CAP, tip.pk, GROUP_SIZE_CAP],
            )
        else:
            cursor.execute(
                "UPDATE tips_tip SET group_size = %s WHERE group_id = %s AND group_size <> %s",
                [size, group_id, size],
            )
    tip.group_id, tip.signature = group_id, sig.tobytes()


def _touched(tip: Tip) -> bool:
    return tip.status != TipStatus.NEW or tip.assigned_to_id is not None


@dataclass(frozen=True)
class Found:
    """The group a tip joins, as the grouping read it: its flood state, and which of the
    tip's band keys it holds already (none to write again)."""

    group_id: int
    flood: str | None
    keys: frozenset[int] = frozenset()


def _found(group_id: int) -> Found:
    flood = TipGroup.objects.filter(pk=group_id).values_list("flood", flat=True).first()
    return Found(group_id=group_id, flood=flood)


# The candidates' band keys, with their groups' flood state.
_BANDS_SQL = """
    SELECT band.tip_id, band.group_id, band.key, grp.flood FROM tips_tipband AS band
    JOIN tips_tipgroup AS grp ON grp.id = band.group_id
    WHERE band.traced_object_id = %s AND band.key IN ({keys})"""


def _best_group(*, traced_object_id: int, sig: np.ndarray, keys: list[int]) -> Found | None:
    """The group of the most similar candidate, if similar enough."""
    with connection.cursor() as cursor:
        cursor.execute(
            _BANDS_SQL.format(keys=", ".join(["%s"] * len(keys))), [traced_object_id, *keys]
        )
        bands = cursor.fetchall()
    if not bands:
        return None
    matches = Counter((tip_id, group_id) for tip_id, group_id, _key, _flood in bands)
    groups = dict(pair for pair, _count in matches.most_common(CANDIDATES_CHECKED))
    members = Tip.objects.filter(pk__in=list(groups)).values_list("pk", "signature")
    signed = [
        (pk, signature_from_bytes(bytes(stored))) for pk, stored in members if stored is not None
    ]
    signed = [(pk, stored) for pk, stored in signed if len(stored) == len(sig)]
    if not signed:
        return None
    # similarity() of each, at once; the first of the most similar, as members are read.
    scores = (np.stack([stored for _pk, stored in signed]) == sig).mean(axis=1)
    best = float(scores.max())
    best_group = groups[signed[int(scores.argmax())][0]]
    if best == 0 or best * 100 < settings.TIP_GROUP_SIMILARITY_PERCENT:
        return None
    flood = next(flood for _tip, group_id, _key, flood in bands if group_id == best_group)
    held = frozenset(key for _tip, group_id, key, _flood in bands if group_id == best_group)
    return Found(group_id=best_group, flood=flood, keys=held)


def _index(*, tip: Tip, group_id: int, keys: list[int], held: frozenset[int] = frozenset()) -> None:
    """Store the band keys of `tip` that its group does not hold yet (`held`: those it
    is known to hold)."""
    missing = [key for key in keys if key not in held]
    if not missing:
        return
    TipBand.objects.bulk_create(
        [
            TipBand(traced_object_id=_object_id(tip), group_id=group_id, tip_id=tip.pk, key=k)
            for k in missing
        ],
        ignore_conflicts=True,  # the group has this key already
    )


def _claims_write(tip: Tip, *, fresh: bool = False) -> list[tuple[str, str]]:
    """Write the tip's claims, and say what they are."""
    if not fresh:
        TipClaim.objects.filter(tip=tip).delete()
    region_hint: str | None = ""
    if Tip.traced_object.is_cached(tip):  # import_tips: the object is in hand
        region_hint = tip.traced_object.region_hint if tip.traced_object else ""
    else:
        region_hint = (
            TracedObject.objects.filter(pk=_object_id(tip))
            .values_list("region_hint", flat=True)
            .first()
        )
    claims, places = tip_claims_and_places(
        body=tip.body,
        where=tip.where,
        country=tip.country,
        links=tip.links,
        region_hint=region_hint or "",
        language=tip.language,
    )
    points = {place.value: place for place in places}
    rows = []
    for kind, value in claims:
        place = points.get(value) if kind == ClaimKind.PLACE else None
        rows.append(
            TipClaim(
                tip_id=tip.pk,
                traced_object_id=tip.traced_object_id,
                kind=kind,
                value=value[:200],
                lat=place.lat if place else None,
                lon=place.lon if place else None,
                uncertain=place.uncertain if place else False,
            )
        )
    TipClaim.objects.bulk_create(rows, ignore_conflicts=True)
    return [(row.kind, row.value) for row in rows]


def _lock_object(traced_object_id: int) -> None:
    """Tips on one object are grouped one at a time (PostgreSQL: a row lock; SQLite
    serialises writers anyway), so two workers cannot open two groups for one flood."""
    if connection.features.has_select_for_update:
        TracedObject.objects.select_for_update().filter(pk=traced_object_id).values_list(
            "pk", flat=True
        ).first()


def tip_analyse(*, tip_id: int) -> int | None:
    """Sign, group, index and extract the claims of a tip; return its group's id.

    Idempotent: a tip already analysed (it has a signature) is left as it is, so a relayed
    duplicate task changes nothing. A tip placed in a group by hand keeps that group.
    """
    with transaction.atomic():
        tip = (
            Tip.objects.filter(pk=tip_id, kind=TipKind.OBJECT)
            .only(
                "pk",
                "traced_object",
                "body",
                "where",
                "country",
                "language",
                "links",
                "received_at",
                "group",
                "signature",
                "status",
                "assigned_to",
                "held_by_breaker",
            )
            .first()
        )
        if tip is None or tip.signature is not None:
            return tip.group_id if tip else None
        _lock_object(_object_id(tip))
        tip.refresh_from_db(fields=["group", "signature"])
        if tip.signature is not None:
            return tip.group_id
        return _analyse(tip, fresh=False)


def tip_analyse_new(*, tip: Tip) -> int:
    """tip_analyse for a tip just created in the caller's transaction (`import_tips`),
    which this runs in: the row is in hand and has no claims yet, which saves six queries."""
    _lock_object(_object_id(tip))
    return _analyse(tip, fresh=True)


def _analyse(tip: Tip, *, fresh: bool) -> int:
    sig = signature(tip.body)
    keys = band_keys(sig)
    object_id = _object_id(tip)
    if tip.held_by_breaker and not tip.group_id:
        found: Found | None = Found(
            group_id=flood.breaker_flood(traced_object_id=object_id), flood=FloodState.HELD
        )
    elif tip.group_id:
        found = _found(tip.group_id)
    else:
        found = _best_group(traced_object_id=object_id, sig=sig, keys=keys)
    state: str | None = FloodState.NONE  # the group's flood state
    if found is None:  # it opens a group of its own
        group_id = TipGroup.objects.create(traced_object_id=object_id).pk
    else:
        group_id, state = found.group_id, found.flood
    _join(tip, group_id=group_id, sig=sig)
    if _touched(tip):  # taken before the worker grouped it: its group is being read
        group_read_mark(group_id)
    _index(tip=tip, group_id=group_id, keys=keys, held=found.keys if found else frozenset())
    claims = _claims_write(tip, fresh=fresh)
    # A group of one is no flood (TIP_FLOOD_MIN_TIPS is at least 2).
    if found is not None and flood.flood_check(group_id=group_id, at=tip.received_at, flood=state):
        strength.groups_strength_refresh([group_id])  # held: its support no longer counts
    else:
        strength.tip_strength_added(tip, claims, flood=state)
    return group_id


def tip_place_by_hand(*, tip: Tip, group: TipGroup) -> None:
    """Put `tip` into `group` for good (an analyst's split, merge or "duplicate of"): the
    automatic grouping, a regroup included, never moves it again. Called by tips.triage."""
    left = tip.group_id
    Tip.objects.filter(pk=tip.pk).update(group=group, group_by_hand=True)
    tip.group_id, tip.group_by_hand = group.pk, True
    groups_recount([left, group.pk])
    if tip.signature is not None:
        _index(
            tip=tip, group_id=group.pk, keys=band_keys(signature_from_bytes(bytes(tip.signature)))
        )


def tip_group_ensure(*, tip: Tip) -> TipGroup:
    """The tip's group; a new one of its own if the worker has not grouped it yet."""
    if tip.group_id is not None:
        return TipGroup.objects.get(pk=tip.group_id)
    group = TipGroup.objects.create(traced_object_id=_object_id(tip))
    Tip.objects.filter(pk=tip.pk).update(group=group)
    tip.group_id = group.pk
    return group


def tip_groups_merge(*, group: TipGroup, into: TipGroup) -> int:
    """Move every tip of `group` into `into`, with its band keys, and delete `group`. Every
    tip of the merged group counts as placed by hand: an analyst has read them together."""
    moved = Tip.objects.filter(group=group).update(group=into, group_by_hand=True)
    Tip.objects.filter(group=into).update(group_by_hand=True)
    existing = TipBand.objects.filter(group=into).values("key")
    TipBand.objects.filter(group=group, key__in=existing).delete()
    TipBand.objects.filter(group=group).update(group=into)
    group.delete()
    groups_recount([into.pk])
    return moved


def tips_regroup(*, traced_object: TracedObject) -> int:
    """Rebuild the object's groups, index and claims from the tips' text (`analyse_tips
    CODE --regroup`). Tips placed by hand keep their groups; a new group inherits a flood
    release or rejection from any of its tips' old groups."""
    with transaction.atomic():
        _lock_object(traced_object.pk)
        tips = Tip.objects.filter(traced_object=traced_object, kind=TipKind.OBJECT)
        decided = dict(
            tips.filter(
                group_by_hand=False, group__flood__in=[FloodState.RELEASED, FloodState.REJECTED]
            ).values_list("pk", "group__flood")
        )
        TipBand.objects.filter(traced_object=traced_object).delete()
        tips.update(signature=None)
        tips.filter(group_by_hand=False).update(group=None, group_size=1, group_read=False)
        TipGroup.objects.filter(traced_object=traced_object, tips__isnull=True).delete()
        hand_groups = set(tips.filter(group_by_hand=True).values_list("group_id", flat=True))
        groups_recount(hand_groups)
        by_hand = set(tips.filter(group_by_hand=True).values_list("pk", flat=True))
        pks = list(tips.order_by("received_at", "pk").values_list("pk", flat=True))
        # Hand-placed tips last: the automatic pass must not pull tips back into a group
        # an analyst split them from (tips that resemble a hand-made group may then form a
        # group of their own, for an analyst to merge).
        for pk in sorted(pks, key=lambda pk: pk in by_hand):
            tip_analyse(tip_id=pk)
        for decision in (FloodState.REJECTED, FloodState.RELEASED):  # rejection wins
            had_it = [pk for pk, flood in decided.items() if flood == decision]
            TipGroup.objects.filter(
                pk__in=Tip.objects.filter(pk__in=had_it).values("group_id"),
                flood__in=[FloodState.NONE, FloodState.HELD],
            ).update(flood=decision, flood_detected_at=timezone.now())
        strength.object_strength_refresh(traced_object.pk)
    return len(pks)
