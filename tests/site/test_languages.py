"""Every public page has one URL per language, announces the others, and poster URLs
(unprefixed) redirect by Accept-Language without a cookie."""

import re

import pytest
from django.conf import settings

from tests.tips.conftest import tip_data
from tips.models import Tip

pytestmark = pytest.mark.django_db

CODES = [code for code, _name in settings.LANGUAGES]


EU_OFFICIAL = [
    "bg",
    "cs",
    "da",
    "de",
    "el",
    "en",
    "es",
    "et",
    "fi",
    "fr",
    "ga",
    "hr",
    "hu",
    "it",
    "lt",
    "lv",
    "mt",
    "nl",
    "pl",
    "pt",
    "ro",
    "sk",
    "sl",
    "sv",
]


def test_the_site_offers_the_24_eu_languages_then_ukrainian_russian_turkish_and_arabic():
    assert [*EU_OFFICIAL, "uk", "ru", "tr", "ar"] == CODES
    assert settings.LANGUAGES_BIDI and "ar" in settings.LANGUAGES_BIDI


@pytest.mark.parametrize(
    "path", ["/", "/objects/{code}/", "/objects/{code}/tip/", "/receipt/", "/report/"]
)
def test_an_unprefixed_poster_url_redirects_to_the_browsers_language_without_a_cookie(
    client, public_object, path
):
    path = path.format(code=public_object.code)
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="de-CH,de;q=0.9,en;q=0.5")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/de{path}"
    assert "Accept-Language" in response.headers["Vary"]
    assert not response.cookies and "Set-Cookie" not in response.headers


def test_an_unknown_or_missing_accept_language_redirects_to_english(client):
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="ja").headers["Location"] == "/en/"
    assert client.get("/about/").headers["Location"] == "/en/about/"


def test_the_query_string_survives_the_redirect(client):
    response = client.get("/?category=toy", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.headers["Location"] == "/fr/?category=toy"


@pytest.mark.parametrize("code", CODES)
def test_each_language_has_its_own_page_with_a_matching_html_lang(client, public_object, code):
    response = client.get(f"/{code}/objects/{public_object.code}/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{code}"' in html
    assert response.headers["Content-Language"] == code
    # One page per language: a cache needs no Vary on Accept-Language.
    assert "Accept-Language" not in response.headers.get("Vary", "")


def test_a_page_announces_every_language_and_an_x_default(client, public_object):
    html = client.get(f"/pl/objects/{public_object.code}/").content.decode()
    alternates = dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html))
    expected = {code: f"http://testserver/{code}/objects/{public_object.code}/" for code in CODES}
    expected["x-default"] = f"http://testserver/objects/{public_object.code}/"
    assert alternates == expected


def test_the_language_switcher_keeps_the_visitor_on_the_same_page(client, public_object):
    html = client.get(f"/en/objects/{public_object.code}/tip/").content.decode()
    switcher = html[html.index('class="language-switcher"') :]
    assert f'href="/fr/objects/{public_object.code}/tip/" lang="fr" hreflang="fr">Français' in (
        switcher
    )
    assert f'href="/pt/objects/{public_object.code}/tip/"' in switcher


def test_the_back_office_and_health_check_stay_unprefixed_and_in_english(client):
    response = client.get("/backoffice/login/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    assert '<html lang="en"' in response.content.decode()
    assert client.get("/healthz/", HTTP_ACCEPT_LANGUAGE="fr").status_code in (200, 503)


def test_a_tip_stores_the_language_of_the_page_it_was_sent_from(client, public_object):
    client.post(
        f"/it/objects/{public_object.code}/tip/",
        tip_data(body="Lo vendono da Esselunga a Milano."),
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert Tip.objects.get().language == "it"
