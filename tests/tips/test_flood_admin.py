"""The queue and floods: held tips stay out of the list unless asked; one action releases
or rejects a whole flood, through triage, audited; the tip page shows its group and claims."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from tips import grouping
from tips.models import FloodState, Tip, TipGroup, TipStatus
from tips.services import TipContent, minute_now, tip_receive

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:tips_tip_changelist")
BASE = "I recognise this bottle: it is Kovaro shampoo, sold at Mileta Markt in Gdansk, Poland."


@pytest.fixture
def staff(analyst_client):
    """The analyst ana (tests/conftest.py), in the real Analyst group."""
    return analyst_client


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


def act(client, action: str, tips) -> None:
    client.post(CHANGELIST, {"action": action, "_selected_action": [tip.pk for tip in tips]})


def grouped(public_object, body: str) -> Tip:
    tip = tip_receive(content=TipContent(body=body), language="en", traced_object=public_object).tip
    grouping.tip_analyse(tip_id=tip.pk)
    tip.refresh_from_db()
    return tip


def test_an_analyst_splits_a_tip_out_of_its_group_and_regrouping_leaves_it_there(
    staff, public_object
):
    first, second = grouped(public_object, BASE), grouped(public_object, BASE + " Thanks!")
    assert first.group_id == second.group_id

    act(staff, "split_from_groups", [second])

    second.refresh_from_db()
    assert second.group_id != first.group_id and second.group_by_hand
    grouping.tips_regroup(traced_object=public_object)
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.group_id != first.group_id
    assert AuditEntry.objects.filter(action="tip.group_split", username="ana").count() == 1


def test_an_analyst_merges_the_groups_of_the_selected_tips_into_the_oldest_ones(
    staff, public_object
):
    shampoo = grouped(public_object, BASE)
    wallpaper = grouped(public_object, "The wallpaper is from a 1998 IKEA catalogue, Sweden.")
    old_group = wallpaper.group_id
    assert shampoo.group_id != old_group

    act(staff, "merge_groups", [wallpaper, shampoo])

    wallpaper.refresh_from_db()
    assert wallpaper.group_id == shampoo.group_id and wallpaper.group_by_hand
    assert not TipGroup.objects.filter(pk=old_group).exists()
    entry = AuditEntry.objects.get(action="tip.groups_merged")
    assert entry.username == "ana" and entry.data["tips"] == [wallpaper.pk]
