"""The evidence board's places: the place claims' points (tips/evidence.py place_points)
clustered by distance, strongest first, and the geometry of the SVG map drawn from them on
the server (an equirectangular plot: longitude and latitude as x and y, with a graticule;
no country outlines, as no well-kept package ships them small enough).

Clusters: the towns named, strongest first (independent groups, then tips, then
population), each become a cluster centred on the town's own GeoNames point unless that
point lies within CLUSTER_KM of a stronger cluster's centre, which it then joins. Each
point then counts with the nearest centre within CLUSTER_KM, else with its own town's
cluster: coordinates 2 km from the centre of a named town count with that town even when
the nearest town of the index is a suburb. A cluster's groups, tips, languages and time
slots are the union of its points' (a group counts once however many points it gave).

Every number meant for the SVG is a string formatted here, never localised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from tips.evidence import PlacePoint, agreement_score
from tips.places import distance_km
from tips.towns import town

CLUSTER_KM = 5.0  # tips within this of a cluster's centre agree on the place
PLACES_SHOWN = 12

# The map, in SVG user units: about the width of the board's side column at 1280 pixels.
MAP_WIDTH = 360
MAP_HEIGHT = 180  # equirectangular: the window is always twice as wide as it is tall
MIN_SPAN_DEGREES = 24.0  # the narrowest window: a country's width, so towns stand apart
MARGIN_SHARE = 0.15  # of the points' own extent, left around them
GRATICULE_STEPS = (1, 2, 5, 10, 15, 30)
GRATICULE_LINES = 8  # at most this many meridians across the window


@dataclass
class PlaceCluster:
    """One place of the board: its centre town and every point within reach."""

    value: str  # the centre town's claim value, "PL:3094802"
    name: str
    country: str
    lat: float  # the centre: the town's GeoNames point
    lon: float
    towns: list[str] = field(default_factory=list)  # other towns whose points joined
    groups: set[int] = field(default_factory=set)
    tips: set[int] = field(default_factory=set)
    languages: set[str] = field(default_factory=set)
    slots: set[int] = field(default_factory=set)
    first_at: datetime | None = None
    certain: bool = False
    points: int = 0

    @property
    def score(self) -> float:
        return agreement_score(
            groups=len(self.groups), languages=len(self.languages), slots=len(self.slots)
        )

    def add(self, point: PlacePoint) -> None:
        self.groups |= point.groups
        self.tips |= point.tips
        self.languages |= point.languages
        self.slots |= point.slots
        if self.first_at is None or point.first_at < self.first_at:
            self.first_at = point.first_at
        self.certain = self.certain or point.certain
        self.points += 1


def place_clusters(points: list[PlacePoint]) -> list[PlaceCluster]:
    """The points clustered by distance, the best supported first (as the tally orders
    claims: score, then groups, then tips)."""
    if not points:
        return []
    towns: dict[str, list[PlacePoint]] = {}
    for point in points:
        towns.setdefault(point.value, []).append(point)

    def town_strength(value: str) -> tuple:
        groups = set().union(*(p.groups for p in towns[value]))
        tips = set().union(*(p.tips for p in towns[value]))
        place = town(value)
        return (-len(groups), -len(tips), -(place.population if place else 0), value)

    clusters: list[PlaceCluster] = []
    town_cluster: dict[str, PlaceCluster] = {}
    for value in sorted(towns, key=town_strength):
        place = town(value)
        if place is not None:
            lat, lon, name = place.lat, place.lon, place.name
        else:  # a town the index no longer has: the middle of its points
            lat = sum(p.lat for p in towns[value]) / len(towns[value])
            lon = sum(p.lon for p in towns[value]) / len(towns[value])
            name = value
        near = _nearest(clusters, lat, lon)
        if near is not None:
            town_cluster[value] = near
            continue
        cluster = PlaceCluster(
            value=value, name=name, country=value.partition(":")[0], lat=lat, lon=lon
        )
        clusters.append(cluster)
        town_cluster[value] = cluster
    for point in points:
        cluster = _nearest(clusters, point.lat, point.lon) or town_cluster[point.value]
        cluster.add(point)
        if point.value != cluster.value:
            place = town(point.value)
            name = place.name if place else point.value
            if name not in cluster.towns:
                cluster.towns.append(name)
    for cluster in clusters:
        cluster.towns.sort()
    found = [cluster for cluster in clusters if cluster.points]
    found.sort(key=lambda c: (-c.score, -len(c.groups), -len(c.tips), c.name, c.value))
    return found


def _nearest(clusters: list[PlaceCluster], lat: float, lon: float) -> PlaceCluster | None:
    """The cluster whose centre is nearest the point, if within CLUSTER_KM."""
    best: tuple[float, PlaceCluster] | None = None
    reach = CLUSTER_KM / 111.0 + 1e-9  # degrees of latitude: a cheap test first
    for cluster in clusters:
        if abs(cluster.lat - lat) > reach:
            continue
        km = distance_km(lat, lon, cluster.lat, cluster.lon)
        if km <= CLUSTER_KM and (best is None or km < best[0]):
            best = (km, cluster)
    return best[1] if best else None


def osm_url(lat: float, lon: float) -> str:
    """OpenStreetMap at the point: opened only when the analyst clicks the link."""
    point = f"{lat:.5f}/{lon:.5f}"
    return f"https://www.openstreetmap.org/?mlat={lat:.5f}&mlon={lon:.5f}#map=12/{point}"


def _window(clusters: list[PlaceCluster]) -> tuple[float, float, float]:
    """(west, north, span in degrees of longitude) of the map: the points with a margin,
    at least MIN_SPAN_DEGREES wide, twice as wide as tall, inside the world."""
    lats = [c.lat for c in clusters]
    lons = [c.lon for c in clusters]
    lon_extent, lat_extent = max(lons) - min(lons), max(lats) - min(lats)
    span = max(
        lon_extent * (1 + 2 * MARGIN_SHARE),
        2 * lat_extent * (1 + 2 * MARGIN_SHARE),
        MIN_SPAN_DEGREES,
    )
    span = min(span, 360.0)
    height = span / 2
    west = (min(lons) + max(lons)) / 2 - span / 2
    west = min(max(west, -180.0), 180.0 - span)
    north = (min(lats) + max(lats)) / 2 + height / 2
    north = min(max(north, -90.0 + height), 90.0)
    return west, north, span


def _degrees(value: float, positive: str, negative: str) -> str:
    number = f"{abs(value):g}"
    if value == 0:
        return "0°"
    return f"{number}°{positive if value > 0 else negative}"


def place_map(clusters: list[PlaceCluster]) -> dict | None:
    """The SVG map of the clusters shown (numbered as in the table), or None without any."""
    if not clusters:
        return None
    west, north, span = _window(clusters)
    scale = MAP_WIDTH / span  # user units per degree, the same both ways

    def x(lon: float) -> float:
        return min(max((lon - west) * scale, 0.0), MAP_WIDTH)

    def y(lat: float) -> float:
        return min(max((north - lat) * scale, 0.0), MAP_HEIGHT)

    step = next((s for s in GRATICULE_STEPS if span / s <= GRATICULE_LINES), 30)
    meridians = [
        {"x": f"{x(lon):.1f}", "label": _degrees(lon, "E", "W")}
        for lon in _multiples(west, west + span, step)
    ]
    parallels = [
        {
            "y": f"{y(lat):.1f}",
            "label": _degrees(lat, "N", "S"),
            "label_y": f"{y(lat) - 2:.1f}",
            "equator": lat == 0,
        }
        for lat in _multiples(north - span / 2, north, step)
    ]
    longest = max(len(c.groups) for c in clusters) or 1
    points = []
    for rank, cluster in enumerate(clusters, start=1):
        radius = 3 + 5 * math.sqrt(len(cluster.groups) / longest)
        px, py = x(cluster.lon), y(cluster.lat)
        points.append(
            {
                "rank": rank,
                "name": cluster.name,
                "groups": len(cluster.groups),
                "cx": f"{px:.1f}",
                "cy": f"{py:.1f}",
                "r": f"{radius:.1f}",
                # The number beside the dot, kept inside the frame.
                "label_x": f"{min(px + radius + 2, MAP_WIDTH - 8):.1f}",
                "label_y": f"{min(max(py + 4, 10), MAP_HEIGHT - 2):.1f}",
            }
        )
    return {
        "width": MAP_WIDTH,
        "height": MAP_HEIGHT,
        "west": f"{west:.4f}",
        "north": f"{north:.4f}",
        "scale": f"{scale:.6f}",
        "meridians": meridians,
        "parallels": parallels,
        "points": points,
    }


def _multiples(low: float, high: float, step: int) -> list[float]:
    """The multiples of `step` strictly inside (low, high)."""
    first = math.floor(low / step) + 1
    return [n * step for n in range(first, math.ceil(high / step)) if low < n * step < high]


def place_rows(clusters: list[PlaceCluster]) -> list[dict]:
    """The clusters as rows of the board's table (the map's numbers)."""
    return [
        {
            "rank": rank,
            "name": cluster.name,
            "country": cluster.country,
            "towns": cluster.towns,
            "groups": len(cluster.groups),
            "tips": len(cluster.tips),
            "languages": sorted(cluster.languages),
            "score": cluster.score,
            "first_at": cluster.first_at,
            "uncertain": not cluster.certain,
            # A town centre to about a kilometre; the link itself keeps five decimals.
            "coordinates": f"{cluster.lat:.2f}, {cluster.lon:.2f}",
            "map_url": osm_url(cluster.lat, cluster.lon),
        }
        for rank, cluster in enumerate(clusters, start=1)
    ]
