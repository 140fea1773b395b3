"""The case owner's inbox of forwarded tips, and the analyst's view of the outcome.

Personas (tests/conftest.py): ana the analyst; ines and sam own the case; olga owns none.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from moderation.forwarding import forward_acknowledge, forward_record_outcome, tip_forward
from moderation.models import ForwardOutcome, NotifyMode, StaffPreference
from tests.conftest import staff_login
from tests.factories import received

pytestmark = pytest.mark.django_db


CHANGELIST = reverse("admin:moderation_forward_changelist")
SCRIPT = "<script>alert(1)</script>"


def change_url(forward) -> str:
    return reverse("admin:moderation_forward_change", args=[forward.pk])


@pytest.fixture
def to_ines(public_object, analyst, investigator):
    tip = received(public_object, body=f"Sold at Lidl {SCRIPT}", links=["javascript:alert(2)"])
    [forward] = tip_forward(
        tips=[tip], recipients=[investigator], by=analyst, summary="Lidl, Poland: check it."
    )
    return forward


@pytest.fixture
def to_sam(public_object, analyst, second_investigator):
    tip = received(public_object, body="A Rossmann own brand.")
    [forward] = tip_forward(
        tips=[tip], recipients=[second_investigator], by=analyst, summary="Rossmann lead."
    )
    return forward


def test_the_inbox_shows_a_case_owner_only_what_was_forwarded_to_them(
    client, to_ines, to_sam, investigator
):
    staff_login(client, investigator)

    response = client.get(CHANGELIST)

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [to_ines]
    page = response.content.decode()
    assert change_url(to_ines) in page
    assert change_url(to_sam) not in page


def test_another_investigator_gets_404_on_a_forward_not_addressed_to_them(
    client, to_ines, second_investigator, outsider_investigator
):
    for someone_else in (second_investigator, outsider_investigator):
        staff_login(client, someone_else)
        assert client.get(change_url(to_ines)).status_code == 404
        acknowledge = reverse("admin:moderation_forward_acknowledge", args=[to_ines.pk])
        assert client.post(acknowledge).status_code == 404
    to_ines.refresh_from_db()
    assert to_ines.acknowledged_at is None


def test_the_analyst_sees_every_forward_in_the_list(client, to_ines, to_sam, analyst):
    staff_login(client, analyst)

    response = client.get(CHANGELIST)

    assert set(response.context["cl"].result_list) == {to_ines, to_sam}


def test_the_list_runs_a_fixed_number_of_queries(
    client, public_object, analyst, investigator, django_assert_max_num_queries
):
    tips = [received(public_object, body=f"Tip number {n}") for n in range(12)]
    tip_forward(tips=tips, recipients=[investigator], by=analyst, summary="A dozen.")
    staff_login(client, analyst)

    with django_assert_max_num_queries(15):
        response = client.get(CHANGELIST)

    assert len(response.context["cl"].result_list) == 12


def test_the_forward_page_shows_the_tip_escaped_with_links_as_plain_text(
    client, to_ines, investigator
):
    staff_login(client, investigator)

    response = client.get(change_url(to_ines))

    assert response.status_code == 200
    page = response.content.decode()
    assert SCRIPT not in page
    assert "Sold at Lidl &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "javascript:alert(2)" in page
    assert 'href="javascript:' not in page
    assert "Lidl, Poland: check it." in page
    viewed = AuditEntry.objects.get(action="tip.viewed")
    assert (viewed.username, viewed.target_id) == ("ines", str(to_ines.tip_id))


def test_the_recipient_acknowledges_with_a_post(client, to_ines, investigator):
    staff_login(client, investigator)
    acknowledge = reverse("admin:moderation_forward_acknowledge", args=[to_ines.pk])

    assert 'action="' + acknowledge in client.get(change_url(to_ines)).content.decode()
    assert client.get(acknowledge).status_code == 405
    response = client.post(acknowledge)

    assert response.status_code == 302
    to_ines.refresh_from_db()
    assert to_ines.acknowledged_at is not None


def test_the_analyst_cannot_acknowledge_for_the_recipient(client, to_ines, analyst):
    staff_login(client, analyst)

    response = client.post(reverse("admin:moderation_forward_acknowledge", args=[to_ines.pk]))

    assert response.status_code == 403
    to_ines.refresh_from_db()
    assert to_ines.acknowledged_at is None


def test_the_recipient_records_the_outcome_and_the_analyst_sees_it(
    client, to_ines, investigator, analyst
):
    staff_login(client, investigator)
    outcome = reverse("admin:moderation_forward_outcome", args=[to_ines.pk])

    response = client.post(outcome, {"outcome": "useful", "note": "Narrowed it to Poland."})

    assert response.status_code == 302
    to_ines.refresh_from_db()
    assert to_ines.outcome == ForwardOutcome.USEFUL
    staff_login(client, analyst)
    assert "Narrowed it to Poland." in client.get(change_url(to_ines)).content.decode()
    listed = client.get(CHANGELIST + "?outcome=useful")
    assert list(listed.context["cl"].result_list) == [to_ines]
    assert "Useful" in listed.content.decode()


def test_the_analyst_cannot_record_an_outcome(client, to_ines, analyst):
    staff_login(client, analyst)

    response = client.post(
        reverse("admin:moderation_forward_outcome", args=[to_ines.pk]), {"outcome": "useful"}
    )

    assert response.status_code == 403
    to_ines.refresh_from_db()
    assert to_ines.outcome == ""


def test_the_acknowledged_filter_splits_the_list(
    client, to_ines, to_sam, analyst, second_investigator
):
    forward_acknowledge(forward=to_sam, by=second_investigator)
    staff_login(client, analyst)

    done = client.get(CHANGELIST + "?acknowledged=yes").context["cl"].result_list
    waiting = client.get(CHANGELIST + "?acknowledged=no").context["cl"].result_list

    assert (list(done), list(waiting)) == ([to_sam], [to_ines])


def test_an_identification_offers_the_owner_to_mark_the_object_identified(
    client, to_ines, investigator, analyst, public_object
):
    identify = reverse("admin:objects_tracedobject_identify", args=[public_object.pk])
    staff_login(client, investigator)
    assert identify not in client.get(change_url(to_ines)).content.decode()

    forward_record_outcome(
        forward=to_ines,
        by=investigator,
        outcome=ForwardOutcome.IDENTIFICATION,
        note="Found the shop.",
    )

    assert identify in client.get(change_url(to_ines)).content.decode()
    staff_login(client, analyst)  # may not identify: no link for them
    assert identify not in client.get(change_url(to_ines)).content.decode()


def test_a_user_sets_their_own_notification_preference(client, investigator):
    staff_login(client, investigator)
    preference = reverse("admin:moderation_forward_preference")

    assert client.get(preference).status_code == 200
    response = client.post(preference, {"notify": "digest"})

    assert response.status_code == 302
    assert StaffPreference.objects.get(user=investigator).notify == NotifyMode.DIGEST
