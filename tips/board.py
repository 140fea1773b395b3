"""What an object's evidence board shows (its page: tips/workbench/board.py): counts, its
groups of similar tips strongest first with their first tip's text, floods apart, and what
the tips claim (a country chart drawn here in SVG, domains, names, places clustered by
distance with their map: tips/place_map.py) counted in independent groups
(tips/evidence.py). One query whatever the object's size."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django_countries import countries

from objects.models import TracedObject
from tips import triage
from tips.evidence import Group, board_data
from tips.models import ClaimKind, FloodState, TipStatus
from tips.place_map import CLUSTER_KM, PLACES_SHOWN, place_clusters, place_map, place_rows

GROUPS_SHOWN = 30  # the strongest groups listed; the rest are counted
FLOODS_SHOWN = 10
CLAIMS_SHOWN = 12  # countries in the chart, domains and names in their tables
IMAGE_SIDE = 240  # pixels: the long side of the object's image in the header

# The country chart, in SVG user units: about the width of its column at 1280 pixels, so
# its text keeps the page's size.
CHART_ROW = 26
CHART_LABEL = 130  # the country's name, left of its bar
CHART_BAR = 180  # the longest bar
CHART_WIDTH = CHART_LABEL + CHART_BAR + 40  # room for the number after the bar


@dataclass
class BoardGroup:
    """A group as a row of the board."""

    group: Group

    @property
    def sample(self) -> str:
        return self.group.sample

    @property
    def group_id(self) -> int | None:
        return self.group.id if self.group.id > 0 else None

    @property
    def anchor(self) -> str:
        """The group's id on the page; the act view sends the analyst back to it."""
        return f"group-{self.group.id}" if self.group.id > 0 else f"tip-{self.lead_id}"

    @property
    def languages(self) -> list[str]:
        return self.group.languages

    @property
    def lead_id(self) -> int:
        return self.group.lead_id

    def count(self, statuses: Iterable[str]) -> int:
        return sum(self.group.statuses.get(status, 0) for status in statuses)

    @property
    def rejectable(self) -> int:
        return self.count(triage.REJECTABLE_FROM)

    @property
    def forwardable(self) -> int:
        return self.count(triage.FORWARDABLE_FROM)

    @property
    def held(self) -> bool:
        return self.group.flood == FloodState.HELD

    @property
    def flood_label(self) -> str:
        return (
            str(FloodState(self.group.flood).label) if self.group.flood != FloodState.NONE else ""
        )

    @property
    def status_line(self) -> str:
        """ "3 New, 1 Rejected", in the order of the statuses' choices."""
        return ", ".join(
            f"{self.group.statuses[status]} {status.label.lower()}"
            for status in TipStatus
            if status in self.group.statuses
        )


def country_chart(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The bars of the country chart: one per country, as long as its independent groups."""
    longest = max((entry["groups"] for entry in entries), default=0) or 1
    bars = []
    for row, entry in enumerate(entries):
        width = round(CHART_BAR * entry["groups"] / longest)
        bars.append(
            {
                **entry,
                "name": countries.name(entry["country"]) or entry["country"],
                "y": row * CHART_ROW,
                "text_y": row * CHART_ROW + CHART_ROW // 2 + 4,
                "width": max(width, 2),  # a country with no independent group still shows
                "number_x": CHART_LABEL + max(width, 2) + 8,
            }
        )
    return {
        "bars": bars,
        "width": CHART_WIDTH,
        "height": max(len(bars), 1) * CHART_ROW,
        "label_width": CHART_LABEL,
        "bar_x": CHART_LABEL,
        "bar_height": CHART_ROW - 8,
    }


def claim_rows(tally: dict[str, list[dict[str, Any]]], kind: str) -> list[dict[str, Any]]:
    """The best supported claims of one kind, their value under one key for the template."""
    return [{**entry, "value": entry[kind]} for entry in tally[kind][:CLAIMS_SHOWN]]


def board_read(*, traced_object: TracedObject) -> dict[str, Any]:
    """Everything the board shows, in one query whatever the number of tips and groups."""
    data = board_data(
        traced_object,
        calm_shown=GROUPS_SHOWN,
        floods_shown=FLOODS_SHOWN,
        claims_shown=CLAIMS_SHOWN,
    )
    read, tally = data.groups, data.tally
    clusters = place_clusters(data.points)[:PLACES_SHOWN]
    rows = [BoardGroup(group=group) for group in read.calm + read.floods]
    return {
        "counts": {
            "tips": read.tips,
            "groups": read.groups,
            "new": read.new,
            "urgent": read.urgent,
            "floods": read.floods_total,
        },
        "groups": rows[: len(read.calm)],
        "more_groups": max(read.calm_total - GROUPS_SHOWN, 0),
        "floods": rows[len(read.calm) :],
        "more_floods": max(read.floods_total - FLOODS_SHOWN, 0),
        "chart": country_chart(tally[ClaimKind.COUNTRY][:CLAIMS_SHOWN]),
        "domains": claim_rows(tally, ClaimKind.DOMAIN),
        "names": claim_rows(tally, ClaimKind.NAME),
        "places": place_rows(clusters),
        "place_map": place_map(clusters),
        "cluster_km": f"{CLUSTER_KM:g}",
        "sample_tip_ids": sorted(row.lead_id for row in rows),
        "counted": data.counted,  # the activity's counts, when the statement made them
    }
