"""The places on the evidence board as an analyst reads them: clustered by distance (a point
2 km from the centre of a named town counts with it), the SVG map drawn where the places
are (Mauritius east of Madagascar and south of the equator, Lyon north of it), its numbers
never localised, the table's numbers those of the tally, and OpenStreetMap only behind an
outbound link."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tips import board, evidence
from tips.models import ClaimKind, TipClaim
from tips.services import TipContent, tip_import

pytestmark = pytest.mark.django_db

# (language, text): each its own independent tip.
PLACE_TIPS = [
    ("en", "The hotel room is on this island, here: -20.1619, 57.4989"),
    ("de", "Das Zimmer: geo:-20.1601,57.5012 bestimmt"),
    ("fr", "La chambre est à 20°09′43″S 57°29′56″E je crois"),
    ("en", "I think it is Antananarivo, I lived there for years."),
    ("en", "Sold in Lyon at the covered market near the river."),
    ("fr", "On le trouve à Lyon, rue de la République, dans une boutique."),
    # Nearest to Villeurbanne's centre, 2.4 km from Lyon's: it counts with Lyon.
    ("pl", "Współrzędne sklepu: 45.7620, 4.8720"),
]


def place_object(traced_object):
    """The tips above on the object, a day apart, grouped and analysed as on arrival."""
    start = timezone.now() - timedelta(days=len(PLACE_TIPS))
    for n, (language, body) in enumerate(PLACE_TIPS):
        tip_import(
            traced_object=traced_object,
            content=TipContent(body=body, country="", links=[]),
            language=language,
            received_at=start + timedelta(days=n),
            source="test",
            ref=f"place-{n}",
        )
    return traced_object


def page_of(client, obj, **headers) -> str:
    return client.get(reverse("admin:tips_tip_board", args=[obj.pk]), **headers).content.decode()


def places_section(page: str) -> str:
    match = re.search(r'<section id="board-places".*?</section>', page, re.S)
    assert match
    return match.group(0)


def table_rows(section: str) -> list[dict]:
    rows = []
    for row in re.findall(r"<tbody>(.*?)</tbody>", section, re.S)[0].split("</tr>")[:-1]:
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        rows.append(
            {
                "rank": int(cells[0]),
                # The name, its nearby towns, and its coordinates' link under them.
                "place": re.sub(r"<[^>]+>", " ", cells[1].split("<br><a ")[0]),
                "groups": int(cells[2]),
                "tips": int(cells[3]),
                "languages": cells[4],
                "first": cells[5],
                "link": "<a " + cells[1].split("<br><a ", 1)[1],
            }
        )
    return rows


def test_places_are_clustered_by_distance_and_tabled_with_the_tallys_numbers(
    analyst_client, public_object
):
    obj = place_object(public_object)

    rows = table_rows(places_section(page_of(analyst_client, obj)))

    by_name = {row["place"].split(" (")[0].strip(): row for row in rows}
    assert set(by_name) == {"Port Louis", "Lyon", "Antananarivo"}
    assert by_name["Port Louis"]["groups"] == 3 and by_name["Port Louis"]["tips"] == 3
    assert by_name["Port Louis"]["languages"] == "de, en, fr"
    # Lyon: two tips name it, a third gives a point nearest Villeurbanne, 2.4 km away.
    assert by_name["Lyon"]["groups"] == 3 and "with Villeurbanne" in by_name["Lyon"]["place"]
    assert by_name["Lyon"]["languages"] == "en, fr, pl"
    assert by_name["Antananarivo"]["groups"] == 1
    # The tally per town (analyse_tips) has the same numbers; the cluster is Lyon's and
    # Villeurbanne's groups together.
    tally = {e["name"]: e for e in evidence.claims_tally(obj)[ClaimKind.PLACE]}
    assert by_name["Port Louis"]["groups"] == tally["Port Louis"]["groups"]
    assert by_name["Antananarivo"]["groups"] == tally["Antananarivo"]["groups"]
    assert tally["Lyon"]["groups"] + tally["Villeurbanne"]["groups"] == 3
    first = TipClaim.objects.filter(tip__traced_object=obj, value__startswith="MU:")
    first_at = min(claim.tip.received_at for claim in first)
    assert by_name["Port Louis"]["first"] == first_at.strftime("%Y-%m-%d")
    # Strongest first: three groups in three languages over three days before one group.
    assert rows[-1]["place"].startswith("Antananarivo") and [r["rank"] for r in rows] == [1, 2, 3]


def test_the_map_draws_each_place_where_it_is(analyst_client, public_object):
    obj = place_object(public_object)

    section = places_section(page_of(analyst_client, obj))

    svg = re.search(r"<svg.*?</svg>", section, re.S).group(0)
    width, height = (float(n) for n in re.search(r'viewBox="0 0 (\S+) (\S+)"', svg).groups())
    west, north, scale = (
        float(re.search(rf'data-{key}="([^"]+)"', svg).group(1))
        for key in ("west", "north", "scale")
    )
    dots = {
        int(rank): (float(cx), float(cy))
        for rank, cx, cy in re.findall(
            r'data-rank="(\d+)">\s*<circle cx="([^"]+)" cy="([^"]+)"', svg
        )
    }
    rows = {row["rank"]: row["place"].split(" (")[0].strip() for row in table_rows(section)}
    at = {rows[rank]: point for rank, point in dots.items()}
    assert set(at) == {"Port Louis", "Lyon", "Antananarivo"}
    # Every dot inside the frame, at the equirectangular place of its town.
    for x, y in at.values():
        assert 0 <= x <= width and 0 <= y <= height
    for name, (lat, lon) in {
        "Port Louis": (-20.16167, 57.49889),
        "Lyon": (45.74906, 4.84789),
        "Antananarivo": (-18.91368, 47.53613),
    }.items():
        assert at[name][0] == pytest.approx((lon - west) * scale, abs=0.1)
        assert at[name][1] == pytest.approx((north - lat) * scale, abs=0.1)
    equator = float(re.search(r'y1="([^"]+)"[^>]*class="board-map-equator"', svg).group(1))
    assert at["Port Louis"][0] > at["Antananarivo"][0]  # Mauritius east of Madagascar
    assert at["Port Louis"][1] > equator > at["Lyon"][1]  # south of the equator, Lyon north
    assert "<title" in svg and "1. " in svg and ": 3" in svg


def test_the_maps_numbers_are_never_localised_and_the_map_site_is_only_a_link(
    analyst_client, public_object
):
    obj = place_object(public_object)

    page = page_of(analyst_client, obj, HTTP_ACCEPT_LANGUAGE="de")

    svg = re.search(r"<svg class=\"board-map\".*?</svg>", page, re.S).group(0)
    numbers = re.findall(r'\s(?:cx|cy|r|x|y|x1|y1|x2|y2|data-scale)="([^"]+)"', svg)
    assert numbers and all(re.fullmatch(r"-?\d+(\.\d+)?", n) for n in numbers), numbers
    links = re.findall(r'<a href="(https://www\.openstreetmap\.org/[^"]+)"([^>]*)>', page)
    assert len(links) == 3
    for url, attributes in links:
        assert re.fullmatch(
            r"https://www\.openstreetmap\.org/\?mlat=-?[\d.]+&amp;mlon=-?[\d.]+#map=12/-?[\d.]+/-?[\d.]+",
            url,
        )
        assert 'rel="noopener noreferrer"' in attributes
    # Nothing of the map site is embedded or fetched by the page.
    assert "<iframe" not in page and not re.search(r'src="https?://', page)
    assert not re.search(r'<link[^>]+href="https?://', page)


def test_an_object_without_places_says_so(analyst_client, public_object):
    tip_import(
        traced_object=public_object,
        content=TipContent(body="A blue bottle with a white cap.", country="", links=[]),
        language="en",
        received_at=timezone.now(),
        source="test",
        ref="none",
    )

    section = places_section(page_of(analyst_client, public_object))

    assert "No tip names a town or gives coordinates yet." in section and "<svg" not in section
    assert board.board_read(traced_object=public_object)["place_map"] is None
