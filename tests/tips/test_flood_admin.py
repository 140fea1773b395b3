"""The queue and floods: held tips stay out of the list unless asked; one action releases
or rejects a whole flood, through triage, audited; the tip page shows its group and claims."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from audit.models import AuditEntry
from tests.conftest import staff_login
from tips import grouping
from tips.models import FloodState, Tip, TipGroup, TipStatus
from tips.services import TipContent, minute_now, tip_receive

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:tips_tip_changelist")
BASE = "I recognise this bottle: it is Kovaro shampoo, sold at Mileta Markt in Gdansk, Poland."


@pytest.fixture
def staff(client, db):
    # A superuser, as the other tips back-office tests use until analysts get their persona.
    staff_login(client, User.objects.create_superuser("flo", password="flo-password-123"))
    return client


@pytest.fixture
def flood(public_object, settings) -> TipGroup:
    settings.TIP_FLOOD_MIN_TIPS = 3
    for n in range(4):
        tip = tip_receive(
            content=TipContent(body=f"{BASE} {n}"), language="en", traced_object=public_object
        ).tip
        Tip.objects.filter(pk=tip.pk).update(received_at=minute_now())
        grouping.tip_analyse(tip_id=tip.pk)
    group = TipGroup.objects.get()
    assert group.flood == FloodState.HELD
    return group


def listed(client, query: str = "") -> set[int]:
    response = client.get(CHANGELIST + query)
    assert response.status_code == 200
    return {tip.pk for tip in response.context["cl"].result_list}


def test_the_queue_leaves_a_held_flood_out_unless_asked(staff, flood, public_object):
    calm = tip_receive(
        content=TipContent(body="The wallpaper is from a 1998 catalogue."),
        language="en",
        traced_object=public_object,
    ).tip
    flood_tips = set(flood.tips.values_list("pk", flat=True))
    assert listed(staff) == {calm.pk}
    assert listed(staff, "?flood=held") == flood_tips
    assert listed(staff, "?flood=all") == flood_tips | {calm.pk}


def test_one_action_rejects_the_whole_flood_and_audits_it(staff, flood):
    one = flood.tips.first()
    response = staff.post(
        CHANGELIST + "?flood=held",
        {"action": "reject_floods", "_selected_action": [one.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert set(flood.tips.values_list("status", flat=True)) == {TipStatus.REJECTED}
    flood.refresh_from_db()
    assert flood.flood == FloodState.REJECTED
    entry = AuditEntry.objects.get(action="tip.flood_rejected")
    assert entry.data["rejected"] == 4


def test_released_floods_return_to_the_queue(staff, flood):
    one = flood.tips.first()
    staff.post(
        CHANGELIST + "?flood=held", {"action": "release_floods", "_selected_action": [one.pk]}
    )
    assert listed(staff) == set(flood.tips.values_list("pk", flat=True))
    assert AuditEntry.objects.filter(action="tip.flood_released").count() == 1


def test_the_tip_page_shows_its_group_source_and_claims(staff, flood):
    tip = flood.tips.first()
    html = staff.get(reverse("admin:tips_tip_change", args=[tip.pk])).content.decode()
    assert f"#{flood.pk}, 4 tips" in html and "Held as a suspected flood" in html
    assert "Country: PL" in html and "web" in html
