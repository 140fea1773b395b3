"""A synthetic, multilingual corpus of tips on one object with a known answer (fixed seed).

Independent tipsters write in seven languages and scripts; each writes a base tip and its
near-duplicates (the same person or a copy-paste: retyped with a typo, sentences
reordered, lower-cased, a greeting added, a word changed). The object truly comes from
Poland: many independent groups say so, in several languages, over two weeks. A flood of
near-identical tips within one hour says Germany and pushes a link to a shop: counted raw,
Germany wins; counted by independent groups, Poland does. A few groups name other
countries. Every tip carries its true group label, for B-cubed precision and recall.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from babel import Locale

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
TRUE_COUNTRY = "PL"
FLOOD_COUNTRY = "DE"
FLOOD_DOMAIN = "cheap-bottles.de"
OTHER_COUNTRIES = ["FR", "IT", "CZ", "NL", "UA", "ES"]

TEMPLATES = {
    "en": [
        "I recognise this bottle. It is the {brand} {thing} from {country}.",
        "My grandmother had exactly this {thing}, she bought it at {shop} in {city}.",
        "The label with the {detail} is typical for {country}, I am quite sure.",
        "You can still see it on shelves of {shop}, next to the {detail}.",
        "We used it at home around {year}; the {brand} logo changed later.",
    ],
    "de": [
        "Ich erkenne diese Flasche, das ist {brand} {thing} aus {country}.",
        "Meine Tante kaufte genau diese {thing} bei {shop} in {city}.",
        "Das Etikett mit {detail} gibt es so nur in {country}.",
        "Im Regal von {shop} steht sie neben {detail}.",
        "Wir hatten das um {year} zu Hause, das Logo von {brand} war anders.",
    ],
    "fr": [
        "Je reconnais ce flacon, c'est {brand} {thing}, vendu en {country}.",
        "Ma voisine achetait ce {thing} chez {shop} à {city}.",
        "L'étiquette avec {detail} est typique de {country}.",
        "On le trouve encore dans les rayons de {shop}, près de {detail}.",
        "Nous l'avions vers {year}, le logo {brand} a changé depuis.",
    ],
    "es": [
        "Reconozco esta botella, es {brand} {thing} de {country}.",
        "Mi abuela compraba este {thing} en {shop} de {city}.",
        "La etiqueta con {detail} es típica de {country}.",
        "Todavía se ve en las estanterías de {shop}, junto a {detail}.",
        "Lo usábamos en casa hacia {year}; el logo de {brand} cambió.",
    ],
    "pl": [
        "Rozpoznaję tę butelkę, to {brand} {thing}, kraj: {country}.",
        "Moja babcia kupowała ten {thing} w {shop} w mieście {city}.",
        "Etykieta z {detail} jest typowa, kraj {country}.",
        "Nadal stoi na półkach {shop}, obok {detail}.",
        "Mieliśmy to w domu około {year}, logo {brand} potem się zmieniło.",
    ],
    "ru": [
        "Я узнаю эту бутылку, это {brand} {thing}, страна {country}.",
        "Моя бабушка покупала этот {thing} в {shop}, город {city}.",
        "Этикетка с {detail} типична, страна {country}.",
        "Его до сих пор видно на полках {shop}, рядом с {detail}.",
        "У нас это было дома около {year} года, логотип {brand} потом изменился.",
    ],
    "zh": [
        "我认识这个瓶子，这是{brand}的{thing}，产地{country}。",
        "我奶奶在{city}的{shop}买过这个{thing}。",
        "带有{detail}的标签在{country}很常见。",
        "在{shop}的货架上还能看到，旁边是{detail}。",
        "大约{year}年我们家用过，{brand}的标志后来变了。",
    ],
}
GREETINGS = {
    "en": "Hello,",
    "de": "Hallo,",
    "fr": "Bonjour,",
    "es": "Hola,",
    "pl": "Dzień dobry,",
    "ru": "Здравствуйте,",
    "zh": "你好，",
}
THINGS = {
    "en": ["shampoo", "soap", "lotion", "cleaner"],
    "de": ["Shampoo", "Seife", "Lotion", "Reiniger"],
    "fr": ["shampooing", "savon", "lotion", "nettoyant"],
    "es": ["champú", "jabón", "loción", "limpiador"],
    "pl": ["szampon", "mydło", "balsam", "płyn"],
    "ru": ["шампунь", "мыло", "лосьон", "очиститель"],
    "zh": ["洗发水", "肥皂", "乳液", "清洁剂"],
}
SYLLABLE_TEXT = (
    "ka lo mi ne ra su to ve zi bo da fe gu ho ji ku le mo nu pa ri sa te vo wu xa yo ze"
)
SYLLABLES = SYLLABLE_TEXT.split(" ")
CJK = "山水火木金土日月星云风雨花草鸟鱼龙虎马牛羊米竹石光明"


@dataclass
class CorpusTip:
    body: str
    country: str
    links: list[str]
    language: str
    received_at: datetime
    group: str  # the true group label
    ref: str


@dataclass
class Corpus:
    tips: list[CorpusTip] = field(default_factory=list)
    true_country: str = TRUE_COUNTRY
    flood_country: str = FLOOD_COUNTRY

    def groups(self) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for index, tip in enumerate(self.tips):
            found.setdefault(tip.group, []).append(index)
        return found


def _pseudo(rng: random.Random, language: str, syllables: int = 3) -> str:
    if language == "zh":
        return "".join(rng.choice(CJK) for _ in range(syllables))
    return "".join(rng.choice(SYLLABLES) for _ in range(syllables)).capitalize()


def _country_name(code: str, language: str) -> str:
    return Locale.parse(language).territories[code]


def _base(rng: random.Random, language: str, country: str) -> str:
    slots = {
        "brand": _pseudo(rng, language),
        "thing": rng.choice(THINGS[language]),
        "country": _country_name(country, language),
        "shop": _pseudo(rng, language, 2) + ("" if language == "zh" else " Markt"),
        "city": _pseudo(rng, language, 2),
        "detail": " ".join(_pseudo(rng, language, 2) for _ in range(3)),
        "year": str(rng.randint(1985, 2024)),
    }
    sentences = rng.sample(TEMPLATES[language], 2)
    if not any("{country}" in sentence for sentence in sentences):
        sentences[0] = TEMPLATES[language][0]
    # What makes a tipster's text their own: a sentence no other tipster writes.
    joiner = "" if language == "zh" else " "
    own = joiner.join(_pseudo(rng, language, rng.randint(2, 3)).lower() for _ in range(7))
    mark = "。" if language == "zh" else "."
    return " ".join(sentence.format(**slots) for sentence in sentences) + f" {own}{mark}"


def _typo(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    long_words = [i for i, w in enumerate(words) if len(w) > 4]
    if not long_words:
        return text
    i = rng.choice(long_words)
    j = rng.randrange(1, len(words[i]) - 2)
    word = words[i]
    words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    return " ".join(words)


def _reorder(rng: random.Random, text: str, language: str) -> str:
    mark = "。" if language == "zh" else ". "
    parts = [p for p in text.split(mark) if p]
    rng.shuffle(parts)
    return mark.join(parts)


def _change_word(rng: random.Random, text: str, language: str) -> str:
    words = text.split(" ")
    words[rng.randrange(len(words))] = _pseudo(rng, language, 2).lower()
    return " ".join(words)


def variant(rng: random.Random, text: str, language: str) -> str:
    """A near-duplicate: one or two of the edits a retyping or copying tipster makes."""
    edits = rng.sample(["typo", "reorder", "lower", "greeting", "word"], rng.randint(1, 2))
    for edit in edits:
        if edit == "typo":
            text = _typo(rng, text)
        elif edit == "reorder":
            text = _reorder(rng, text, language)
        elif edit == "lower":
            text = text.lower()
        elif edit == "greeting":
            text = f"{GREETINGS[language]} {text}"
        else:
            text = _change_word(rng, text, language)
    return text


def make_corpus(*, seed: int = 9, tips: int = 300, flood_share: float = 0.4) -> Corpus:
    """About `tips` tips: a flood of `flood_share` of them, the rest in groups of 1 to 12
    (a third of the groups naming another country than the true one)."""
    rng = random.Random(seed)
    corpus = Corpus()
    languages = list(TEMPLATES)
    flood_size = int(tips * flood_share)
    label = 0
    while len(corpus.tips) < tips - flood_size:
        label += 1
        language = rng.choice(languages)
        country = TRUE_COUNTRY if rng.random() < 0.65 else rng.choice(OTHER_COUNTRIES)
        base = _base(rng, language, country)
        first = START + timedelta(minutes=rng.randrange(14 * 24 * 60))
        size = min(rng.choice([1, 1, 2, 3, 4, 6, 8, 12]), tips - flood_size - len(corpus.tips))
        for n in range(size):
            corpus.tips.append(
                CorpusTip(
                    body=base if n == 0 else variant(rng, base, language),
                    country=country if rng.random() < 0.5 else "",
                    links=[],
                    language=language,
                    received_at=first + timedelta(hours=rng.randrange(0, 72) * n),
                    group=f"g{label}",
                    ref=f"c{len(corpus.tips)}",
                )
            )
    flood_base = _base(rng, "de", FLOOD_COUNTRY) + f" Jetzt kaufen: https://www.{FLOOD_DOMAIN}/x"
    flood_start = START + timedelta(days=3)
    for n in range(flood_size):
        corpus.tips.append(
            CorpusTip(
                body=flood_base if n == 0 else variant(rng, flood_base, "de"),
                country=FLOOD_COUNTRY,
                links=[f"https://{FLOOD_DOMAIN}/offer"],
                language="de",
                received_at=flood_start + timedelta(seconds=rng.randrange(3600)),
                group="flood",
                ref=f"c{len(corpus.tips)}",
            )
        )
    corpus.tips.sort(key=lambda tip: tip.received_at)
    return corpus


def bcubed(truth: list[str], predicted: list) -> tuple[float, float]:
    """B-cubed precision and recall of a clustering `predicted` against `truth` (labels per
    item, same order): the average, over items, of the share of the item's predicted
    cluster that truly belongs with it, and of its true cluster that it was put with."""
    by_truth: dict = {}
    by_predicted: dict = {}
    pairs: dict = {}
    for t, p in zip(truth, predicted, strict=True):
        by_truth[t] = by_truth.get(t, 0) + 1
        by_predicted[p] = by_predicted.get(p, 0) + 1
        pairs[(t, p)] = pairs.get((t, p), 0) + 1
    n = len(truth)
    precision = sum(c * c / by_predicted[p] for (t, p), c in pairs.items()) / n
    recall = sum(c * c / by_truth[t] for (t, p), c in pairs.items()) / n
    return precision, recall


def corpus_object(code: str = "TAO-2026-0900"):
    """A draft object to hang the corpus on, without running the image intake."""
    from django.contrib.auth.models import User

    from objects.models import Case, Category, TracedObject

    user, _ = User.objects.get_or_create(username="corpus-investigator", is_staff=True)
    case, _ = Case.objects.get_or_create(reference="CORPUS-1")
    case.owners.add(user)
    return TracedObject.objects.create(
        code=code, case=case, title="Shampoo bottle", category=Category.OTHER, uploaded_by=user
    )


def corpus_import(corpus: Corpus, traced_object) -> list:
    """Import every tip of the corpus as `import_tips` does; return the Tip rows in order."""
    from tips.services import TipContent, tip_import

    return [
        tip_import(
            traced_object=traced_object,
            content=TipContent(body=tip.body, country=tip.country, links=tip.links),
            language=tip.language,
            received_at=tip.received_at,
            source="corpus",
            ref=tip.ref,
        )
        for tip in corpus.tips
    ]


def corpus_jsonl(corpus: Corpus, code: str) -> str:
    """The corpus as `import_tips` reads it."""
    return "\n".join(
        json.dumps(
            {
                "object": code,
                "body": tip.body,
                "country": tip.country,
                "links": tip.links,
                "language": tip.language,
                "received_at": tip.received_at.isoformat(),
                "source": "corpus",
                "ref": tip.ref,
            },
            ensure_ascii=False,
        )
        for tip in corpus.tips
    )
