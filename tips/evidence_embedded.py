"""The evidence board's rows on the embedded database (`make run`, SQLite), which has none
of the PostgreSQL the board's one statement is written in (array_agg, json_build_array,
window-free LIMITs in a UNION): the same rows, in the same shapes, folded in Python from
plain reads. A development object has hundreds of tips, not the 16,000 that made the board
move into SQL on PostgreSQL; tests/tips/test_tally_sql.py checks that both give the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings

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

STATUSES = list(TipStatus)


@dataclass(slots=True)
class _Fold:
    g: int
    flood: str
    first_at: datetime
    last_at: datetime
    tips: list[tuple[int, str, str]] = field(default_factory=list)  # oldest first
    languages: set[str] = field(default_factory=set)
    statuses: dict[str, int] = field(default_factory=dict)
    urgent_open: int = 0

    @property
    def discounted(self) -> bool:
        return self.flood in FLOOD_DISCOUNTED

    def key(self) -> tuple:  # evidence._STRENGTH, ascending
        span = (self.last_at - self.first_at).total_seconds()
        return (-len(self.tips), -len(self.languages), -span, self.first_at, self.g)

    def columns(self) -> list[Any]:  # evidence._GROUP_COLUMNS
        statuses = [self.statuses.get(status.value, 0) for status in STATUSES]
        return [
            self.g,
            self.flood,
            self.first_at,
            self.last_at,
            len(self.tips),
            sorted(self.languages),
            *statuses,
            self.urgent_open,
        ]


def _folds(object_id: int) -> tuple[dict[int, _Fold], dict[int, tuple[int, str]]]:
    """The object's groups, and each tip's (group, language)."""
    floods = dict(
        TipGroup.objects.filter(traced_object_id=object_id)
        .exclude(flood=FloodState.NONE)
        .values_list("pk", "flood")
    )
    rows = (
        Tip.objects.filter(traced_object_id=object_id)
        .order_by("received_at", "pk")
        .values_list(
            "pk", "group_id", "language", "received_at", "ref", "source", "status", "urgent"
        )
    )
    folds: dict[int, _Fold] = {}
    tips: dict[int, tuple[int, str]] = {}
    for pk, group_id, language, received_at, ref, source, status, urgent in rows:
        g = group_id if group_id is not None else -pk
        fold = folds.get(g)
        if fold is None:
            flood = floods.get(group_id, FloodState.NONE) if group_id else FloodState.NONE
            fold = folds[g] = _Fold(g=g, flood=flood, first_at=received_at, last_at=received_at)
        fold.last_at = received_at
        fold.tips.append((pk, ref, source))
        if language:
            fold.languages.add(language)
        fold.statuses[status] = fold.statuses.get(status, 0) + 1
        fold.urgent_open += urgent and status not in CLOSED_STATUSES
        tips[pk] = (g, language)
    return folds, tips


def _bodies(ids: list[int]) -> dict[int, str]:
    return dict(Tip.objects.filter(pk__in=ids).values_list("pk", "body"))


def board_rows(object_id: int, *, calm_shown: int, floods_shown: int) -> tuple:
    """(counts, shown, tally, points) as evidence._BOARD_SQL answers them."""
    folds, tips = _folds(object_id)
    ordered = sorted(folds.values(), key=_Fold.key)
    calm = [fold for fold in ordered if not fold.discounted][:calm_shown]
    floods = [fold for fold in ordered if fold.discounted][:floods_shown]
    bodies = _bodies([fold.tips[0][0] for fold in calm + floods])
    shown = [
        [*fold.columns(), fold.tips[0][0], bodies.get(fold.tips[0][0], ""), fold.discounted]
        for fold in calm + floods
    ]
    counts = [
        len(folds),
        len(tips),
        sum(fold.statuses.get(STATUSES[0].value, 0) for fold in folds.values()),
        sum(fold.urgent_open for fold in folds.values()),
        sum(fold.discounted for fold in folds.values()),
    ]
    tally, points = _claims(object_id, folds, tips)
    return counts, shown, tally, points


def all_rows(object_id: int) -> list[list[Any]]:
    """Every group's row as evidence._ALL_SQL answers it."""
    folds, _ = _folds(object_id)
    bodies = _bodies([fold.tips[0][0] for fold in folds.values()])
    return [
        [
            *fold.columns(),
            fold.tips[0][0],
            bodies.get(fold.tips[0][0], ""),
            *(list(column) for column in zip(*fold.tips, strict=True)),
        ]
        for fold in folds.values()
    ]


def _claims(
    object_id: int, folds: dict[int, _Fold], tips: dict[int, tuple[int, str]]
) -> tuple[list[list[Any]], list[list[Any]]]:
    """The claims' tally rows and the places' point rows (evidence._TALLIES)."""
    slot_seconds = settings.TIP_AGREEMENT_SLOT_HOURS * 3600
    claims = (
        TipClaim.objects.filter(traced_object_id=object_id)
        .exclude(tip__status=TipStatus.REJECTED)
        .values_list("kind", "value", "uncertain", "lat", "lon", "tip_id", "tip__received_at")
        .order_by()
    )
    tally: dict[tuple[str, str], dict[str, Any]] = {}
    cells: dict[tuple[str, float, float], dict[str, Any]] = {}
    for kind, value, uncertain, lat, lon, tip_id, received_at in claims:
        g, language = tips[tip_id]
        fold = folds[g]
        support = None if fold.discounted else g
        slot = int(received_at.timestamp() // slot_seconds)  # the tip's own slot
        said = [(kind, value, uncertain, False)]
        if kind == ClaimKind.PLACE:
            said.append((ClaimKind.COUNTRY.value, value.split(":", 1)[0], False, True))
        for key_kind, key_value, key_uncertain, via in said:
            entry = tally.setdefault((key_kind, key_value), _entry())
            _count(entry, tip_id, support, language, slot, certain=not key_uncertain)
            if support is not None and not via:
                entry["direct"].add(support)
            entry["via"] |= via
        if kind == ClaimKind.PLACE and lat is not None and lon is not None:
            cell = cells.setdefault((value, round(lat, 3), round(lon, 3)), _entry())
            _count(cell, tip_id, support, language, slot, certain=not uncertain)
            first = cell.get("first")
            if support is not None:
                cell["first"] = min(first, received_at) if first else received_at
            cell["any_first"] = min(cell.get("any_first") or received_at, received_at)
    tally_rows = [
        [kind, value, len(e["tips"]), len(e["groups"]), len(e["direct"]), e["via"]]
        + [sorted(e["languages"]), len(e["slots"]), e["certain"]]
        for (kind, value), e in tally.items()
    ]
    point_rows = [
        [value, lat, lon, sorted(e["groups"]), sorted(e["tips"]), sorted(e["languages"])]
        + [sorted(e["slots"]), e.get("first") or e["any_first"], e["certain"]]
        for (value, lat, lon), e in cells.items()
    ]
    return tally_rows, point_rows


def _entry() -> dict[str, Any]:
    return {
        "tips": set(),
        "groups": set(),
        "direct": set(),
        "via": False,
        "languages": set(),
        "slots": set(),
        "certain": False,
    }


def _count(
    entry: dict[str, Any],
    tip_id: int,
    support: int | None,
    language: str,
    slot: int,
    *,
    certain: bool,
) -> None:
    entry["tips"].add(tip_id)
    entry["certain"] |= certain
    if support is None:  # a held or rejected flood counts nothing
        return
    entry["groups"].add(support)
    entry["slots"].add(slot)
    if language:
        entry["languages"].add(language)
