"""What staff type is cleaned as a tipster's text is: a right-to-left override ("\u202e")
or another invisible character never reaches a published title, question or case."""

import pytest
from django.urls import reverse

from objects.models import Case, Category, TracedObject
from tests.conftest import staff_login
from tests.factories import bare_object, bare_published_object, synthetic_png
from tests.objects.test_admin import ADD, change_url, identify_url, upload_data

pytestmark = pytest.mark.django_db

OVERRIDE = "\u202e"


def test_an_upload_stores_its_text_without_direction_overrides(client, case, investigator):
    staff_login(client, investigator)

    response = client.post(
        ADD,
        upload_data(
            case,
            synthetic_png(),
            title=f"{OVERRIDE}abc",
            questions=f"Where is it sold?\n{OVERRIDE}Who makes it?\u2066",
            region_hint="Europe\u200f",
            alt_text="\u202aA striped wallpaper\u202c",
        ),
    )

    assert response.status_code == 302
    obj = TracedObject.objects.get()
    assert obj.title == "abc"
    assert obj.questions == "Where is it sold?\nWho makes it?"
    assert (obj.region_hint, obj.alt_text) == ("Europe", "A striped wallpaper")


def test_an_edit_stores_its_text_without_direction_overrides(client, case, investigator):
    obj = bare_object(case, investigator, title="Bottle")
    staff_login(client, investigator)

    response = client.post(
        change_url(obj),
        {
            "title": f"{OVERRIDE}abc",
            "category": Category.PACKAGING,
            "questions": f"Which brand{OVERRIDE} is this?",
            "region_hint": "",
            "alt_text": "A green \u2067plastic bottle\u2069",
        },
    )

    assert response.status_code == 302
    obj.refresh_from_db()
    assert (obj.title, obj.questions, obj.alt_text) == (
        "abc",
        "Which brand is this?",
        "A green plastic bottle",
    )


def test_a_new_case_stores_its_reference_and_title_without_direction_overrides(
    client, investigator
):
    staff_login(client, investigator)

    response = client.post(
        reverse("admin:objects_case_add"),
        {"reference": f"{OVERRIDE}CASE-9", "title": f"{OVERRIDE}abc", "owners": [investigator.pk]},
    )

    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.reference, case.title) == ("CASE-9", "abc")


def test_the_public_outcome_line_is_stored_without_direction_overrides(
    client, case, investigator, second_investigator
):
    obj = bare_published_object(case, investigator, second_investigator)
    staff_login(client, investigator)

    response = client.post(
        identify_url(obj), {"outcome": "country_narrowed", "public_line": f"{OVERRIDE}abc"}
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    obj.refresh_from_db()
    assert obj.outcome_public_line == "abc"
