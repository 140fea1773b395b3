"""The queue for analysts (issue #10) that stays fast at a million tips (issue #13): a text
preview, the object's thumbnail, the group's size and a red "Urgent" label; sorting by group
strength; take-next after urgent reports takes the strongest unread group's lead tip (a group
someone has started on waits behind every untouched one); an honest
last page past the count's cap; and a fixed number of queries for the queue and a tip's page.

Personas (tests/conftest.py): the analyst ana.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from objects.staff_images import staff_image_url
from tests.conftest import staff_login
from tests.factories import tip_at
from tips import grouping, triage
from tips.admin import TipAdmin
from tips.models import Tip, TipStatus
from tips.selectors import PREVIEW_CHARS
from tips.services import retention_apply
from traceobject.pagination import CappedPaginator

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:tips_tip_changelist")
TAKE_NEXT = reverse("admin:tips_tip_take_next")
STRENGTH = 4  # the group column's position (after the checkbox, id, object and text)
SIMILAR = "I recognise this bottle: it is Kovaro shampoo, sold at Mileta Markt in Gdansk."
# Login and 2FA (8: see test_triage_admin.py), then the object filter's choices, the capped
# count and the page, and the page's audit entry (a look for the same page this minute and
# the insert: tips/reading.py). The number of tips and of groups must not matter.
QUEUE_QUERIES = 13
# Login and 2FA (5), the tip with its object, assignee and group (once), the audit entry,
# the follow-ups and messages inlines, its duplicates, a few similar tips, its claims and
# the notes, and the session saved in a savepoint (3).
TIP_PAGE_QUERIES = 15
# Login, 2FA and permissions (5), the candidate, the take, the tip, the audit entry, and the
# session saved, in savepoints (7): 14 at a million tips too (bench/backoffice.py). Taking a
# group's lead adds one: its other tips marked as being read (the limit is 15).
TAKE_NEXT_QUERIES = 14


def grouped(obj, body: str = SIMILAR, *, hours_ago: float = 0, **fields) -> Tip:
    """A tip on `obj` received `hours_ago` hours ago and grouped, as the worker does."""
    tip = tip_at(obj, hours_ago=hours_ago, body=body, **fields)
    grouping.tip_analyse(tip_id=tip.pk)
    tip.refresh_from_db()
    return tip


def listed(client, query: str = "") -> list[int]:
    return [tip.pk for tip in client.get(CHANGELIST + query).context["cl"].result_list]


def change_url(tip: Tip) -> str:
    return reverse("admin:tips_tip_change", args=[tip.pk])


# --- What a row shows ------------------------------------------------------------------------


def test_a_row_shows_a_preview_the_thumbnail_the_group_size_and_a_red_urgent_label(
    analyst_client, public_object
):
    for hours in (3, 2, 1):
        grouped(public_object, hours_ago=hours)
    long_text = "A very long description of the bottle and its label. " * 20
    grouped(public_object, long_text + "ENDING", hours_ago=4)
    tip_at(body="A report about a child in a video I saw online.", urgent=True)

    html = analyst_client.get(CHANGELIST).content.decode()

    assert staff_image_url(public_object.pk, "thumbnail") in html
    assert 'class="tip-size">3 tips<' in html and 'class="tip-size">1 tip<' in html
    assert '<span class="tip-label tip-label-urgent">Urgent</span>' in html
    assert SIMILAR in html and "A report about a child" in html
    assert "ENDING" not in html and long_text[: PREVIEW_CHARS - 10] in html
    assert long_text[:PREVIEW_CHARS].rstrip() + "…" in html


def test_the_queue_reads_only_the_start_of_each_text(
    analyst_client, public_object, urgent_banner_known, django_assert_max_num_queries
):
    tip_at(public_object, body="x" * 3000)

    with django_assert_max_num_queries(QUEUE_QUERIES) as captured:
        analyst_client.get(CHANGELIST)

    page = [q["sql"] for q in captured.captured_queries if '"tips_tip"."body"' in q["sql"]]
    assert page and all("SUBSTR" in sql.upper() for sql in page), page


# --- Group strength ----------------------------------------------------------------------------


def test_each_tip_knows_its_groups_size_through_grouping_split_merge_and_retention(
    analyst, public_object
):
    tips = [grouped(public_object, hours_ago=hours) for hours in (3, 2, 1)]

    def sizes() -> list[int]:
        return list(Tip.objects.order_by("received_at").values_list("group_size", flat=True))

    assert sizes() == [3, 3, 3]
    own = triage.tip_group_split(tip=tips[2], by=analyst)
    assert sizes() == [2, 2, 1]
    triage.tip_group_merge(group=own, into=tips[0].group, by=analyst)
    assert sizes() == [3, 3, 3]
    closed = timezone.now() - timedelta(days=3650)
    Tip.objects.filter(pk=tips[2].pk).update(status=TipStatus.REJECTED, closed_at=closed)
    retention_apply()
    assert sizes() == [2, 2]


def test_the_queue_sorts_by_group_strength_both_ways(analyst_client, public_object):
    big = [grouped(public_object, hours_ago=hours) for hours in (5, 4, 3)]
    alone = grouped(public_object, "The wallpaper is from an IKEA catalogue of 1998.", hours_ago=9)
    report = tip_at(body="A report about a forum.", hours_ago=1)

    strongest_first = listed(analyst_client, f"?o={STRENGTH}")
    weakest_first = listed(analyst_client, f"?o=-{STRENGTH}")

    assert strongest_first == [big[2].pk, big[1].pk, big[0].pk, report.pk, alone.pk]
    assert weakest_first == list(reversed(strongest_first))


def taken_by(client, times: int) -> list[int]:
    """The tips `client` gets pressing "take next" `times` times (the tip page it lands on)."""
    taken = []
    for _ in range(times):
        response = client.post(TAKE_NEXT)
        taken.append(int(response.url.rstrip("/").split("/")[-2]))
    return taken


def group_reads() -> dict[int, bool]:
    return dict(Tip.objects.values_list("pk", "group_read"))


def test_take_next_takes_urgent_reports_then_the_strongest_groups_lead(
    analyst_client, public_object
):
    oldest_alone = tip_at(public_object, body="Seen at a market in Lyon.", hours_ago=30)
    group = [grouped(public_object, hours_ago=hours) for hours in (6, 5, 4)]
    urgent = tip_at(body="A child in danger, in a video.", urgent=True, hours_ago=1)

    taken = taken_by(analyst_client, 3)

    # The group's second tip waits until the untouched tip alone has been taken.
    assert taken == [urgent.pk, group[0].pk, oldest_alone.pk]
    assert Tip.objects.get(pk=group[1].pk).status == TipStatus.NEW


def test_two_analysts_taking_in_turn_get_the_leads_of_two_groups(
    analyst_client, second_analyst, public_object
):
    strong = [grouped(public_object, hours_ago=hours) for hours in (6, 5, 4)]
    other = "The wallpaper is from an IKEA catalogue of 1998, pattern Alvine."
    weaker = [grouped(public_object, other, hours_ago=hours) for hours in (9, 8)]
    alone = tip_at(public_object, body="Seen at a market in Lyon.", hours_ago=30)
    ben_client = staff_login(Client(), second_analyst)

    first_ana, first_ben = taken_by(analyst_client, 1), taken_by(ben_client, 1)
    then_ana, then_ben = taken_by(analyst_client, 1), taken_by(ben_client, 1)

    assert (first_ana, first_ben) == ([strong[0].pk], [weaker[0].pk])
    # Every untouched group first, then the started groups' tips in the same order.
    assert (then_ana, then_ben) == ([alone.pk], [strong[1].pk])
    assert strong[0].group_id != weaker[0].group_id


def test_urgent_reports_come_before_a_started_group_and_an_untouched_one(
    analyst, analyst_client, public_object
):
    group = [grouped(public_object, hours_ago=hours) for hours in (6, 5)]
    triage.tip_assign(tip=group[0], to=analyst, by=analyst)  # assigned, still new
    alone = tip_at(public_object, body="Seen at a market in Lyon.", hours_ago=30)
    urgent = tip_at(body="A child in danger, in a video.", urgent=True, hours_ago=1)

    assert taken_by(analyst_client, 3) == [urgent.pk, alone.pk, group[1].pk]


def test_a_group_is_read_once_any_tip_is_triaged_and_a_tip_put_back_unreads_it(
    analyst, public_object
):
    group = [grouped(public_object, hours_ago=hours) for hours in (6, 5)]
    alone = grouped(public_object, "The wallpaper is from an IKEA catalogue.", hours_ago=2)

    triage.tip_assign(tip=group[1], to=analyst, by=analyst)
    assert group_reads() == {group[0].pk: True, group[1].pk: True, alone.pk: False}
    triage.tip_assign(tip=group[1], to=None, by=analyst)  # put back, untouched
    assert group_reads() == {group[0].pk: False, group[1].pk: False, alone.pk: False}
    triage.tip_reject(tip=group[0], by=analyst, reason="irrelevant")
    assert group_reads() == {group[0].pk: True, group[1].pk: True, alone.pk: False}


def test_a_new_tip_joining_a_group_being_read_is_read(analyst, analyst_client, public_object):
    lead = grouped(public_object, hours_ago=6)
    taken_by(analyst_client, 1)
    alone = tip_at(public_object, body="Seen at a market in Lyon.", hours_ago=30)
    newcomer = grouped(public_object, hours_ago=0)

    assert newcomer.group_id == lead.group_id
    assert newcomer.group_read
    assert listed(analyst_client, "?status__exact=new") == [alone.pk, newcomer.pk]


def test_merging_with_a_group_being_read_is_read_a_tip_split_out_untouched_is_not(
    analyst, public_object
):
    started = [grouped(public_object, hours_ago=hours) for hours in (6, 5, 4)]
    other = grouped(public_object, "The wallpaper is from an IKEA catalogue.", hours_ago=2)
    triage.tip_mark_in_review(tip=started[0], by=analyst)

    triage.tip_group_merge(group=other.group, into=started[0].group, by=analyst)
    assert set(group_reads().values()) == {True}

    triage.tip_group_split(tip=started[2], by=analyst)
    assert group_reads()[started[2].pk] is False
    assert group_reads()[started[1].pk] is True
    # Splitting out the only tip anyone started on leaves its old group untouched.
    triage.tip_group_split(tip=started[0], by=analyst)
    assert group_reads() == {
        started[0].pk: True,
        started[1].pk: False,
        started[2].pk: False,
        other.pk: False,
    }


def test_the_new_view_lists_in_take_next_order(analyst_client, public_object):
    alone = tip_at(public_object, body="Seen at a market in Lyon.", hours_ago=30)
    group = [grouped(public_object, hours_ago=hours) for hours in (6, 5)]
    urgent = tip_at(body="A child in danger, in a video.", urgent=True, hours_ago=1)

    assert listed(analyst_client, "?status__exact=new") == [
        urgent.pk,
        group[0].pk,
        group[1].pk,
        alone.pk,
    ]


# --- The last page -----------------------------------------------------------------------------


def test_the_last_page_past_the_cap_shows_the_real_end_of_the_list(
    analyst_client, public_object, monkeypatch
):
    monkeypatch.setattr(CappedPaginator, "cap", 4)
    monkeypatch.setattr(TipAdmin, "list_per_page", 2)
    tips = [tip_at(public_object, hours_ago=hours) for hours in range(7)]  # newest first

    first = analyst_client.get(CHANGELIST)
    last = analyst_client.get(CHANGELIST + "?p=3")

    assert "More than 4 tips" in first.content.decode() and 'href="?p=3"' in first.content.decode()
    # Not the rows just past the cap (an OFFSET 4): the oldest two, in the list's order.
    assert [tip.pk for tip in last.context["cl"].result_list] == [tips[5].pk, tips[6].pk]


# --- Query counts -----------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "?status__exact=new", f"?o={STRENGTH}", "?q=bottle", "?p=2"])
def test_the_queue_runs_a_fixed_number_of_queries(
    analyst_client,
    analyst,
    public_object,
    query,
    urgent_banner_known,
    django_assert_num_queries,
    monkeypatch,
):
    monkeypatch.setattr(CappedPaginator, "cap", 60)  # ?p=2 is then the (reversed) last page
    for number in range(70):
        tip = grouped(public_object, hours_ago=number) if number % 2 else tip_at(hours_ago=number)
        if number % 3 == 0:
            Tip.objects.filter(pk=tip.pk).update(assigned_to=analyst, urgent=True)
    # Warm caches (permissions, content types) with another page, whose audit entry does
    # not spare the page measured its own.
    analyst_client.get(CHANGELIST + "?o=2")

    with django_assert_num_queries(QUEUE_QUERIES):
        response = analyst_client.get(CHANGELIST + query)

    assert response.status_code == 200 and response.context["cl"].result_list


# --- A tip's page -------------------------------------------------------------------------------


def test_the_tip_page_shows_its_groups_size_a_few_others_and_marks_its_claims(
    analyst_client, public_object
):
    others = [grouped(public_object, hours_ago=hours) for hours in (9, 8, 7, 6, 5, 4)]
    tip = grouped(
        public_object,
        SIMILAR + " Also on https://www.kovaro.example.com <script>x</script>, in Poland.",
    )

    html = analyst_client.get(change_url(tip)).content.decode()

    assert "Its group has 7 tips." in html
    shown = [other for other in others if change_url(other) in html]
    assert shown == others[:5]  # the oldest five of the others
    assert '<mark class="tip-claim tip-claim-name">Kovaro</mark>' in html
    assert '<mark class="tip-claim tip-claim-country">Poland</mark>' in html
    assert '<mark class="tip-claim tip-claim-domain">www.kovaro.example.com</mark>' in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html


def test_the_tip_page_runs_a_fixed_number_of_queries(
    analyst_client, analyst, public_object, urgent_banner_known, django_assert_num_queries
):
    tips = [grouped(public_object, hours_ago=hours) for hours in range(12)]
    tip = tips[0]
    triage.tip_mark_duplicate(tip=tips[1], of=tip, by=analyst)
    triage.tip_add_note(tip=tip, by=analyst, body="A note.")
    analyst_client.get(change_url(tip))  # warm caches (permissions, content types)

    with django_assert_num_queries(TIP_PAGE_QUERIES):
        response = analyst_client.get(change_url(tip))

    assert response.status_code == 200


def test_taking_a_groups_lead_marks_the_group_in_one_query_more(
    analyst_client, public_object, urgent_banner_known, django_assert_num_queries
):
    grouped(public_object, hours_ago=6)
    started = grouped(public_object, hours_ago=5)
    alone = tip_at(public_object, body="Seen at a market in Lyon.", hours_ago=30)

    with django_assert_num_queries(TAKE_NEXT_QUERIES + 1):  # the group's other tip marked
        analyst_client.post(TAKE_NEXT)
    assert Tip.objects.get(pk=started.pk).group_read
    with django_assert_num_queries(TAKE_NEXT_QUERIES):  # a tip alone: nothing to mark
        assert taken_by(analyst_client, 1) == [alone.pk]


def test_a_regroup_and_a_retention_deletion_count_the_flag_again(analyst, public_object):
    started = [grouped(public_object, hours_ago=hours) for hours in (6, 5)]
    other = "The wallpaper is from an IKEA catalogue of 1998, pattern Alvine."
    untouched = [grouped(public_object, other, hours_ago=hours) for hours in (9, 8)]
    triage.tip_reject(tip=started[0], by=analyst, reason="spam")

    grouping.tips_regroup(traced_object=public_object)
    assert group_reads() == {
        started[0].pk: True,
        started[1].pk: True,
        untouched[0].pk: False,
        untouched[1].pk: False,
    }
    Tip.objects.filter(pk=started[0].pk).update(closed_at=timezone.now() - timedelta(days=3650))
    retention_apply()  # the only tip anyone touched, rejected long ago, is deleted
    assert group_reads() == {started[1].pk: False, untouched[0].pk: False, untouched[1].pk: False}
