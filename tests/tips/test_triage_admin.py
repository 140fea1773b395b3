"""The triage queue in the back office: the list, its filters and count, take-next, bulk
actions, and a tip's page (buttons, notes, group, audit of every view).

Personas (tests/conftest.py): the analysts ana and ben; the administrator adam, who may
read tips but change none.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from tests.conftest import staff_login
from tests.factories import received, tip_at
from tips import triage
from tips.columns import humanised_age
from tips.models import Tip, TipMessage, TipNote, TipStatus
from tips.services import tip_add_follow_up
from traceobject.pagination import CappedPaginator

pytestmark = pytest.mark.django_db

S = TipStatus
CHANGELIST = reverse("admin:tips_tip_changelist")
TAKE_NEXT = reverse("admin:tips_tip_take_next")
SCRIPT = "<script>alert(1)</script>"
# Login and 2FA (session, user, OTP device, two permission reads, the session saved in a
# savepoint: 8), then the queue's own three (object filter, capped count, the page), its
# audit entry (one look for the same page this minute, one insert: tips/reading.py), and one
# to spare. The number of tips must not matter.
QUEUE_QUERY_CAP = 14


def listed(client: Client, query: str = "") -> list[int]:
    return [tip.pk for tip in client.get(CHANGELIST + query).context["cl"].result_list]


def change_url(tip: Tip) -> str:
    return reverse("admin:tips_tip_change", args=[tip.pk])


def triage_url(tip: Tip) -> str:
    return reverse("admin:tips_tip_triage", args=[tip.pk])


def act(client: Client, action: str, tips, **extra):
    data = {"action": action, "_selected_action": [tip.pk for tip in tips], **extra}
    return client.post(CHANGELIST, data)


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- The list -------------------------------------------------------------------------------


def test_the_queue_shows_status_object_age_urgency_group_and_assignee(
    analyst_client, analyst, public_object
):
    root = tip_at(public_object, hours_ago=50, assigned_to=analyst)
    member = tip_at(public_object, hours_ago=3)
    triage.tip_mark_duplicate(tip=member, of=root, by=analyst)

    html = analyst_client.get(CHANGELIST).content.decode()

    assert public_object.code in html and "Duplicate" in html
    assert "2 d" in html and "3 h" in html
    assert f"#{root.pk}" in html and ">ana<" in html
    assert "Lidl" in html  # the start of what the tipster wrote


def test_ages_are_humanised():
    now = timezone.now()
    assert humanised_age(now - timedelta(minutes=12), now) == "12 min"
    assert humanised_age(now - timedelta(hours=3, minutes=50), now) == "3 h"
    assert humanised_age(now - timedelta(days=2, hours=5), now) == "2 d"


def test_the_queue_runs_a_fixed_number_of_queries_for_50_tips(
    analyst_client, analyst, public_object, django_assert_max_num_queries
):
    for number in range(50):
        tip = tip_at(public_object if number % 2 else None, hours_ago=number)
        if number % 3 == 0:
            Tip.objects.filter(pk=tip.pk).update(assigned_to=analyst)
        if number % 4 == 0:
            tip_add_follow_up(tip=tip, body="More information.")
        if number % 5 == 0 and number:
            Tip.objects.filter(pk=tip.pk).update(status=S.DUPLICATE, duplicate_of=tip.pk - 1)

    with django_assert_max_num_queries(QUEUE_QUERY_CAP):
        response = analyst_client.get(CHANGELIST)
    with django_assert_max_num_queries(QUEUE_QUERY_CAP):
        analyst_client.get(
            CHANGELIST + "?status__exact=new&assigned=none&age=older&urgent__exact=0"
        )

    assert len(response.context["cl"].result_list) == 50


def test_the_queue_never_counts_the_tip_table_without_a_limit(
    analyst_client, public_object, django_assert_max_num_queries
):
    for hours in range(3):
        tip_at(public_object, hours_ago=hours)

    with django_assert_max_num_queries(QUEUE_QUERY_CAP) as captured:
        analyst_client.get(CHANGELIST + "?status__exact=new")

    sql = [query["sql"].upper() for query in captured.captured_queries]
    counts = [query for query in sql if query.startswith("SELECT COUNT(")]
    assert counts, "the list counts its rows once, within a cap"
    assert all("LIMIT 10001" in query for query in counts), counts


def test_the_count_stops_at_the_cap_and_the_list_says_so(
    analyst_client, public_object, monkeypatch
):
    monkeypatch.setattr(CappedPaginator, "cap", 4)
    for hours in range(6):
        tip_at(public_object, hours_ago=hours)

    response = analyst_client.get(CHANGELIST)

    assert response.context["cl"].result_count == 5  # cap + 1: "more than" is all we know
    assert response.context["cl"].paginator.capped
    assert "More than 4 tips" in response.content.decode()


def test_the_paginator_counts_at_most_the_cap_plus_one(public_object, monkeypatch):
    for hours in range(3):
        tip_at(public_object, hours_ago=hours)

    assert CappedPaginator(Tip.objects.all(), 50).count == 3
    monkeypatch.setattr(CappedPaginator, "cap", 1)
    paginator = CappedPaginator(Tip.objects.all(), 50)
    assert paginator.count == 2 and paginator.capped


def test_the_list_is_newest_first_but_the_new_view_is_urgent_first_then_oldest(
    analyst_client, public_object
):
    old = tip_at(public_object, hours_ago=30)
    recent = tip_at(public_object, hours_ago=1)
    urgent = tip_at(hours_ago=5, urgent=True)
    reviewed = tip_at(public_object, hours_ago=0.5, status=S.IN_REVIEW)

    assert listed(analyst_client) == [reviewed.pk, recent.pk, urgent.pk, old.pk]
    assert listed(analyst_client, "?status__exact=new") == [urgent.pk, old.pk, recent.pk]


def test_the_assigned_filter_shows_mine_unassigned_or_anyone(
    analyst_client, analyst, second_analyst, public_object
):
    mine = tip_at(public_object, assigned_to=analyst)
    theirs = tip_at(public_object, assigned_to=second_analyst)
    nobodys = tip_at(public_object)

    assert listed(analyst_client, "?assigned=me") == [mine.pk]
    assert listed(analyst_client, "?assigned=none") == [nobodys.pk]
    assert set(listed(analyst_client)) == {mine.pk, theirs.pk, nobodys.pk}


def test_the_age_urgency_object_and_language_filters(analyst_client, public_object):
    fresh = tip_at(public_object, hours_ago=2)
    days = tip_at(public_object, hours_ago=24 * 3)
    weeks = tip_at(public_object, hours_ago=24 * 20, language="xx")
    urgent = tip_at(hours_ago=30, urgent=True)

    assert listed(analyst_client, "?age=day") == [fresh.pk]
    assert set(listed(analyst_client, "?age=week")) == {days.pk, urgent.pk}
    assert listed(analyst_client, "?age=older") == [weeks.pk]
    assert listed(analyst_client, "?urgent__exact=1") == [urgent.pk]
    assert set(listed(analyst_client, f"?object={public_object.pk}")) == {
        fresh.pk,
        days.pk,
        weeks.pk,
    }
    assert set(listed(analyst_client, "?language=en")) == {fresh.pk, days.pk, urgent.pk}
    html = analyst_client.get(CHANGELIST).content.decode()
    assert f"?object={public_object.pk}" in html and public_object.code in html


def test_the_list_searches_what_tipsters_wrote(analyst_client, public_object):
    tip_at(public_object, body="Sold at Biedronka in Gdansk.")
    ikea = tip_at(public_object, body="Looks like an IKEA wallpaper.")

    assert listed(analyst_client, "?q=ikea") == [ikea.pk]


# --- Take the next tip ----------------------------------------------------------------------


def test_the_take_next_button_assigns_the_next_tip_and_opens_it(
    analyst_client, analyst, public_object
):
    tip_at(public_object, hours_ago=1)
    oldest = tip_at(public_object, hours_ago=9)

    assert f'action="{TAKE_NEXT}"' in analyst_client.get(CHANGELIST).content.decode()
    response = analyst_client.post(TAKE_NEXT)

    assert response.status_code == 302 and response["Location"] == change_url(oldest)
    oldest.refresh_from_db()
    assert oldest.assigned_to == analyst and oldest.status == S.IN_REVIEW


def test_take_next_with_nothing_waiting_says_so(analyst_client):
    response = analyst_client.post(TAKE_NEXT)

    assert response.status_code == 302 and response["Location"] == CHANGELIST
    assert said(response) == ["No new tips are waiting."]


# --- Bulk actions ---------------------------------------------------------------------------


def test_closing_many_tips_says_how_many_closed_and_how_many_were_already_closed(
    analyst_client, public_object
):
    open_tips = [tip_at(public_object) for _ in range(3)]
    closed = tip_at(public_object, status=S.CLOSED, closed_at=timezone.now())

    response = act(analyst_client, "close_tips", [*open_tips, closed])

    assert said(response) == ["3 closed; 1 was already closed or rejected."]
    assert Tip.objects.filter(status=S.CLOSED, closed_at__isnull=False).count() == 4
    assert AuditEntry.objects.filter(action="tip.closed").count() == 3


@pytest.mark.parametrize(
    ("action", "status", "reason"),
    [("reject_as_spam", S.REJECTED, "spam"), ("reject_as_irrelevant", S.REJECTED, "irrelevant")],
)
def test_rejecting_tips_records_the_reason(analyst_client, public_object, action, status, reason):
    tips = [tip_at(public_object), tip_at(public_object)]

    response = act(analyst_client, action, tips)

    assert said(response) == ["2 rejected."]
    assert {entry.data["reason"] for entry in AuditEntry.objects.filter(action="tip.rejected")} == {
        reason
    }
    assert set(Tip.objects.values_list("status", flat=True)) == {status}


def test_mark_in_review_and_assign_to_me_actions(
    analyst_client, analyst, second_analyst, public_object
):
    new = tip_at(public_object)
    reviewed = tip_at(public_object, status=S.IN_REVIEW, assigned_to=second_analyst)

    assert said(act(analyst_client, "mark_in_review", [new, reviewed]))[-1] == (
        "1 marked in review; 1 was not new or waiting for information."
    )
    assert said(act(analyst_client, "take_tips", [new, reviewed]))[-1] == "2 assigned to you."
    assert set(Tip.objects.values_list("assigned_to", flat=True)) == {analyst.pk}


def test_mark_as_duplicate_asks_for_the_original_then_groups_the_tips(
    analyst_client, analyst, public_object
):
    root, member, first, second = (tip_at(public_object, hours_ago=h) for h in (4, 3, 2, 1))
    triage.tip_mark_duplicate(tip=member, of=root, by=analyst)

    page = act(analyst_client, "mark_duplicate", [first, second])
    assert page.status_code == 200 and 'name="original"' in page.content.decode()

    response = act(
        analyst_client, "mark_duplicate", [first, second], post="yes", original=str(member.pk)
    )

    assert said(response) == [f"2 marked duplicates in the group of tip #{root.pk}."]
    assert set(Tip.objects.filter(duplicate_of=root).values_list("pk", flat=True)) == {
        member.pk,
        first.pk,
        second.pk,
    }


def test_mark_as_duplicate_of_an_unknown_tip_asks_again(analyst_client, public_object):
    tip = tip_at(public_object)

    response = act(analyst_client, "mark_duplicate", [tip], post="yes", original="99999")

    assert response.status_code == 200
    assert "There is no tip with this number." in response.content.decode()
    tip.refresh_from_db()
    assert tip.status == S.NEW


def test_forward_sends_the_selected_tips_to_the_forwarding_page(analyst_client, public_object):
    tips = [
        tip_at(public_object, body="Sold at Rossmann."),
        tip_at(public_object, body="Lidl, Poland."),
    ]

    response = act(analyst_client, "forward_tips", tips)

    assert response.status_code == 302
    forward_page = reverse("admin:moderation_forward_create")
    assert response["Location"] == f"{forward_page}?tips={tips[0].pk},{tips[1].pk}"
    html = analyst_client.get(response["Location"]).content.decode()
    assert "Sold at Rossmann." in html and "Lidl, Poland." in html


# --- A tip's page -----------------------------------------------------------------------------


def test_opening_a_tip_page_is_audited_every_time(analyst_client, administrator, public_object):
    tip = tip_at(public_object)

    analyst_client.get(change_url(tip))
    analyst_client.get(change_url(tip))
    staff_login(Client(), administrator).get(change_url(tip))

    opened = AuditEntry.objects.filter(action="tip.viewed", target_id=str(tip.pk))
    assert sorted(opened.values_list("username", flat=True)) == ["adam", "ana", "ana"]


def test_the_status_buttons_change_the_tip_and_a_second_click_changes_nothing(
    analyst_client, public_object
):
    tip = tip_at(public_object)
    html = analyst_client.get(change_url(tip)).content.decode()
    assert f'action="{triage_url(tip)}"' in html and 'value="close"' in html

    response = analyst_client.post(triage_url(tip), {"do": "close"})
    assert response.status_code == 302 and response["Location"] == change_url(tip)
    again = analyst_client.post(triage_url(tip), {"do": "close"})

    assert said(again)[-1].startswith("Nothing changed")
    tip.refresh_from_db()
    assert tip.status == S.CLOSED and tip.closed_at is not None
    assert 'value="reopen"' in analyst_client.get(change_url(tip)).content.decode()
    analyst_client.post(triage_url(tip), {"do": "reopen"})
    tip.refresh_from_db()
    assert tip.status == S.IN_REVIEW and tip.closed_at is None


def test_the_page_marks_a_tip_a_duplicate_and_shows_its_group(
    analyst_client, analyst, public_object
):
    root, member, tip = (tip_at(public_object, hours_ago=h) for h in (3, 2, 1))
    triage.tip_mark_duplicate(tip=member, of=root, by=analyst)

    analyst_client.post(triage_url(tip), {"do": "duplicate", "original": str(member.pk)})

    tip.refresh_from_db()
    assert tip.duplicate_of_id == root.pk
    html = analyst_client.get(change_url(root)).content.decode()
    assert change_url(member) in html and change_url(tip) in html
    html = analyst_client.get(change_url(tip)).content.decode()
    assert f"This tip is a duplicate of tip #{root.pk}" in html and change_url(member) in html


def test_notes_are_added_by_post_and_shown_escaped(analyst_client, public_object):
    tip = tip_at(public_object)
    note_url = reverse("admin:tips_tip_note", args=[tip.pk])

    response = analyst_client.post(note_url, {"body": f"Check the Gdansk lead {SCRIPT}"})

    assert response.status_code == 302
    assert TipNote.objects.get().body == f"Check the Gdansk lead {SCRIPT}"
    html = analyst_client.get(change_url(tip)).content.decode()
    assert "Check the Gdansk lead &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html
    assert AuditEntry.objects.filter(action="tip.note_added").count() == 1
    assert analyst_client.get(note_url).status_code == 405


# --- Who may only read --------------------------------------------------------------------


def test_an_administrator_reads_a_tip_and_its_notes_but_can_change_nothing(
    client, administrator, analyst, public_object
):
    """Administrators hold tips.view_tip but not change_tip: no button is offered, and a
    forged POST to any of them is refused (every cell is also in the permission matrix)."""
    tip = received(public_object, contact="tipster@example.org")
    triage.tip_add_note(tip=tip, by=analyst, body="An internal note.")
    staff_login(client, administrator)

    queue = client.get(CHANGELIST).content.decode()
    assert "Take the next tip" not in queue and "close_tips" not in queue
    html = client.get(change_url(tip)).content.decode()
    assert "An internal note." in html
    assert triage_url(tip) not in html and 'name="do"' not in html
    assert "Reveal contact details" not in html and "Ask the tipster" not in html

    assert client.get(TAKE_NEXT).status_code == 405
    assert client.post(TAKE_NEXT).status_code == 403
    act(client, "close_tips", [tip])
    assert client.post(triage_url(tip), {"do": "close"}).status_code == 403
    note_url = reverse("admin:tips_tip_note", args=[tip.pk])
    assert client.post(note_url, {"body": "Mine"}).status_code == 403
    ask_url = reverse("admin:tips_tip_ask", args=[tip.pk])
    assert client.post(ask_url, {"body": "Where exactly?"}).status_code == 403
    reveal = client.post(reverse("admin:tips_tip_reveal_contact", args=[tip.pk]))
    assert reveal.status_code == 403 and "tipster@example.org" not in reveal.content.decode()
    tip.refresh_from_db()
    assert (tip.status, tip.assigned_to) == (S.NEW, None)
    assert TipNote.objects.count() == 1 and not TipMessage.objects.exists()
    assert not AuditEntry.objects.filter(action__in=["tip.closed", "tip.taken"]).exists()
