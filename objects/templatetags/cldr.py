"""Dates, months and numbers written as CLDR (babel) writes them in the page's language.

Django's own formats know only some of our 28 languages (none for Maltese) and write
"1 décembre" where French wants "1er décembre"; babel has every CLDR locale."""

from __future__ import annotations

from datetime import date, datetime

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date, format_skeleton, get_month_names
from babel.numbers import format_decimal
from django import template
from django.utils import timezone
from django.utils.translation import get_language, to_locale

register = template.Library()


def page_locale() -> Locale:
    try:
        return Locale.parse(to_locale(get_language() or "en"))
    except (UnknownLocaleError, ValueError):
        return Locale("en")


def _as_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


@register.filter
def cldr_date(value: date | datetime | None, width: str = "long") -> str:
    """{{ tip.received_at|cldr_date }}: "1er décembre 2026", "1. Dezember 2026"."""
    if not value:
        return ""
    day, locale = _as_date(value), page_locale()
    pattern = locale.date_formats[width].pattern
    if locale.language == "fr" and day.day == 1:
        # French writes the first of the month as an ordinal, which CLDR leaves out.
        pattern = pattern.replace("d", "'1er'", 1)
    return format_date(day, format=pattern, locale=locale)


@register.filter
def cldr_month(value: date | datetime | None) -> str:
    """{{ month|cldr_month }}: the month's short stand-alone name ("févr.", "juin", "juil.")."""
    if not value:
        return ""
    return get_month_names("abbreviated", "stand-alone", locale=page_locale())[value.month]


# Where CLDR's own month-year pattern reads wrong to a native reader: Latvian's yMMMM
# ("y. 'gada'. MMMM") puts a full stop after "gada" ("2026. gada. maijs").
MONTH_YEAR_PATTERNS = {"lv": "y. 'gada' LLLL"}


@register.filter
def cldr_month_year(value: date | datetime | None) -> str:
    """{{ month|cldr_month_year }}: "février 2026", "styczeń 2026", "2026. gada maijs"."""
    if not value:
        return ""
    locale = page_locale()
    if pattern := MONTH_YEAR_PATTERNS.get(locale.language):
        return format_date(_as_date(value), pattern, locale=locale)
    return format_skeleton("yMMMM", _as_date(value), locale=locale)


@register.filter
def cldr_number(value: int | float | None) -> str:
    """{{ count|cldr_number }}: 12 345 in French, 12.345 in German (text only, never SVG)."""
    if value is None:
        return ""
    return format_decimal(value, locale=page_locale())


# CLDR's likeliest territory for these is outside Europe (pt_BR, en_US); our texts are not.
EUROPEAN_VARIANTS = {"pt": "pt_PT", "en": "en_GB"}


@register.filter
def og_locale(code: str) -> str:
    """Open Graph's language_TERRITORY: "fr" -> "fr_FR", "ga" -> "ga_IE", "ar" -> "ar_EG"."""
    if code in EUROPEAN_VARIANTS:
        return EUROPEAN_VARIANTS[code]
    try:
        full = Locale.parse(get_global("likely_subtags").get(to_locale(code), to_locale(code)))
    except (UnknownLocaleError, ValueError):
        return to_locale(code)
    return f"{full.language}_{full.territory}" if full.territory else full.language
