"""Coordinates a tip writes (decimal or degrees-minutes-seconds) or points at in a map link
or geo: URI, parsed, never fetched. Pure functions (tips/places.py resolves them to towns)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

# "O" is west in French, Spanish, Italian and Portuguese ("oeste", "ouest") but east in
# German and Dutch ("Ost", "oost").
EAST_O_LANGUAGES = {"de", "nl"}

_URL = re.compile(r"(?:https?://|geo:)[^\s<>\"']+", re.IGNORECASE)
_NUMBER = r"[-+−]?\d{1,3}(?:\.\d+)?"
_DECIMAL_PAIR = re.compile(
    r"(?<![\w.])([-+−]?\d{1,2}\.\d{3,})\s*°?\s*([NSns])?\s*[,;/ ]\s*"
    r"([-+−]?\d{1,3}\.\d{3,})\s*°?\s*([EWOewo])?(?![\w.])"
)
_HEMISPHERE_PAIR = re.compile(
    r"(?<![\w.])(\d{1,2}(?:[.,]\d+)?)\s*°\s*([NSns])\s*[,;/ ]?\s*(\d{1,3}(?:[.,]\d+)?)\s*°\s*([EWOewo])\b"
)
_DMS = (
    r"(\d{1,3})\s*°\s*(?:(\d{1,2}(?:[.,]\d+)?)\s*['′’]\s*)?"
    r"(?:(\d{1,2}(?:[.,]\d+)?)\s*(?:[\"″”]|''|′′)\s*)?"
)
_DMS_PAIR = re.compile(_DMS + r"([NSns])\s*[,;/ ]?\s*" + _DMS + r"([EWOewo])\b")


def _number(text: str) -> float:
    return float(text.replace("−", "-").replace(",", "."))


def _signed(value: float, hemisphere: str | None, *, language: str) -> float:
    letter = (hemisphere or "").upper()
    if letter == "O":
        letter = "E" if language[:2] in EAST_O_LANGUAGES else "W"
    return -abs(value) if letter in {"S", "W"} else value


def _valid(lat: float, lon: float) -> bool:
    return -90 <= lat <= 90 and -180 <= lon <= 180 and not (lat == 0 and lon == 0)


def coordinates_in_text(text: str, *, language: str = "") -> list[tuple[float, float, str]]:
    """(lat, lon, as written) for each pair of coordinates written in the text (map links
    are read by coordinates_in_link)."""
    bare = _URL.sub(" ", text)
    found = []
    for match in _DMS_PAIR.finditer(bare):
        d1, m1, s1, h1, d2, m2, s2, h2 = match.groups()
        lat = _number(d1) + _number(m1 or "0") / 60 + _number(s1 or "0") / 3600
        lon = _number(d2) + _number(m2 or "0") / 60 + _number(s2 or "0") / 3600
        found.append(
            (
                _signed(lat, h1, language=language),
                _signed(lon, h2, language=language),
                match.group(),
            )
        )
    bare = _DMS_PAIR.sub(" ", bare)
    for pattern in (_DECIMAL_PAIR, _HEMISPHERE_PAIR):
        for match in pattern.finditer(bare):
            a, h1, b, h2 = match.groups()
            lat = _signed(_number(a), h1, language=language) if h1 else _number(a)
            lon = _signed(_number(b), h2, language=language) if h2 else _number(b)
            found.append((lat, lon, match.group()))
        bare = pattern.sub(" ", bare)
    return [(lat, lon, written) for lat, lon, written in found if _valid(lat, lon)]


def _pair(value: str, *, separator: str = ",") -> tuple[float, float] | None:
    parts = unquote(value).replace("+", "").replace(" ", "").split(separator)
    if len(parts) < 2:
        return None
    try:
        return float(parts[0]), float(parts[1])
    except ValueError:
        return None


def coordinates_in_link(link: str) -> tuple[float, float] | None:
    """The point a map link or geo: URI shows (Google, OpenStreetMap, Yandex, Bing, Apple,
    geo:), read from the link itself; None for a short link or any other address."""
    link = link.strip()
    if link[:4].lower() == "geo:":
        geo = _pair(link[4:].split(";")[0].split("?")[0])
        return geo if geo and _valid(*geo) else None
    try:
        parts = urlsplit(link if "//" in link else f"https://{link}")
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    query = parse_qs(parts.query)
    point: tuple[float, float] | None = None
    if "openstreetmap." in host:
        fragment = parse_qs(parts.fragment)
        if "map" in fragment:
            bits = fragment["map"][0].split("/")
            point = _pair(",".join(bits[1:3])) if len(bits) >= 3 else None
        elif "mlat" in query and "mlon" in query:
            point = _pair(f"{query['mlat'][0]},{query['mlon'][0]}")
    elif "yandex." in host:
        for name in ("pt", "ll", "whatshere[point]"):
            if name in query:
                lon_lat = _pair(query[name][0])
                point = (lon_lat[1], lon_lat[0]) if lon_lat else None  # Yandex: lon first
                break
    elif "bing." in host:
        if "cp" in query:
            point = _pair(query["cp"][0], separator="~")
    elif "apple." in host:
        for name in ("ll", "q", "sll"):
            if name in query and (point := _pair(query[name][0])):
                break
    elif "google." in host or host == "goo.gl" and "/maps" in parts.path:
        for name in ("q", "ll", "query", "center", "destination"):
            if name in query and (point := _pair(query[name][0])):
                break
        if point is None:
            at = re.search(r"@([-\d.]+),([-\d.]+)", parts.path)
            found = re.search(r"/(?:search|place)/([-\d.]+),\+?([-\d.]+)", unquote(parts.path))
            match = at or found
            point = (float(match.group(1)), float(match.group(2))) if match else None
    return point if point and _valid(*point) else None
