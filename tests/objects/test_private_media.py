"""Only published and identified objects' images are in the public media folder; staff see
every image through the back office (objects/media.py; security review, issue 12, finding 4)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from objects.models import ObjectState, TracedObject
from objects.services import (
    ApprovalChecklist,
    object_approve,
    object_mark_identified,
    object_retire,
)
from tests.conftest import staff_login
from tests.factories import published_object, submitted_object

pytestmark = pytest.mark.django_db

CONFIRMED = ApprovalChecklist(
    no_person_visible=True, no_identifying_text=True, nothing_alerts_offender=True
)


def public_files(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def private_files(settings) -> list[str]:
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def names(obj: TracedObject) -> list[str]:
    return sorted([obj.display.name, obj.thumbnail.name])


def image_url(obj: TracedObject, kind: str = "display") -> str:
    return reverse("admin:objects_tracedobject_image", args=[obj.pk, kind])


def test_after_intake_nothing_is_in_the_public_folder(case, investigator, settings):
    obj = submitted_object(case, investigator)

    assert obj.state == ObjectState.AWAITING_APPROVAL
    assert public_files(settings) == []
    assert private_files(settings) == names(obj)


def test_publishing_copies_the_images_to_the_public_folder(
    case, investigator, second_investigator, settings
):
    obj = submitted_object(case, investigator)

    object_approve(obj=obj, by=second_investigator, checklist=CONFIRMED)

    assert public_files(settings) == names(obj)
    public = Path(settings.MEDIA_ROOT) / obj.display.name
    private = Path(settings.PRIVATE_MEDIA_ROOT) / obj.display.name
    assert public.read_bytes() == private.read_bytes()


def test_an_identified_object_stays_public_and_a_retired_one_does_not(
    case, investigator, second_investigator, settings
):
    obj = published_object(case, investigator, second_investigator)
    object_mark_identified(
        obj=obj, by=investigator, outcome="country_narrowed", public_line="Sold in Poland."
    )
    assert public_files(settings) == names(obj)

    object_retire(obj=obj, by=investigator)

    assert public_files(settings) == []
    assert private_files(settings) == names(obj)  # staff still see it


def test_retiring_an_object_never_published_leaves_the_public_folder_empty(
    case, investigator, settings
):
    obj = submitted_object(case, investigator)
    object_retire(obj=obj, by=investigator)
    assert public_files(settings) == [] and private_files(settings) == names(obj)


def test_a_case_owner_sees_an_unpublished_image_through_the_back_office(
    client, case, investigator, settings
):
    obj = submitted_object(case, investigator)
    staff_login(client, investigator)

    response = client.get(image_url(obj))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    assert body == (Path(settings.PRIVATE_MEDIA_ROOT) / obj.display.name).read_bytes()
    assert client.get(image_url(obj, "thumbnail")).status_code == 200
    assert client.get(image_url(obj, "original")).status_code == 404


@pytest.mark.parametrize("persona", ["outsider_investigator", "analyst", "administrator"])
def test_staff_outside_the_case_get_404_for_an_unpublished_image(
    client, case, investigator, persona, request
):
    obj = submitted_object(case, investigator)
    staff_login(client, request.getfixturevalue(persona))

    assert client.get(image_url(obj)).status_code == 404


def test_a_visitor_asking_for_an_image_is_sent_to_the_login_page(client, case, investigator):
    obj = submitted_object(case, investigator)

    response = client.get(image_url(obj))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_behind_nginx_the_view_hands_the_file_to_nginx(client, case, investigator, settings):
    settings.PRIVATE_MEDIA_ACCEL_REDIRECT = True
    obj = submitted_object(case, investigator)
    staff_login(client, investigator)

    response = client.get(image_url(obj))

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/private-media/{obj.display.name}"
    assert response.content == b""


def test_the_back_office_shows_images_through_the_view_only(client, case, investigator):
    obj = submitted_object(case, investigator)
    staff_login(client, investigator)

    page = client.get(reverse("admin:objects_tracedobject_change", args=[obj.pk])).content
    listing = client.get(reverse("admin:objects_tracedobject_changelist")).content

    assert image_url(obj, "display") in page.decode()
    assert image_url(obj, "thumbnail") in listing.decode()
    for html in (page.decode(), listing.decode()):
        assert obj.display.url not in html and obj.thumbnail.url not in html


def test_sync_object_media_moves_old_files_of_unpublished_objects_out_of_the_public_folder(
    case, investigator, second_investigator, settings
):
    waiting = submitted_object(case, investigator, seed=1)
    public = published_object(case, investigator, second_investigator, seed=2)
    retired = published_object(case, investigator, second_investigator, seed=3)
    TracedObject.objects.filter(pk=retired.pk).update(state=ObjectState.RETIRED)
    # The layout before this fix: every file in MEDIA_ROOT only.
    shutil.rmtree(settings.MEDIA_ROOT)
    shutil.copytree(settings.PRIVATE_MEDIA_ROOT, settings.MEDIA_ROOT)
    shutil.rmtree(settings.PRIVATE_MEDIA_ROOT)

    call_command("sync_object_media", stdout=None)
    call_command("sync_object_media", stdout=None)  # idempotent

    assert public_files(settings) == names(public)
    assert private_files(settings) == sorted(names(waiting) + names(public) + names(retired))
