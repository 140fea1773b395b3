"""A partner removed here leaves the public pages at once, the cached ones too: removing it
makes every cached page stale once the removal commits (traceobject/pagecache.py), as a
change to one of our objects does (issue #21)."""

from __future__ import annotations

import pytest

from network.models import Partner
from network.services import partner_remove
from tests.conftest import staff_login
from tests.factories import bare_published_object

pytestmark = pytest.mark.django_db


@pytest.fixture
def theirs(case, investigator, second_investigator):
    """A partner's published object, shown in our gallery."""
    partner = Partner.objects.create(
        name="Politie Nederland",
        origin="https://nl.example.org",
        fingerprint="0" * 64,
        inbox_url="https://nl.example.org/network/inbox/",
    )
    return bare_published_object(
        case, investigator, second_investigator, owner=partner, owner_ref="NL-2026-0001"
    )


def visited(client, url: str) -> tuple[str, str]:
    """The page as a visitor gets it (no session), and whether the page cache served it."""
    response = client.get(url)
    assert response.status_code in (200, 404)
    return response.content.decode(), response.get("X-Page-Cache", "")


def test_a_removed_partners_object_leaves_the_cached_gallery_and_its_page(
    client, theirs, django_capture_on_commit_callbacks
):
    page = f"/en/objects/{theirs.code}/"
    for url in ("/en/", page):
        visited(client, url)  # rendered and stored
        html, cache = visited(client, url)
        assert cache == "hit" and theirs.code in html

    with django_capture_on_commit_callbacks(execute=True):
        assert partner_remove(partner=theirs.owner)

    gallery, cache = visited(client, "/en/")
    assert cache == "miss" and theirs.code not in gallery
    assert client.get(page).status_code == 404


def test_the_back_offices_remove_action_makes_the_cached_gallery_stale_too(
    client, administrator, theirs, django_capture_on_commit_callbacks
):
    visitor = client.__class__()
    visited(visitor, "/en/")
    assert theirs.code in visited(visitor, "/en/")[0]
    staff_login(client, administrator)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/backoffice/network/partner/",
            {"action": "remove", "_selected_action": [theirs.owner.pk]},
        )

    assert theirs.code not in visited(visitor, "/en/")[0]


def test_removing_a_partner_again_leaves_the_cache_alone(
    client, theirs, django_capture_on_commit_callbacks
):
    partner_remove(partner=theirs.owner)
    visited(client, "/en/")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert not partner_remove(partner=theirs.owner)
    assert callbacks == [] and visited(client, "/en/")[1] == "hit"
