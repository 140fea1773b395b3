"""What a tip claims: countries, registrable domains, brand or shop names (places, and
the whole claim set, come from tips/places.py). Pure functions: no database, no network."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from babel import Locale
from django.conf import settings
from django_countries import countries
from publicsuffixlist import PublicSuffixList

from tips.models import ClaimKind

if TYPE_CHECKING:
    pass

# The portal's languages are added to these: the languages tips arrive in most often.
COUNTRY_NAME_LOCALES = (  # noqa: SIM905 (one line per region reads better than a list)
    "en de fr es it pt nl pl cs sk sl hr sr bs hu ro bg el ru uk be lt lv et fi sv da nb is "
    "ga tr ar fa he hi bn ur id ms vi th zh zh_Hant ja ko tl sw"
).split()
# Names that are also ordinary words: claimed only when written with a capital letter.
CAPITALISED_ONLY = {"chad", "jersey", "turkey", "jordan", "man", "chile", "guinea", "mali"}
COUNTRY_ALIASES = {"usa": "US", "uk": "GB", "holland": "NL", "uae": "AE", "turkey": "TR"}
MIN_STEMMED_NAME = 6  # shorter names are too often the start of another word
MAX_NAME_WORDS = 4  # "bosnia and herzegovina", "république démocratique du congo"
# Scripts written without spaces between words: country names are found inside the text.
_UNSPACED = re.compile(r"[\u0e00-\u0eff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")

_WORD = re.compile(r"\w+(?:['’]\w+)*")
_HOST = re.compile(
    r"(?:https?://)?((?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63})(?![\w-])", re.IGNORECASE
)
# Name candidates: a capitalised or mixed-case word that does not start a sentence.
_STOPWORDS = (
    "the this that these there they their it its is are was and or but not from with for "
    "in on at by of to a an i my we you he she his her our your yes no hello hi thanks "
    "thank dear please also maybe sold seen shop shops store stores brand"
)
_NAME_STOPWORDS = frozenset(_STOPWORDS.split())
MIN_NAME_LENGTH = 3


def fold(text: str) -> str:
    """Case- and accent-insensitive form: "Łódź" and "lodz" differ, "Pologne" and "POLOGNE"
    do not, nor "Österreich" and "osterreich"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


@dataclass(frozen=True)
class CountryNames:
    spaced: dict[str, str]  # folded name, words joined by one space -> ISO code
    unspaced: dict[str, str]  # a name in a script written without spaces -> ISO code
    # Stems of one-word names (the name less its last two letters) for inflected forms:
    # "Polsce", "Польши", "Italian" -> PL, RU's "Польша", IT. None where two countries share one.
    stems: dict[str, tuple[str, int] | None]


@cache
def country_names() -> CountryNames:
    iso = set(dict(countries))
    spaced: dict[str, str] = {}
    unspaced: dict[str, str] = {}
    locales = {*COUNTRY_NAME_LOCALES, *(code.replace("-", "_") for code, _ in settings.LANGUAGES)}
    for locale in sorted(locales):
        try:
            territories = Locale.parse(locale).territories
        except (ValueError, LookupError):
            continue
        for code, name in territories.items():
            if code not in iso:
                continue
            if _UNSPACED.search(name):
                unspaced.setdefault(name, code)
            key = " ".join(fold(word) for word in _words(name))
            if key and len(key) >= 4:
                spaced.setdefault(key, code)
    spaced.update(COUNTRY_ALIASES)
    stems: dict[str, tuple[str, int] | None] = {}
    for name, code in spaced.items():
        if " " in name or len(name) < MIN_STEMMED_NAME:
            continue
        stem = name[:-2]
        known = stems.get(stem, (code, 0))
        if known is None or known[0] != code:
            stems[stem] = None  # shared by two countries: no guess
        else:
            stems[stem] = (code, len(name))
    return CountryNames(spaced=spaced, unspaced=unspaced, stems=stems)


def _country_of_word(folded: str) -> str | None:
    """A one-word country name, exact or inflected (same stem, at most 2 letters longer)."""
    names = country_names()
    if folded in names.spaced:
        return names.spaced[folded]
    if len(folded) < MIN_STEMMED_NAME - 1 or folded in _NAME_STOPWORDS:
        return None
    for cut in range(MIN_STEMMED_NAME - 2, len(folded)):
        entry = names.stems.get(folded[:cut])
        if entry and abs(len(folded) - entry[1]) <= 2:
            return entry[0]
    return None


def countries_in_text(text: str) -> set[str]:
    names = country_names()
    words = _words(text)
    folded = [fold(word) for word in words]
    found = set()
    for start in range(len(words)):
        for length in range(min(MAX_NAME_WORDS, len(words) - start), 1, -1):
            code = names.spaced.get(" ".join(folded[start : start + length]))
            if code is not None:
                found.add(code)
                break
        else:
            if folded[start] in CAPITALISED_ONLY and not words[start][:1].isupper():
                continue
            code = _country_of_word(folded[start])
            if code is not None:
                found.add(code)
    if _UNSPACED.search(text):
        found.update(code for name, code in names.unspaced.items() if name in text)
    return found


@cache
def _suffix_list() -> PublicSuffixList:
    # accept_unknown=False: "e.g" or "file.txt" has no registrable domain.
    return PublicSuffixList(accept_unknown=False)


def registrable_domain(host_or_url: str) -> str:
    """ "https://www.shop.example.co.uk/x" -> "example.co.uk"; "" when there is none."""
    value = host_or_url.strip()
    if "//" in value:
        try:
            value = urlsplit(value).hostname or ""
        except ValueError:
            return ""
    host = value.split("/")[0].split(":")[0].strip(".").lower()
    if not host or host.replace(".", "").isdigit():
        return ""
    return _suffix_list().privatesuffix(host) or ""


def domains_in(*, text: str, links: list[str]) -> set[str]:
    found = {registrable_domain(link) for link in links if isinstance(link, str)}
    found.update(registrable_domain(match.group(1)) for match in _HOST.finditer(text))
    found.discard("")
    return found


def names_in(text: str) -> set[str]:
    """Brand or shop candidates: capitalised words that do not start a sentence, all-caps
    words and mixed-case words, folded; stop words and country names left out. Only names
    that several groups mention reach the tally (TIP_NAME_MIN_GROUPS)."""
    found = set()
    for match in _WORD.finditer(text):
        word = match.group()
        if len(word) < MIN_NAME_LENGTH or word[0].isdigit() or not word[0].isupper():
            continue
        before = text[: match.start()].rstrip()
        mixed = any(ch.isupper() for ch in word[1:])
        if (not before or before[-1] in ".!?:;\n¡¿") and not mixed:
            continue  # the first word of a sentence is capitalised anyway
        key = fold(word)
        if key not in _NAME_STOPWORDS and _country_of_word(key) is None:
            found.add(key)
    return found


def claim_spans(text: str, claims: set[tuple[str, str]]) -> list[tuple[int, int, str]]:
    """Where `text` writes the tip's `claims` ((kind, value) as stored): (start, end, kind),
    in order and not overlapping, for the analyst's page to highlight. Found as tip_claims
    finds them: a web address by its registrable domain, a name or a one-word country name
    word by word (a country of several words, or the form's country field, is not marked)."""
    spans = []
    for match in _HOST.finditer(text):
        if (ClaimKind.DOMAIN.value, registrable_domain(match.group(1))) in claims:
            spans.append((match.start(1), match.end(1), ClaimKind.DOMAIN.value))
    for match in _WORD.finditer(text):
        key = fold(match.group())
        if (ClaimKind.NAME.value, key) in claims:
            spans.append((match.start(), match.end(), ClaimKind.NAME.value))
        elif (ClaimKind.COUNTRY.value, _country_of_word(key) or "") in claims:
            spans.append((match.start(), match.end(), ClaimKind.COUNTRY.value))
    kept: list[tuple[int, int, str]] = []
    for span in sorted(spans, key=lambda span: (span[0], -span[1])):  # the longest first
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept
