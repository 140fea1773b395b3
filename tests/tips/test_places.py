import io
import json
import socket
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from tests.tips.corpus import corpus_object
from tests.tips.places_corpus import LANGUAGES, REGION_HINTS, TIPS
from tips.coordinates import coordinates_in_link, coordinates_in_text
from tips.models import TipClaim
from tips.places import places_in, region_countries, tip_claims, tip_claims_and_places


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("place extraction tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def _places(text, *, region="", countries=(), links=()):
    found = places_in(text=text, links=list(links), countries=set(countries), region_hint=region)
    return {(claim.place.name, claim.place.country) for claim in found}


def test_a_town_is_one_place_whatever_the_language_it_is_written_in(no_network):
    for text in ("à Cracovie", "in Krakau", "w Kraków", "in krakow", "в Кракове", "w Krakowie"):
        assert _places(text) == {("Kraków", "PL")}, text


def test_ordinary_words_are_no_towns_without_a_capital(no_network):
    assert _places("nice shampoo, sold in reading, split in two") == set()
    assert _places("We went to Nice and Reading") == {("Nice", "FR"), ("Reading", "GB")}


@pytest.mark.parametrize(
    "text",
    [
        "-20.1619, 57.4989",
        "20°09′43″S 57°29′56″E",
        "20°09'43\"S 57°29'56\"E",
        "20.1619° S, 57.4989° E",
    ],
)
def test_written_coordinates_are_read_in_decimal_and_degrees(no_network, text):
    (lat, lon, _), *rest = coordinates_in_text(text)
    assert not rest
    assert lat == pytest.approx(-20.1619, abs=1e-3) and lon == pytest.approx(57.4989, abs=1e-3)


def test_french_and_german_o_mean_west_and_east():
    assert coordinates_in_text("48°51′N 2°21′O", language="fr")[0][1] < 0
    assert coordinates_in_text("48°51′N 2°21′O", language="de")[0][1] > 0


def test_prices_and_room_numbers_are_no_coordinates():
    assert coordinates_in_text("12.50, 13.99 and room 204, 3 nights") == []


@pytest.mark.parametrize(
    "link",
    [
        "https://maps.google.com/?q=-20.16,57.50",
        "https://www.google.com/maps/@-20.16,57.50,15z",
        "https://www.google.com/maps/place/Hotel/@-20.16,57.50,17z/data=x",
        "https://www.openstreetmap.org/#map=17/-20.16/57.50",
        "https://www.openstreetmap.org/?mlat=-20.16&mlon=57.50",
        "https://yandex.ru/maps/?ll=57.50,-20.16&z=12",
        "https://www.bing.com/maps?cp=-20.16~57.50&lvl=15",
        "https://maps.apple.com/?ll=-20.16,57.50",
        "geo:-20.16,57.50",
        "geo:-20.16,57.50;u=35",
    ],
)
def test_each_map_link_gives_its_point_and_its_town(no_network, link):
    assert coordinates_in_link(link) == pytest.approx((-20.16, 57.50))
    assert _places("", links=[link]) == {("Port Louis", "MU")}


def test_a_short_map_link_stays_a_link_and_is_never_fetched(no_network):
    link = "https://maps.app.goo.gl/AbCdEf123"
    assert coordinates_in_link(link) is None
    claims = tip_claims(body="", where="", country="", links=[link])
    assert claims == {("domain", "goo.gl")}


def test_paris_about_an_object_hinted_north_america_is_not_france(no_network):
    claims, places = tip_claims_and_places(
        body="Found it in a shop in Paris",
        where="",
        country="",
        links=[],
        region_hint="North America",
    )
    assert [(p.place.name, p.place.country) for p in places] == [("Paris", "US")]
    assert not any(value.startswith("FR") for _, value in claims)


def test_an_ambiguous_name_follows_the_country_the_tip_names_else_population(no_network):
    assert _places("San José", countries={"US"}) == {("San Jose", "US")}
    assert _places("San José", countries={"CR"}) == {("San José", "CR")}
    (alone,) = places_in(text="Santiago", links=[], countries=set())
    assert alone.place.country == "CL" and alone.uncertain
    (named,) = places_in(text="Santiago", links=[], countries={"ES"})
    assert named.place.name == "Santiago de Compostela" and not named.uncertain


def test_a_region_hint_covers_continents_subregions_and_countries():
    assert {"US", "CA", "MX"} <= region_countries("North America")
    assert "FR" not in region_countries("North America")
    assert region_countries("South-East Asia") >= {"TH", "VN"}
    assert "CN" not in region_countries("South-East Asia")
    assert region_countries("Poland") == {"PL"}


def test_place_extraction_on_the_corpus_is_precise_and_complete(no_network, capsys):
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # right, extracted, expected
    for tip in TIPS:
        _, places = tip_claims_and_places(
            body=tip.body,
            where="",
            country=tip.country,
            links=list(tip.links),
            region_hint=REGION_HINTS[tip.obj],
            language=tip.language,
        )
        got = {(claim.place.name, claim.place.country) for claim in places}
        counts = found[tip.language]
        counts[0] += len(got & tip.expected)
        counts[1] += len(got)
        counts[2] += len(tip.expected)
    assert len(LANGUAGES) >= 8
    with capsys.disabled():
        print("\nplace extraction: language precision recall")
        for language in [*LANGUAGES, "all"]:
            if language == "all":
                right, extracted, expected = map(sum, zip(*found.values(), strict=True))
            else:
                right, extracted, expected = found[language]
            precision = right / extracted if extracted else 1.0
            recall = right / expected if expected else 1.0
            print(f"  {language:<4} {precision:.2f} {recall:.2f}  ({right}/{extracted}/{expected})")
    assert precision >= 0.9 and recall >= 0.9


def _import(traced_object, obj):
    from tips.services import TipContent, tip_import

    start = datetime(2026, 3, 1, tzinfo=UTC)
    for n, tip in enumerate(t for t in TIPS if t.obj == obj):
        tip_import(
            traced_object=traced_object,
            content=TipContent(body=tip.body, country=tip.country, links=list(tip.links)),
            language=tip.language,
            received_at=start + timedelta(hours=7 * n),
            source="corpus",
            ref=f"{obj}-{n}",
        )


def _board(traced_object):
    out = io.StringIO()
    call_command("analyse_tips", traced_object.code, format="json", stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("obj", "town", "country"),
    [("shampoo", "Kraków", "PL"), ("hotel", "Port Louis", "MU"), ("bottle", "Dallas", "US")],
)
def test_the_board_puts_the_right_town_and_country_first(obj, town, country):
    traced_object = corpus_object(code=f"TAO-2026-09{len(obj)}{len(town)}")
    traced_object.region_hint = REGION_HINTS[obj]
    traced_object.save(update_fields=["region_hint"])
    _import(traced_object, obj)
    board = _board(traced_object)
    assert (board["places"][0]["name"], board["places"][0]["country"]) == (town, country)
    assert set(board["places"][0]) >= {"name", "country", "lat", "lon", "groups", "uncertain"}
    first = board["countries"][0]
    assert first["country"] == country
    assert 0 < first["place_groups"] <= first["groups"]
    if obj == "bottle":
        assert all(entry["country"] != "FR" for entry in board["countries"])
    stored = TipClaim.objects.filter(tip__traced_object=traced_object, kind="place").first()
    assert stored is not None and stored.lat is not None and stored.lon is not None


@pytest.mark.django_db
def test_a_place_only_country_counts_its_groups_as_coming_from_places():
    traced_object = corpus_object(code="TAO-2026-0950")
    _import(traced_object, "hotel")
    mauritius = next(e for e in _board(traced_object)["countries"] if e["country"] == "MU")
    # One tip names Mauritius; every other group only gives a point or a town there.
    assert mauritius["groups"] >= 10
    assert mauritius["place_groups"] == mauritius["groups"] - 1
