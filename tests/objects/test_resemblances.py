"""A crop that looks like one of another case shows only what the viewer may see, and the
other case's owners are told by mail, with a link to their own object only
(security review, issue 12, finding 5)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from objects.intake import resemblance_notify
from objects.models import Resemblance
from objects.services import case_ensure
from outbox.models import OutboxMessage
from tests.conftest import staff_login
from tests.factories import bare_object, bare_published_object, submitted_object

pytestmark = pytest.mark.django_db

OLGAS_CASE = "RT-CASE-B"


def change_url(obj) -> str:
    return reverse("admin:objects_tracedobject_change", args=[obj.pk])


@pytest.fixture
def olgas_case(outsider_investigator):
    return case_ensure(reference=OLGAS_CASE, owner=outsider_investigator)


def test_ines_sees_olgas_unpublished_object_only_as_a_similar_object_in_another_case(
    client, case, investigator, olgas_case, outsider_investigator
):
    olgas = submitted_object(olgas_case, outsider_investigator, seed=5, title="Olga's crop")
    ines = submitted_object(case, investigator, seed=5)
    assert Resemblance.objects.filter(new=ines, existing=olgas).exists()
    staff_login(client, investigator)

    page = client.get(change_url(ines)).content.decode()

    assert "a similar object exists in another case" in page
    assert olgas.code not in page and OLGAS_CASE not in page and "Olga&#x27;s crop" not in page


def test_an_analyst_sees_no_case_reference_anywhere(
    client, case, investigator, second_investigator, olgas_case, outsider_investigator, analyst
):
    ines = bare_published_object(case, investigator, second_investigator)
    olgas = bare_published_object(olgas_case, outsider_investigator, investigator)
    Resemblance.objects.create(new=olgas, existing=ines, distance=3)
    staff_login(client, analyst)

    page = client.get(change_url(olgas)).content.decode()
    listing = client.get(reverse("admin:objects_tracedobject_changelist")).content.decode()

    assert f"{ines.code}</a>, in another case (distance 3)" in page
    for html in (page, listing):
        assert case.reference not in html and OLGAS_CASE not in html
    assert "another case" in listing


def test_a_case_owner_still_sees_her_own_case_reference(
    client, case, investigator, second_investigator
):
    ines = bare_published_object(case, investigator, second_investigator)
    staff_login(client, investigator)
    assert case.reference in client.get(change_url(ines)).content.decode()
    listing = client.get(reverse("admin:objects_tracedobject_changelist")).content.decode()
    assert case.reference in listing


def test_the_other_cases_owner_is_mailed_once_with_a_link_only(
    case, investigator, olgas_case, outsider_investigator, settings
):
    settings.SITE_URL = "https://tips.example.org"
    olgas = submitted_object(olgas_case, outsider_investigator, seed=6)
    ines = submitted_object(case, investigator, seed=6, title="Ines's wallpaper")

    queued = OutboxMessage.objects.filter(task="objects.tasks.notify_resemblance")
    assert list(queued.values_list("kwargs", flat=True)) == [
        {"new_id": ines.pk, "existing_id": olgas.pk}
    ]
    assert resemblance_notify(new_id=ines.pk, existing_id=olgas.pk) == 1
    assert resemblance_notify(new_id=ines.pk, existing_id=olgas.pk) == 0  # a second run

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["olga@police.example"]
    assert f"https://tips.example.org{change_url(olgas)}" in sent.body
    text = sent.subject + sent.body
    for secret in (ines.code, case.reference, "Ines's wallpaper", change_url(ines)):
        assert secret not in text


def test_a_resemblance_within_one_case_mails_nobody(case, investigator):
    submitted_object(case, investigator, seed=7)
    submitted_object(case, investigator, seed=7)

    assert not OutboxMessage.objects.filter(task="objects.tasks.notify_resemblance").exists()


def test_an_owner_of_both_cases_is_not_mailed(
    case, investigator, olgas_case, outsider_investigator
):
    olgas_case.owners.add(investigator)
    olgas = bare_object(olgas_case, outsider_investigator)
    ines = bare_object(case, outsider_investigator)
    Resemblance.objects.create(new=ines, existing=olgas, distance=1)

    # olga uploaded the new crop herself and ines owns both cases: nobody to tell.
    assert resemblance_notify(new_id=ines.pk, existing_id=olgas.pk) == 0
    assert mail.outbox == []


def test_the_retire_confirmation_shows_another_cases_reference_to_no_one_else(
    client, case, investigator, second_investigator, outsider_investigator
):
    ines = bare_published_object(case, investigator, second_investigator)
    staff_login(client, outsider_investigator)  # olga may retire, so she is offered the page

    page = client.post(
        reverse("admin:objects_tracedobject_changelist"),
        {"action": "retire_objects", "_selected_action": [ines.pk]},
    ).content.decode()

    assert ines.code in page and "another case" in page
    assert case.reference not in page
