"""The board's tallies, done in SQL (tips/evidence.py), give exactly what the Python fold
that they replaced gave (tests/tips/fold_reference.py), on generated objects: the
multilingual corpus with its flood, the places corpus (towns, coordinates, map links),
tips rejected, tips not grouped yet, urgent tips, a rejected and a released flood."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from tests.tips import fold_reference as reference
from tests.tips.corpus import corpus_import, corpus_object, make_corpus
from tests.tips.places_corpus import TIPS as PLACE_TIPS
from tips import board, evidence
from tips.models import FLOOD_DISCOUNTED, FloodState, Tip, TipGroup, TipStatus
from tips.services import TipContent, tip_import

pytestmark = pytest.mark.django_db


def generated_object(seed: int):
    """An object whose tips cover every case the tally distinguishes."""
    rng = random.Random(seed)
    traced_object = corpus_object(code=f"TAO-2026-08{seed:02d}")
    corpus_import(make_corpus(seed=seed, tips=160, flood_share=0.25), traced_object)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for n, tip in enumerate(PLACE_TIPS):
        tip_import(
            traced_object=traced_object,
            content=TipContent(body=tip.body, country=tip.country, links=list(tip.links)),
            language=tip.language if n % 9 else "",  # some tips without a language
            received_at=start + timedelta(hours=5 * n + rng.randrange(30)),
            source="corpus",
            ref=f"place-{n}",
        )
    tips = list(Tip.objects.filter(traced_object=traced_object).order_by("pk"))
    rejected = [tip.pk for tip in rng.sample(tips, len(tips) // 6)]
    Tip.objects.filter(pk__in=rejected).update(
        status=TipStatus.REJECTED, rejected_reason="spam", closed_at=timezone.now()
    )
    for status in (TipStatus.IN_REVIEW, TipStatus.CLOSED, TipStatus.FORWARDED):
        chosen = [t.pk for t in rng.sample(tips, 12) if t.pk not in rejected]
        Tip.objects.filter(pk__in=chosen).update(status=status, closed_at=timezone.now())
    Tip.objects.filter(pk__in=[t.pk for t in rng.sample(tips, 10)]).update(urgent=True)
    # Tips not grouped yet: each counts as a group of its own.
    Tip.objects.filter(pk__in=[t.pk for t in rng.sample(tips, 15)]).update(group=None)
    groups = list(TipGroup.objects.filter(traced_object=traced_object).order_by("pk"))
    for group, state in zip(
        rng.sample(groups, 3),
        (FloodState.REJECTED, FloodState.RELEASED, FloodState.HELD),
        strict=True,
    ):
        TipGroup.objects.filter(pk=group.pk).update(flood=state, flood_detected_at=timezone.now())
    return traced_object


def as_rows(groups) -> list[tuple]:
    return [
        (
            g.id,
            g.flood,
            g.first_at,
            g.last_at,
            g.size,
            g.lead_id,
            sorted(g.languages),
            {k: v for k, v in g.statuses.items() if v},
            g.urgent_open,
        )
        for g in groups
    ]


@pytest.mark.parametrize("seed", [3, 11])
def test_the_sql_tally_equals_the_python_fold(seed, settings):
    settings.TIP_NAME_MIN_GROUPS = 2
    traced_object = generated_object(seed)
    groups, count = reference.object_groups(traced_object)
    expected = reference.claims_tally(traced_object, groups)

    tally = evidence.claims_tally(traced_object)

    assert tally == expected
    # The corpus really exercises what the fold distinguishes.
    assert tally["place"] and tally["name"] and tally["domain"]
    assert any(entry["place_groups"] for entry in tally["country"])
    assert any(entry["uncertain"] for entry in tally["place"]) or seed != 3
    assert any(g.flood in FLOOD_DISCOUNTED for g in groups.values())
    assert any(g.id < 0 for g in groups.values())


@pytest.mark.parametrize("seed", [3, 11])
def test_the_sql_groups_equal_the_python_fold(seed):
    traced_object = generated_object(seed)
    groups, count = reference.object_groups(traced_object)
    samples = reference.group_samples(groups.values())
    calm = [g for g in groups.values() if g.flood not in FLOOD_DISCOUNTED]
    floods = reference.strongest([g for g in groups.values() if g.flood in FLOOD_DISCOUNTED])
    shown = 7  # fewer than the groups, so the order decides which are shown

    read = evidence.board_groups(traced_object, calm_shown=shown, floods_shown=2)

    assert as_rows(read.calm) == as_rows(reference.strongest(calm, shown))
    assert as_rows(read.floods) == as_rows(floods[:2])
    assert [g.sample for g in read.calm] == [samples[g.id] for g in read.calm]
    assert (read.tips, read.groups, read.calm_total, read.floods_total) == (
        count,
        len(groups),
        len(calm),
        len(floods),
    )
    assert read.new == sum(g.statuses.get(TipStatus.NEW, 0) for g in groups.values())
    assert read.urgent == sum(g.urgent_open for g in groups.values()) > 0

    every = evidence.all_groups(traced_object)
    ordered = sorted(groups.values(), key=reference.Group.strength)
    assert as_rows(every) == as_rows(ordered)
    assert [g.tips for g in every] == [g.tips for g in ordered]


def test_the_board_of_an_object_without_tips_is_empty(public_object):
    read = board.board_read(traced_object=public_object)

    assert read["counts"] == {"tips": 0, "groups": 0, "new": 0, "urgent": 0, "floods": 0}
    assert read["groups"] == read["floods"] == read["places"] == []
    assert read["place_map"] is None


def test_the_embedded_databases_board_equals_the_sql(monkeypatch):
    """`make run`'s SQLite has none of the board's PostgreSQL: tips/evidence_embedded.py
    folds the same rows in Python, and gives what the SQL gives, group by group, claim by
    claim and point by point."""
    from django.db import connection

    traced_object = generated_object(5)
    sql = evidence.board_data(traced_object, calm_shown=7, floods_shown=2)
    every_sql = evidence.all_groups(traced_object)
    monkeypatch.setattr(connection, "vendor", "sqlite")
    folded = evidence.board_data(traced_object, calm_shown=7, floods_shown=2)
    every_folded = evidence.all_groups(traced_object)

    assert as_rows(folded.groups.calm) == as_rows(sql.groups.calm)
    assert as_rows(folded.groups.floods) == as_rows(sql.groups.floods) != []
    assert [g.sample for g in folded.groups.calm] == [g.sample for g in sql.groups.calm]
    assert (folded.groups.tips, folded.groups.groups, folded.groups.new) == (
        sql.groups.tips,
        sql.groups.groups,
        sql.groups.new,
    )
    assert (folded.groups.urgent, folded.groups.floods_total) == (
        sql.groups.urgent,
        sql.groups.floods_total,
    )
    assert folded.tally == sql.tally
    assert sorted(folded.points, key=lambda p: (p.value, p.lat, p.lon)) == sorted(
        sql.points, key=lambda p: (p.value, p.lat, p.lon)
    )
    assert len(sql.points) > 3
    assert as_rows(every_folded) == as_rows(every_sql)
    assert [g.tips for g in every_folded] == [g.tips for g in every_sql]


def folded_board(traced_object, monkeypatch):
    """The board as the embedded database folds it from every claim (no stored tally)."""
    from django.db import connection

    with monkeypatch.context() as patched:
        patched.setattr(connection, "vendor", "sqlite")
        return evidence.board_data(traced_object, calm_shown=0, floods_shown=0)


@pytest.mark.usefixtures("require_postgres")
def test_the_stored_tally_follows_every_change(monkeypatch, settings):
    """The board's tally is stored and only what the triggers marked is counted again
    (tips/tally.py): after each kind of change, made as plain UPDATEs and DELETEs that no
    Python code hears of, the stored tally and points equal a fold of every claim."""
    from tips.models import ClaimPoint, ClaimTally, TallyMark, TipClaim

    settings.TIP_NAME_MIN_GROUPS = 2
    traced_object = generated_object(7)

    def same() -> None:
        stored = evidence.board_data(traced_object, calm_shown=0, floods_shown=0)
        assert not TallyMark.objects.filter(traced_object_id=traced_object.pk).exists()
        folded = folded_board(traced_object, monkeypatch)
        assert stored.tally == folded.tally
        key = lambda p: (p.value, p.lat, p.lon)  # noqa: E731
        assert sorted(stored.points, key=key) == sorted(folded.points, key=key)

    same()
    rows = ClaimTally.objects.filter(traced_object=traced_object).count()
    assert rows > 20 and ClaimPoint.objects.filter(traced_object=traced_object).exists()
    tips = list(Tip.objects.filter(traced_object=traced_object, claims__isnull=False).distinct())
    rng = random.Random(7)
    groups = list(TipGroup.objects.filter(traced_object=traced_object))

    tip_import(
        traced_object=traced_object,
        content=TipContent(body="Vu à Cracovie, même flacon, chez Rossmann", country="PL"),
        language="fr",
        received_at=timezone.now(),
        source="corpus",
        ref="late-1",
    )
    same()
    Tip.objects.filter(pk=rng.choice(tips).pk).update(status=TipStatus.REJECTED)
    same()
    Tip.objects.filter(pk=rng.choice(tips).pk).update(status=TipStatus.NEW)  # reopened
    same()
    Tip.objects.filter(pk__in=[t.pk for t in rng.sample(tips, 5)]).update(group=groups[0])
    same()
    for state in (FloodState.REJECTED, FloodState.RELEASED):
        TipGroup.objects.filter(pk=groups[1].pk).update(
            flood=state, flood_detected_at=timezone.now()
        )
        same()
    Tip.objects.filter(pk=rng.choice(tips).pk).update(received_at=timezone.now())
    same()
    Tip.objects.filter(pk=rng.choice(tips).pk).update(language="de")
    same()
    TipClaim.objects.filter(pk=TipClaim.objects.filter(kind="place").first().pk).delete()
    same()
    Tip.objects.filter(pk__in=[t.pk for t in rng.sample(tips, 3)]).delete()
    same()
    groups[2].delete()  # its tips are no longer grouped: each a group of its own
    same()
    # Nothing changed: one short statement, nothing counted.
    from tips import tally

    assert tally.refresh(traced_object.pk) == 0


@pytest.mark.usefixtures("require_postgres")
def test_beat_counts_the_marked_claims_of_every_object(monkeypatch, settings):
    """The beat task counts the marks of every object, so that a board opened later has
    nothing to count; its tally is the fold's."""
    from tips import tally, tasks
    from tips.models import TallyMark

    settings.TIP_NAME_MIN_GROUPS = 2
    first = generated_object(3)
    second = corpus_object(code="TAO-2026-0899")
    for n, tip in enumerate(PLACE_TIPS[:12]):
        tip_import(
            traced_object=second,
            content=TipContent(body=tip.body, country=tip.country, links=list(tip.links)),
            language=tip.language,
            received_at=datetime(2026, 3, 1, tzinfo=UTC) + timedelta(hours=n),
            source="corpus",
            ref=f"second-{n}",
        )
    marked = set(TallyMark.objects.values_list("traced_object_id", flat=True))
    assert marked == {first.pk, second.pk}

    done = tasks.tally_refresh_marked.delay().get()

    assert done["objects"] == 2 and done["claims"] > 20
    assert not TallyMark.objects.exists()
    assert tally.refresh(first.pk) == 0
    for traced_object in (first, second):
        stored = evidence.board_data(traced_object, calm_shown=0, floods_shown=0)
        assert stored.tally == folded_board(traced_object, monkeypatch).tally
