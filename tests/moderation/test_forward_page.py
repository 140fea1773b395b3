"""The investigator's forward page: the object's image beside the tip, and everything the
tipster wrote in full."""

from __future__ import annotations

import pytest
from django.urls import reverse

from moderation.forwarding import tip_forward
from tests.conftest import staff_login
from tests.factories import received

pytestmark = pytest.mark.django_db
LONG_TIP = (
    " ".join(f"word{number}" for number in range(400)) + " https://shop.example/very/long/path"
)


def test_the_forward_page_shows_the_objects_image_and_the_whole_tip(
    client, analyst, investigator, public_object
):
    public_object.display = "objects/x.jpg"
    public_object.display_width, public_object.display_height = 960, 640
    public_object.save(update_fields=["display", "display_width", "display_height"])
    (forward,) = tip_forward(
        tips=[received(public_object, body=LONG_TIP)],
        recipients=[investigator],
        by=analyst,
        summary="Strong lead.",
    )
    staff_login(client, investigator)

    html = client.get(
        reverse("admin:moderation_forward_change", args=[forward.pk])
    ).content.decode()

    image = reverse("admin:objects_tracedobject_image", args=[public_object.pk, "display"])
    figure = html.split('id="forward-object"')[1].split("</div>\n  </div>")[0]
    assert f'<img src="{image}" alt="{public_object.alt_text}" width="320" height="213">' in figure
    assert public_object.code in figure
    assert LONG_TIP in html  # not truncated


def test_a_forwarded_report_has_no_object_to_show(client, analyst, investigator):
    (forward,) = tip_forward(
        tips=[received(None, body="Something else entirely.")],
        recipients=[investigator],
        by=analyst,
        summary="A report.",
    )
    staff_login(client, investigator)

    html = client.get(
        reverse("admin:moderation_forward_change", args=[forward.pk])
    ).content.decode()

    assert 'id="forward-object"' not in html
    assert "Something else entirely." in html
