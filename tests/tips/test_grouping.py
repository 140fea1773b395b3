"""Near-duplicate groups: tips join a group as they arrive, in any language and script; the
grouping never moves a tip an analyst placed by hand; floods are held out of the queue."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.tips.conftest import tip_data
from tests.tips.corpus import bcubed, corpus_import, corpus_object, make_corpus
from tips import grouping, triage
from tips.models import FloodState, Tip, TipBand, TipGroup, TipStatus
from tips.services import TipContent, minute_now, tip_import, tip_receive

pytestmark = pytest.mark.django_db

BASE = "I recognise this bottle: it is Kovaro shampoo, sold at Mileta Markt in Gdansk, Poland."


def received(obj, body: str, *, at=None, language: str = "en") -> Tip:
    tip = tip_receive(content=TipContent(body=body), language=language, traced_object=obj).tip
    if at is not None:
        Tip.objects.filter(pk=tip.pk).update(received_at=at)
    grouping.tip_analyse(tip_id=tip.pk)
    tip.refresh_from_db()
    return tip


def test_retyped_reordered_lower_cased_and_greeted_tips_join_one_group(public_object):
    first = received(public_object, BASE)
    variants = [
        BASE.lower(),
        "Hello! " + BASE,
        "Sold at Mileta Markt in Gdansk, Poland. I recognise this bottle: it is Kovaro shampoo.",
        BASE.replace("recognise", "recgonise").replace("bottle", "flask"),
    ]
    for body in variants:
        assert received(public_object, body).group_id == first.group_id


def test_near_duplicates_group_in_other_scripts_too(public_object):
    russian = "Я узнаю эту бутылку, это шампунь Коваро из магазина Милета в Гданьске, Польша."
    chinese = "我认识这个瓶子，这是科瓦罗洗发水，在格但斯克的米莱塔商店买的，波兰。"
    ru, zh = received(public_object, russian), received(public_object, chinese)
    assert received(public_object, "Здравствуйте! " + russian.lower()).group_id == ru.group_id
    assert received(public_object, "你好，" + chinese).group_id == zh.group_id
    assert ru.group_id != zh.group_id


def test_different_tips_stay_in_different_groups(public_object):
    first = received(public_object, BASE)
    other = received(public_object, "The wallpaper pattern is from an IKEA catalogue of 1998.")
    assert first.group_id != other.group_id


def test_analysing_a_tip_twice_changes_nothing(public_object):
    tip = received(public_object, BASE)
    bands = TipBand.objects.count()
    assert grouping.tip_analyse(tip_id=tip.pk) == tip.group_id
    assert TipBand.objects.count() == bands and TipGroup.objects.count() == 1


def test_a_tip_sent_through_the_form_is_grouped_once_its_transaction_commits(
    client, public_object, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/en/objects/{public_object.code}/tip/", tip_data(), REMOTE_ADDR="192.0.2.1")
    tip = Tip.objects.get()
    assert tip.group_id is not None and tip.signature is not None
    assert set(tip.claims.values_list("kind", "value")) >= {("country", "PL"), ("name", "lidl")}


def test_a_tip_split_out_by_an_analyst_stays_out_even_after_a_regroup(public_object, analyst):
    first = received(public_object, BASE)
    second = received(public_object, BASE.lower())
    assert first.group_id == second.group_id
    new_group = triage.tip_group_split(tip=second, by=analyst)
    grouping.tips_regroup(traced_object=public_object)
    second.refresh_from_db()
    assert second.group_id == new_group.pk and second.group_by_hand
    first.refresh_from_db()
    assert first.group_id != new_group.pk


def test_merged_groups_stay_merged_after_a_regroup(public_object, analyst):
    a = received(public_object, BASE)
    b = received(public_object, "The wallpaper pattern is from an IKEA catalogue of 1998.")
    moved = triage.tip_group_merge(group=b.group, into=a.group, by=analyst)
    assert moved == 1 and not TipGroup.objects.filter(pk=b.group_id).exists()
    grouping.tips_regroup(traced_object=public_object)
    b.refresh_from_db()
    a.refresh_from_db()
    assert b.group_id == a.group_id


def test_marking_a_duplicate_by_hand_moves_the_tip_into_the_originals_group(public_object, analyst):
    a = received(public_object, BASE)
    b = received(public_object, "The wallpaper pattern is from an IKEA catalogue of 1998.")
    assert triage.tip_mark_duplicate(tip=b, of=a, by=analyst)
    b.refresh_from_db()
    assert b.group_id == a.group_id and b.group_by_hand and b.duplicate_of_id == a.pk


def test_a_burst_of_near_identical_tips_is_held_as_one_flood(public_object, settings, analyst):
    settings.TIP_FLOOD_MIN_TIPS = 5
    start = minute_now()
    tips = [
        received(public_object, f"{BASE} Buy it at cheap-bottles.de now {n}", at=start)
        for n in range(6)
    ]
    calm = received(public_object, "The wallpaper is from an IKEA catalogue of 1998.")
    group = TipGroup.objects.get(pk=tips[0].group_id)
    assert group.flood == FloodState.HELD
    assert TipGroup.objects.get(pk=calm.group_id).flood == FloodState.NONE
    # Out of "take the next tip": the calm tip comes first although it is the newest.
    assert triage.tip_take_next(by=analyst).pk == calm.pk
    assert triage.tip_take_next(by=analyst) is None
    assert triage.tip_flood_reject(group=group, by=analyst) == 6
    assert set(Tip.objects.filter(group=group).values_list("status", flat=True)) == {
        TipStatus.REJECTED
    }


def test_tips_spread_over_days_are_no_flood(public_object, settings):
    settings.TIP_FLOOD_MIN_TIPS = 3
    start = minute_now()
    for n in range(4):
        tip = received(public_object, BASE, at=start - timedelta(days=n))
    assert TipGroup.objects.get(pk=tip.group_id).flood == FloodState.NONE


def test_a_released_flood_goes_back_to_the_queue(public_object, settings, analyst):
    settings.TIP_FLOOD_MIN_TIPS = 2
    start = minute_now()
    tip = received(public_object, BASE, at=start)
    received(public_object, BASE, at=start)
    group = TipGroup.objects.get(pk=tip.group_id)
    assert triage.tip_flood_release(group=group, by=analyst)
    assert not triage.tip_flood_release(group=group, by=analyst)  # twice is harmless
    assert triage.tip_take_next(by=analyst) is not None


def test_the_grouping_of_the_synthetic_corpus_scores_at_least_0_9_b_cubed(db):
    corpus = make_corpus(seed=9, tips=400)
    traced_object = corpus_object()
    corpus_import(corpus, traced_object)
    groups = dict(Tip.objects.values_list("ref", "group_id"))
    precision, recall = bcubed(
        [tip.group for tip in corpus.tips], [groups[tip.ref] for tip in corpus.tips]
    )
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)


def test_an_imported_tip_is_grouped_before_the_import_returns(public_object):
    tip = tip_import(
        traced_object=public_object,
        content=TipContent(body=BASE),
        language="en",
        received_at=minute_now(),
        source="hotline",
        ref="H-1",
    )
    assert tip.pk and Tip.objects.get(pk=tip.pk).group_id is not None
