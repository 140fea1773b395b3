"""Reading the queue leaves a trace: a page of the list, a search and the previews it shows
write one audit entry (who, which filters or words, how many tips, whose previews), not one
per tip, and reloading the same page within the minute writes none."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from tests.factories import tip_at
from tips.models import Tip
from tips.reading import QUEUE_SEARCHED, QUEUE_VIEWED

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:tips_tip_changelist")


def reads() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action__in=[QUEUE_VIEWED, QUEUE_SEARCHED]).order_by("id"))


def test_a_queue_page_writes_one_entry_naming_the_previews_it_showed(
    analyst_client, analyst, public_object
):
    tips = [tip_at(public_object, hours_ago=hours) for hours in range(60)]

    response = analyst_client.get(CHANGELIST + "?status__exact=new")

    shown = [tip.pk for tip in response.context["cl"].result_list]
    [entry] = reads()
    assert entry.action == QUEUE_VIEWED
    assert (entry.user_id, entry.username) == (analyst.pk, analyst.username)
    assert entry.data["filters"] == {"status__exact": "new"}
    assert entry.data["query"] == ""
    assert entry.data["shown"] == len(shown) == 50
    assert entry.data["matching"] == len(tips)
    assert entry.data["previews"] == shown


def test_a_search_writes_its_words_and_how_many_tips_it_found(analyst_client, public_object):
    tip_at(public_object, hours_ago=1, body="Sold at the Kovaro market in Gdansk.")
    tip_at(public_object, hours_ago=2, body="Seen somewhere else.")

    analyst_client.get(CHANGELIST + "?q=Kovaro")
    analyst_client.get(CHANGELIST + "?q=Gdansk")

    first, second = reads()
    assert (first.action, first.data["query"], first.data["shown"]) == (QUEUE_SEARCHED, "Kovaro", 1)
    assert second.data["query"] == "Gdansk"
    assert first.data["previews"] == list(
        Tip.objects.filter(body__contains="Kovaro").values_list("pk", flat=True)
    )


def test_reloading_the_same_page_within_the_minute_writes_no_second_entry(
    analyst_client, public_object
):
    tip_at(public_object, hours_ago=1)
    for _ in range(5):
        analyst_client.get(CHANGELIST + "?q=bottle")
    analyst_client.get(CHANGELIST + "?q=bottle&status__exact=new")  # other filters: one more
    analyst_client.get(CHANGELIST)

    assert [(entry.action, entry.data["filters"]) for entry in reads()] == [
        (QUEUE_SEARCHED, {}),
        (QUEUE_SEARCHED, {"status__exact": "new"}),
        (QUEUE_VIEWED, {}),
    ]
