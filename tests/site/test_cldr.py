"""Dates, months, numbers and Open Graph locales as CLDR writes them, in the page's language."""

from datetime import UTC, date, datetime

import pytest
from django.template import Context, Template
from django.utils import translation

from objects.templatetags.cldr import cldr_date, cldr_month, cldr_month_year, og_locale


@pytest.mark.parametrize(
    ("code", "first", "second"),
    [
        ("fr", "1er décembre 2026", "2 décembre 2026"),
        ("it", "1 dicembre 2026", "2 dicembre 2026"),
        ("de", "1. Dezember 2026", "2. Dezember 2026"),
        ("mt", "1 ta’ Diċembru 2026", "2 ta’ Diċembru 2026"),
        ("en", "December 1, 2026", "December 2, 2026"),
    ],
)
def test_a_date_reads_as_the_language_writes_it(code, first, second):
    with translation.override(code):
        assert cldr_date(date(2026, 12, 1)) == first
        assert cldr_date(datetime(2026, 12, 2, 10, tzinfo=UTC)) == second


def test_months_are_the_languages_own_short_and_stand_alone_names():
    with translation.override("fr"):
        assert [cldr_month(date(2026, m, 1)) for m in (2, 6, 7)] == ["févr.", "juin", "juil."]
        assert cldr_month_year(date(2026, 1, 1)) == "janvier 2026"
    with translation.override("it"):
        assert cldr_month_year(date(2026, 1, 1)) == "gennaio 2026"
    with translation.override("pl"):
        assert cldr_month_year(date(2026, 1, 1)) == "styczeń 2026"
    with translation.override("lv"):  # CLDR's pattern gives "2026. gada. maijs"
        assert cldr_month_year(date(2026, 5, 1)) == "2026. gada maijs"


def test_numbers_in_svg_are_never_localised_while_text_numbers_are():
    template = Template(
        "{% load l10n cldr %}{% localize off %}{{ x }}{% endlocalize %} {{ n|cldr_number }}"
    )
    with translation.override("fr"):
        assert template.render(Context({"x": 594.0, "n": 12345})) == "594.0 12\u202f345"


def test_og_locale_is_language_and_territory():
    assert [og_locale(c) for c in ("fr", "de", "ga", "mt", "ar", "pt", "en")] == [
        "fr_FR",
        "de_DE",
        "ga_IE",
        "mt_MT",
        "ar_EG",
        "pt_PT",
        "en_GB",
    ]
