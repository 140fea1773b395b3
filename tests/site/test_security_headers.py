"""The security baseline on a public page: headers, no cookie, no third-party origin."""

import re

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def public_page(client):
    return client.get("/en/", secure=True)


def test_a_public_page_sends_the_security_headers(public_page):
    headers = public_page.headers
    assert public_page.status_code == 200
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    permissions = headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in permissions


def test_the_content_security_policy_allows_only_our_own_origin(public_page):
    policy = public_page.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert re.search(r"https?://", policy) is None, policy
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy


def test_a_public_page_sets_no_cookie(public_page):
    assert "Set-Cookie" not in public_page.headers
    assert not public_page.cookies


def test_the_page_loads_nothing_from_another_origin(public_page):
    html = public_page.content.decode()
    # hreflang alternates must be absolute, but name pages a browser does not load.
    html = re.sub(r'<link rel="alternate" hreflang="[^"]+" href="[^"]+">', "", html)
    assert re.search(r"""(src|href)=["']?(https?:)?//""", html) is None
    assert "<script>" not in html  # no inline script: every script is a file of ours


def test_plain_http_is_redirected_to_https_when_debug_is_off(client):
    with override_settings(SECURE_SSL_REDIRECT=True):
        response = client.get("/en/about/")
    assert response.status_code == 301
    assert response.headers["Location"] == "https://testserver/en/about/"


def test_healthz_is_not_redirected_so_internal_checks_work_over_http(client):
    with override_settings(SECURE_SSL_REDIRECT=True):
        assert client.get("/healthz/").status_code == 200


def test_cookies_are_secure_when_debug_is_off(settings):
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE


@pytest.mark.parametrize("url", ["/en/report/", "/en/receipt/", "/backoffice/login/"])
def test_pages_with_a_form_send_a_same_origin_referrer_policy(client, url):
    # A POST from a no-referrer page carries "Origin: null", which CSRF must refuse;
    # same-origin still sends nothing to any other site.
    assert client.get(url).headers["Referrer-Policy"] == "same-origin"


def test_public_pages_without_a_form_send_no_referrer(client):
    for url in ("/en/", "/en/about/", "/en/privacy/"):
        assert client.get(url).headers["Referrer-Policy"] == "no-referrer"
