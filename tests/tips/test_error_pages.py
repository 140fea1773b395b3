"""When a tip cannot be stored (a rate limit, a crash), the visitor keeps their text and
sees the emergency numbers."""

import pytest

from tests.tips.conftest import tip_data

pytestmark = pytest.mark.django_db

WRITTEN = tip_data(
    body="The wallpaper is sold at Brico in Lyon.", where="Lyon", links="https://example.org/w"
)


def test_the_429_page_gives_back_every_text_field_and_the_emergency_numbers(client):
    for _ in range(5):
        client.post("/en/report/", tip_data(), REMOTE_ADDR="192.0.2.9")
    response = client.post("/en/report/", WRITTEN, REMOTE_ADDR="192.0.2.9")
    html = response.content.decode()
    assert response.status_code == 429
    assert "The wallpaper is sold at Brico in Lyon.\n\nLyon\n\nhttps://example.org/w" in html
    assert 'href="tel:112"' in html


def test_a_crash_on_a_public_form_gives_the_text_back_on_the_500_page(
    client, public_object, monkeypatch
):
    from tips import views

    def broken(**kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(views, "tip_receive", broken)
    client.raise_request_exception = False
    response = client.post(f"/fr/objects/{public_object.code}/tip/", WRITTEN)
    html = response.content.decode()
    assert response.status_code == 500
    assert '<html lang="fr"' in html
    assert "The wallpaper is sold at Brico in Lyon." in html
    assert 'href="tel:112"' in html
