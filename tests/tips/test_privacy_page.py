"""/privacy/ says what is stored and for how long, from the settings the retention job reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings

pytestmark = pytest.mark.django_db

TEMPLATE = Path(django_settings.BASE_DIR) / "templates" / "pages" / "privacy.html"


def page(client) -> str:
    response = client.get("/en/privacy/")
    assert response.status_code == 200
    return response.content.decode()


def text(html: str) -> str:
    """The page's words, without tags or runs of white space."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_page_keeps_its_heading(client):
    assert "<h1>Privacy</h1>" in page(client)


def test_the_schedule_is_the_one_the_retention_job_uses(client, settings):
    settings.TIP_CONTACT_RETENTION_DAYS = 11
    settings.TIP_REJECTED_RETENTION_DAYS = 22
    settings.TIP_RECEIPT_RETENTION_DAYS = 33

    words = text(page(client))

    assert "Contact details are deleted 11 days after the tip is closed." in words
    assert "deleted, with everything added to them, 22 days after they are rejected." in words
    assert "The receipt of a closed tip stops working 33 days after the tip is closed." in words


def test_a_period_of_one_day_is_singular(client, settings):
    settings.TIP_CONTACT_RETENTION_DAYS = 1
    settings.TIP_REJECTED_RETENTION_DAYS = 1
    settings.TIP_RECEIPT_RETENTION_DAYS = 1

    words = text(page(client))

    assert "deleted 1 day after the tip is closed." in words
    assert "1 day after they are rejected." in words
    assert "stops working 1 day after the tip is closed." in words
    assert "1 days" not in words


def test_a_period_of_zero_days_reads_as_at_once(client, settings):
    settings.TIP_CONTACT_RETENTION_DAYS = 0

    words = text(page(client))

    assert "Contact details are deleted as soon as the tip is closed." in words
    assert not re.search(r"\b0 days", words)


def test_the_page_says_what_a_tip_stores_and_what_is_never_stored(client):
    words = text(page(client))

    for stored in [
        "What you recognise",
        "the country, where it is sold or seen, and links",
        "The language of the page you used.",
        "to the minute only",
        "Its status in our review",
        "Contact details only if you give them and agree that we keep them. They are stored encrypted",
        "only a one-way hash of it",
    ]:
        assert stored in words
    assert "Your IP address, your browser's user agent, or any identifier" in words.replace(
        "&#x27;", "'"
    )
    assert "not in the server logs" in words
    assert "become part of their case file" in words


def test_the_page_explains_the_one_cookie_the_forms_set(client, settings):
    words = text(page(client))

    assert "The gallery, the object pages and the other public pages set no cookie." in words
    assert (
        f"The tip, report and receipt forms set one cookie, {settings.CSRF_COOKIE_NAME} ." in words
    )
    assert "identifies no one" in words
    assert f"session cookie, {settings.SESSION_COOKIE_NAME} ." in words


def test_the_page_sets_no_cookie(client):
    response = client.get("/en/privacy/")

    assert response.status_code == 200
    assert not response.cookies
    assert "Set-Cookie" not in response.headers


def test_every_sentence_on_the_page_goes_through_translation():
    source = TEMPLATE.read_text()
    assert "{% load i18n %}" in source
    # Remove what is translated, template logic and markup: no words may be left.
    leftover = re.sub(r"{% blocktranslate.*?{% endblocktranslate %}", "", source, flags=re.S)
    leftover = re.sub(r"{% comment %}.*?{% endcomment %}", "", leftover, flags=re.S)
    leftover = re.sub(r"{%.*?%}|{{.*?}}|<[^>]+>", "", leftover, flags=re.S)
    assert re.findall(r"[A-Za-z]{2,}", leftover) == []


def test_every_number_of_days_is_a_translated_plural():
    source = TEMPLATE.read_text()
    outside = re.sub(r"{% blocktranslate count.*?{% endblocktranslate %}", "", source, flags=re.S)
    outside = re.sub(r"{% comment %}.*?{% endcomment %}|{%.*?%}", "", outside, flags=re.S)
    assert not re.search(r"\bdays?\b", outside)
    assert source.count("{% blocktranslate count days=") == 3
    assert not re.search(r"\b\d+ days?\b", source)  # no typed-in period
