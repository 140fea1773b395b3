"""The admin's History link shows the audit log's entries about the object, not Django's
empty change log; only to those who may see the object."""

from __future__ import annotations

import pytest
from django.urls import reverse

from moderation.forwarding import forward_acknowledge, tip_forward
from tests.conftest import staff_login
from tests.factories import received
from tips import triage

pytestmark = pytest.mark.django_db


def test_a_tips_history_is_its_audit_trail(analyst_client, analyst, public_object):
    tip = received(public_object)
    triage.tip_assign(tip=tip, to=analyst, by=analyst)
    triage.tip_add_note(tip=tip, by=analyst, body="Looks genuine.")
    page = analyst_client.get(reverse("admin:tips_tip_change", args=[tip.pk])).content.decode()
    history_url = reverse("admin:tips_tip_history", args=[tip.pk])
    assert f'href="{history_url}"' in page

    html = analyst_client.get(history_url).content.decode()

    assert "doesn’t have a change history" not in html
    rows = html.split("<tbody>")[1].split("</tbody>")[0]
    actions = [line.strip() for line in rows.split("<td>") if line.strip().startswith("tip.")]
    assert [action.split("<")[0] for action in actions] == [
        "tip.viewed",
        "tip.note_added",
        "tip.assigned",
    ]
    assert "to: ana" in rows
    assert "Looks genuine." not in rows  # the log records that a note was added, not what


def test_a_forwards_history_is_shown_to_its_recipient_only(
    client, analyst, investigator, outsider_investigator, public_object
):
    (forward,) = tip_forward(
        tips=[received(public_object)], recipients=[investigator], by=analyst, summary="s"
    )
    forward_acknowledge(forward=forward, by=investigator)
    history_url = reverse("admin:moderation_forward_history", args=[forward.pk])

    staff_login(client, investigator)
    html = client.get(history_url).content.decode()
    assert "forward.acknowledged" in html and "ines" in html

    staff_login(client, outsider_investigator)
    response = client.get(history_url)
    assert response.status_code == 302  # Django's "does not exist" redirect to the index
    assert "forward.acknowledged" not in client.get(response.url).content.decode()


def test_an_object_without_entries_says_so(client, investigator, public_object):
    staff_login(client, investigator)

    html = client.get(
        reverse("admin:objects_tracedobject_history", args=[public_object.pk])
    ).content.decode()

    assert "The audit log has no entry about this object yet." in html
