"""A group's strength from the evidence (tips/strength.py): take-next reads three
independent tips in three languages naming one town before a 40-tip burst from one slot
that the flood detector let through; the strength follows rejections and flood decisions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tips import grouping, triage
from tips.models import ClaimAgreement, FloodState, Tip, TipGroup
from tips.services import TipContent, minute_now, tip_receive

pytestmark = pytest.mark.django_db

BURST = "Best price shampoo here, buy now at cheap-shampoo dot shop, number one bottle {n}."
AGREEING = [
    ("fr", "J'ai acheté le même shampooing chez Biedronka à Cracovie, au rayon hygiène."),
    ("de", "Ich habe diese Flasche letzten Sommer in Krakau im Drogeriemarkt gesehen."),
    ("pl", "Widziałam ten szampon w Krakowie, w sklepie przy rynku."),
]


def received(obj, body: str, *, at, language: str) -> Tip:
    tip = tip_receive(content=TipContent(body=body), language=language, traced_object=obj).tip
    Tip.objects.filter(pk=tip.pk).update(received_at=at)
    grouping.tip_analyse(tip_id=tip.pk)
    tip.refresh_from_db()
    return tip


def test_three_agreeing_voices_come_before_an_unflagged_burst(public_object, analyst):
    start = minute_now().replace(hour=1, minute=0) - timedelta(days=3)
    # 40 near-identical tips in one day, 2 an hour: under TIP_FLOOD_MIN_TIPS (20) an hour.
    burst = [
        received(
            public_object, BURST.format(n=n), at=start + timedelta(minutes=30 * n), language="en"
        )
        for n in range(40)
    ]
    assert len({tip.group_id for tip in burst}) == 1
    flood = TipGroup.objects.get(pk=burst[0].group_id)
    assert flood.flood == FloodState.NONE  # the detector did not flag it
    agreeing = [
        received(public_object, body, at=start + timedelta(days=1, hours=n), language=language)
        for n, (language, body) in enumerate(AGREEING)
    ]
    assert len({tip.group_id for tip in agreeing}) == 3  # three independent groups
    place = ClaimAgreement.objects.get(traced_object=public_object, kind="place")
    # 3 groups + 0.5 x 2 more languages (all in one 24-hour slot): 4.00
    assert place.score == 400
    strengths = dict(Tip.objects.values_list("pk", "group_strength"))
    assert {strengths[tip.pk] for tip in agreeing} == {400}
    assert {strengths[tip.pk] for tip in burst} == {100}  # one voice, however many copies
    assert Tip.objects.get(pk=burst[0].pk).group_size == 40

    taken = [triage.tip_take_next(by=analyst).pk for _ in range(4)]
    assert set(taken[:3]) == {tip.pk for tip in agreeing}
    assert taken[3] in {tip.pk for tip in burst}


def test_a_rejected_tip_stops_agreeing_and_a_reopened_one_agrees_again(public_object, analyst):
    at = minute_now().replace(hour=1, minute=0) - timedelta(days=1)  # one day slot
    tips = [
        received(public_object, body, at=at + timedelta(hours=n), language=language)
        for n, (language, body) in enumerate(AGREEING)
    ]
    assert triage.tip_reject(tip=tips[0], by=analyst, reason="irrelevant")
    strengths = dict(Tip.objects.values_list("pk", "group_strength"))
    # Two groups in two languages: 2 + 0.5 = 2.50 (the rejected tip's group keeps no claim).
    assert strengths[tips[1].pk] == strengths[tips[2].pk] == 250
    assert strengths[tips[0].pk] == 100
    tips[0].refresh_from_db()
    assert triage.tip_reopen(tip=tips[0], by=analyst)
    assert set(Tip.objects.values_list("group_strength", flat=True)) == {400}


def test_a_held_flood_counts_nothing_and_a_released_one_counts_once(
    public_object, analyst, settings
):
    settings.TIP_FLOOD_MIN_TIPS = 3
    at = minute_now().replace(hour=1, minute=0) - timedelta(days=1)  # one day slot
    first = received(public_object, AGREEING[0][1], at=at, language="fr")
    for n in range(2):
        received(public_object, AGREEING[0][1] + " " * n, at=at, language="fr")
    group = TipGroup.objects.get(pk=first.group_id)
    assert group.flood == FloodState.HELD
    other = received(public_object, AGREEING[1][1], at=at, language="de")
    assert Tip.objects.get(pk=other.pk).group_strength == 100  # alone: the flood says nothing
    assert set(Tip.objects.filter(group=group).values_list("group_strength", flat=True)) == {0}
    assert triage.tip_flood_release(group=group, by=analyst)
    # Two groups, two languages, one slot: 2.50 for both, the released flood once.
    assert set(Tip.objects.values_list("group_strength", flat=True)) == {250}


def test_a_split_and_a_merge_recount_the_strength(public_object, analyst):
    at = minute_now().replace(hour=1, minute=0) - timedelta(days=1)  # one day slot
    tips = [
        received(public_object, body, at=at + timedelta(hours=n), language=language)
        for n, (language, body) in enumerate(AGREEING)
    ]
    groups = [TipGroup.objects.get(pk=tip.group_id) for tip in tips]
    triage.tip_groups_merge(groups=groups[1:], into=groups[0], by=analyst)
    # One group now, in three languages: one voice.
    assert set(Tip.objects.values_list("group_strength", flat=True)) == {100}
    triage.tip_group_split(tip=Tip.objects.get(pk=tips[2].pk), by=analyst)
    assert set(Tip.objects.values_list("group_strength", flat=True)) == {250}


def test_the_command_counts_strengths_left_at_one_voice(public_object):
    from django.core.management import call_command

    at = minute_now().replace(hour=1, minute=0) - timedelta(days=1)  # one day slot
    for n, (language, body) in enumerate(AGREEING):
        received(public_object, body, at=at + timedelta(hours=n), language=language)
    Tip.objects.update(group_strength=100)  # as migration 0017 leaves them
    ClaimAgreement.objects.all().delete()
    call_command("tips_strength")
    assert set(Tip.objects.values_list("group_strength", flat=True)) == {400}


def test_strengths_kept_tip_by_tip_equal_a_count_from_scratch():
    """The quick path for a tip added (tips/strength.py _grown) raises strengths without
    reading each group back: after 400 tips, floods among them, it agrees with a recount."""
    from tests.tips.corpus import corpus_import, corpus_object, make_corpus
    from tips.strength import object_strength_refresh

    traced_object = corpus_object()
    corpus_import(make_corpus(seed=5, tips=400), traced_object)
    kept = dict(Tip.objects.values_list("pk", "group_strength"))
    scores = set(ClaimAgreement.objects.values_list("kind", "value", "score"))
    assert len(set(kept.values())) > 3  # many different strengths, not all one voice
    object_strength_refresh(traced_object.pk)
    assert dict(Tip.objects.values_list("pk", "group_strength")) == kept
    assert set(ClaimAgreement.objects.values_list("kind", "value", "score")) == scores


@pytest.mark.parametrize("slot_hours", [24, 5])
def test_the_counting_statement_agrees_with_a_count_in_python(settings, slot_hours):
    """scores_count (written-out SQL) against the rule counted in Python over the ORM's
    rows: tips rejected, a held flood, tips without a language, countries with their places,
    slots of other lengths than a day."""
    from datetime import UTC, datetime

    from django.utils import timezone

    from tests.tips.corpus import corpus_import, corpus_object, make_corpus
    from tips.evidence import agreement_score
    from tips.models import FLOOD_DISCOUNTED, STRENGTH_CAP, TipClaim, TipStatus
    from tips.services import tip_import
    from tips.strength import claim_keys, scores_count

    settings.TIP_AGREEMENT_SLOT_HOURS = slot_hours
    traced_object = corpus_object()
    tips = [tip for tip in corpus_import(make_corpus(seed=7, tips=240), traced_object) if tip]
    # Two voices six hours apart on one day: one slot of a day, two of five hours.
    for n, body in enumerate(
        [
            "I bought it at the Zorblax kiosk near the station, years ago.",
            "My neighbour sells this in her Zorblax corner shop, same label exactly.",
        ]
    ):
        tip_import(
            traced_object=traced_object,
            content=TipContent(body=body),
            language="en",
            received_at=datetime(2026, 3, 10, 1 + 6 * n, tzinfo=UTC),
            source="test",
            ref=f"zorblax-{n}",
        )
    Tip.objects.filter(pk__in=[tip.pk for tip in tips[::7]]).update(
        status=TipStatus.REJECTED, closed_at=timezone.now()
    )
    Tip.objects.filter(pk__in=[tip.pk for tip in tips[3::5]]).update(language="")
    assert TipGroup.objects.filter(traced_object=traced_object, flood=FloodState.HELD).exists()
    claims = TipClaim.objects.filter(traced_object=traced_object).select_related("tip__group")
    keys = {key for claim in claims for key in claim_keys(claim.kind, claim.value)}
    assert any(kind == "place" for kind, _value in keys)
    seconds = slot_hours * 3600
    expected = {}
    for key in keys:
        support = [
            claim.tip
            for claim in claims
            if key in claim_keys(claim.kind, claim.value)
            and claim.tip.group_id is not None
            and claim.tip.status != TipStatus.REJECTED
            and claim.tip.group.flood not in FLOOD_DISCOUNTED
        ]
        score = agreement_score(
            groups=len({tip.group_id for tip in support}),
            languages=len({tip.language for tip in support if tip.language}),
            slots=len({int(tip.received_at.timestamp() // seconds) for tip in support}),
        )
        expected[key] = min(STRENGTH_CAP, round(100 * score))
    assert expected[("name", "zorblax")] == (200 if slot_hours == 24 else 250)
    assert scores_count(traced_object.pk, keys) == expected
    assert len(set(expected.values())) > 3
