"""The layout, the 404 and 500 pages, and the pages linked from the footer."""

import pytest
from django.test import RequestFactory
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db


def test_the_home_page_is_in_the_site_layout(client):
    html = client.get("/en/").content.decode()
    assert "<title>Trace an Object</title>" in html
    assert 'href="/en/about/"' in html and 'href="/en/privacy/"' in html
    assert "/static/bootstrap/css/bootstrap.min.css" in html
    assert "/static/css/portal.css" in html


@pytest.mark.parametrize(
    "url, heading", [("/en/about/", "About this site"), ("/en/privacy/", "Privacy")]
)
def test_footer_pages_answer_in_the_layout(client, url, heading):
    response = client.get(url)
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in response.content.decode()


def test_an_unknown_address_is_a_404_in_the_site_layout(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Page not found</h1>" in html and 'href="/en/privacy/"' in html


def test_the_500_page_is_in_the_site_layout():
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html and "/static/css/portal.css" in html


def test_bootstrap_is_served_from_our_own_static_files(client, settings):
    from django.contrib.staticfiles import finders

    assert finders.find("bootstrap/css/bootstrap.min.css")
    assert finders.find("bootstrap/js/bootstrap.bundle.min.js")
