"""Tips that name a town, give coordinates or paste a map link, written by hand in nine
languages, each with the places a reader would take from it: (town as GeoNames names it,
ISO country). Three objects: a shampoo sold in Poland, a hotel room on Mauritius, a
bottle from Texas (region hint "North America", where "Paris" is Paris, Texas)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlaceTip:
    obj: str  # which object: "shampoo", "hotel", "bottle"
    language: str
    body: str
    expected: frozenset[tuple[str, str]]
    country: str = ""
    links: tuple[str, ...] = ()


KRK = ("Kraków", "PL")
WAW = ("Warsaw", "PL")
PL_ = ("Port Louis", "MU")
PARIS_TX = ("Paris", "US")


def _tip(obj: str, language: str, body: str, *places: tuple[str, str], **kw: object) -> PlaceTip:
    return PlaceTip(obj=obj, language=language, body=body, expected=frozenset(places), **kw)  # type: ignore[arg-type]


REGION_HINTS = {"shampoo": "Europe", "hotel": "Africa", "bottle": "North America"}

TIPS = [
    # The shampoo: Kraków in every language, some Warsaw.
    _tip("shampoo", "en", "I bought the same shampoo at a Biedronka in Krakow last week.", KRK),
    _tip("shampoo", "en", "Seen it in Cracow, near the main square.", KRK),
    _tip("shampoo", "fr", "J'ai acheté le même shampooing chez Biedronka à Cracovie.", KRK),
    _tip("shampoo", "fr", "Vendu dans toutes les pharmacies de Varsovie.", WAW),
    _tip("shampoo", "de", "Ich habe dieses Shampoo in Krakau gekauft.", KRK),
    _tip("shampoo", "de", "Gibt es in jedem Supermarkt, zum Beispiel in Warschau.", WAW),
    _tip("shampoo", "pl", "Widziałam ten szampon w Krakowie, w Biedronce.", KRK),
    _tip("shampoo", "pl", "Kupiłem go w Warszawie na Pradze.", WAW),
    _tip("shampoo", "es", "Lo compré en Cracovia el verano pasado.", KRK),
    _tip("shampoo", "it", "L'ho visto in un negozio a Cracovia.", KRK),
    _tip("shampoo", "pt", "Comprei este xampu em Cracóvia.", KRK),
    _tip("shampoo", "ru", "Видела такой шампунь в Кракове.", KRK),
    _tip("shampoo", "ru", "Продаётся в Варшаве, в любом магазине.", WAW),
    _tip("shampoo", "ja", "クラクフのスーパーで買いました。", KRK),
    _tip(
        "shampoo", "en", "The label is Polish, I think it is sold everywhere there.", country="PL"
    ),
    _tip("shampoo", "en", "nice shampoo, it smells good"),
    _tip("shampoo", "de", "Same bottle, same label: https://maps.app.goo.gl/AbCdEf123"),
    _tip(
        "shampoo", "en", "Here is the shop: https://www.google.com/maps/@50.0614,19.9366,17z", KRK
    ),
    # The hotel room: Mauritius, mostly coordinates and map links.
    _tip("hotel", "en", "This is a hotel near Port Louis, Mauritius.", PL_),
    _tip("hotel", "en", "The view matches -20.1619, 57.4989 exactly.", PL_),
    _tip("hotel", "fr", "C'est l'hôtel à 20°09′43″S 57°29′56″E, j'y étais.", PL_),
    _tip("hotel", "fr", "Je crois que c'est ici : 20°09'43\"S 57°29'56\"E", PL_),
    _tip(
        "hotel", "de", "Das Hotel ist hier: https://www.openstreetmap.org/#map=17/-20.16/57.50", PL_
    ),
    _tip("hotel", "ru", "Вот это место: https://yandex.ru/maps/?ll=57.50,-20.16&z=14", PL_),
    _tip("hotel", "es", "Está aquí: https://www.bing.com/maps?cp=-20.16~57.50&lvl=15", PL_),
    _tip("hotel", "it", "Guarda qui: https://maps.apple.com/?ll=-20.16,57.50&z=15", PL_),
    _tip("hotel", "pt", "O hotel fica em geo:-20.16,57.50", PL_),
    _tip("hotel", "pl", "To jest ten hotel: https://maps.google.com/?q=-20.16,57.50", PL_),
    _tip("hotel", "en", "Room 12, same curtains. maps.google.com/?q=-20.1619,57.4989", PL_),
    _tip("hotel", "ja", "ポートルイスのホテルだと思います。", PL_),
    _tip("hotel", "en", "I paid 12.50, 13.99 for the minibar, the room was 20 euros."),
    _tip("hotel", "es", "Creo que es la habitación 204, la vista es al mar."),
    # The bottle, hinted "North America": Paris is Paris, Texas; Victoria is in Texas too
    # when the tip says so, San José is in California when the tip says USA.
    _tip("bottle", "en", "Found one like it at a gas station in Paris.", PARIS_TX),
    _tip("bottle", "en", "They sell these in Paris, on Lamar Avenue.", PARIS_TX),
    _tip("bottle", "fr", "J'en ai vu à Paris, au Texas, dans une épicerie.", PARIS_TX),
    _tip("bottle", "es", "Se vende en San José, en USA.", ("San Jose", "US")),
    _tip("bottle", "de", "Ich habe es in Dallas gesehen.", ("Dallas", "US")),
    _tip("bottle", "en", "Victoria, Canada: every corner shop has it.", ("Victoria", "CA")),
    _tip("bottle", "pt", "Vi em Houston, no Texas.", ("Houston", "US")),
    _tip("bottle", "it", "L'ho comprata a Dallas l'anno scorso.", ("Dallas", "US")),
    _tip("bottle", "pl", "Widziałem to w Houston.", ("Houston", "US")),
    _tip("bottle", "ru", "Видел такое в Далласе.", ("Dallas", "US")),
    _tip("bottle", "en", "The bottle is at 32.7767, -96.7970 on the shelf.", ("Dallas", "US")),
]
LANGUAGES = sorted({tip.language for tip in TIPS})
