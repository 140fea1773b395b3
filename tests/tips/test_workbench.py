"""The analyst's workbench on a tip's page: the object beside the tip, an urgent report's
banner, forwarding in one step (the summary prefilled from the latest note) and the reason
a tip was rejected.

Personas (tests/conftest.py): the analyst ana; ines and sam own the case of `public_object`.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import received
from tips import triage
from tips.models import FloodState, RejectReason, Tip, TipGroup, TipKind, TipNote, TipStatus
from tips.workbench.common import forward_create_url

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
# Session, user, OTP device, two permission reads; the tip with its object, assignee and group
# (read once for the audit and the page) and the audit entry; the follow-ups and messages
# inlines, its duplicates and similar tips (one query), the claims and the notes; the session
# saved in a savepoint (3). The object beside the tip, and the number of notes, cost nothing more.
TIP_PAGE_QUERY_CAP = 15


def change_url(tip: Tip) -> str:
    return reverse("admin:tips_tip_change", args=[tip.pk])


@pytest.fixture
def pictured_object(public_object):
    public_object.display = "objects/x.jpg"
    public_object.display_width, public_object.display_height = 960, 640
    public_object.questions = f"Which shop sells this? {SCRIPT}"
    public_object.region_hint = "Northern Europe"
    public_object.save(update_fields=["display", "display_width", "display_height"])
    type(public_object).objects.filter(pk=public_object.pk).update(
        questions=public_object.questions, region_hint=public_object.region_hint
    )
    return public_object


# --- The object beside the tip ---------------------------------------------------------------


def test_the_tip_page_shows_the_objects_image_question_and_region_hint(
    analyst_client, pictured_object
):
    tip = received(pictured_object)

    page = analyst_client.get(change_url(tip)).content.decode()

    image = reverse("admin:objects_tracedobject_image", args=[pictured_object.pk, "display"])
    assert f'<a href="{image}" class="tip-object-image"><img src="{image}"' in page
    assert 'width="320" height="213"' in page
    assert "Which shop sells this? &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert SCRIPT not in page
    assert "Northern Europe" in page
    object_page = reverse("admin:objects_tracedobject_change", args=[pictured_object.pk])
    assert f'<a href="{object_page}">{pictured_object.code}</a>' in page
    assert "css/tip-workbench.css" in page


def test_a_report_has_no_object_beside_it(analyst_client):
    tip = received(None)

    response = analyst_client.get(change_url(tip))

    assert response.status_code == 200
    assert response.context["beside"] is None
    assert 'id="tip-object"' not in response.content.decode()


def test_an_urgent_report_shows_the_banner_and_what_was_reported(analyst_client):
    tip = received(None, urgent=True, body=f"A child at the fair {SCRIPT}")
    assert tip.kind == TipKind.REPORT

    page = analyst_client.get(change_url(tip)).content.decode()

    # The banner names what was reported (escaped), as the back office's banner does.
    banner = "Urgent report: a child may be in danger now: “A child at the fair &lt;script&gt;"
    assert page.count(banner) == 1
    assert "What was reported" in page
    assert "What you recognise" not in page
    assert "A child at the fair &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert SCRIPT not in page


def test_a_tip_on_an_object_has_no_banner_and_keeps_its_label(analyst_client, public_object):
    tip = received(public_object)

    page = analyst_client.get(change_url(tip)).content.decode()

    assert "Urgent report" not in page
    assert "What you recognise" in page
    assert "What was reported" not in page


def test_the_tip_page_runs_a_fixed_number_of_queries(
    analyst_client, analyst, pictured_object, django_assert_max_num_queries
):
    tip = received(pictured_object)
    for text in ("first", "second", "third"):
        triage.tip_add_note(tip=tip, by=analyst, body=text)
    for _ in range(3):
        received(pictured_object)
    analyst_client.get(change_url(tip))  # warm caches (permissions, content types)

    with django_assert_max_num_queries(TIP_PAGE_QUERY_CAP):
        response = analyst_client.get(change_url(tip))

    assert response.status_code == 200


# --- Forward in one step -------------------------------------------------------------------


def test_the_tip_page_links_to_the_forward_page_for_this_tip(analyst_client, public_object):
    tip = received(public_object)

    page = analyst_client.get(change_url(tip)).content.decode()

    assert f'<a href="{forward_create_url([tip.pk])}" class="button">Forward</a>' in page


def test_a_closed_tip_and_a_read_only_viewer_get_no_forward_link(
    client, analyst, administrator, public_object
):
    from tests.conftest import staff_login

    tip = received(public_object)
    staff_login(client, administrator)
    assert client.get(change_url(tip)).context["forward_url"] == ""

    triage.tip_close(tip=tip, by=analyst)
    staff_login(client, analyst)
    assert client.get(change_url(tip)).context["forward_url"] == ""


def test_the_forward_page_prefills_the_summary_with_the_latest_note(
    analyst_client, analyst, public_object
):
    older, newer = received(public_object), received(public_object)
    triage.tip_add_note(tip=newer, by=analyst, body="Older note")
    latest = triage.tip_add_note(tip=older, by=analyst, body=f"Seen in Lyon {SCRIPT}")
    TipNote.objects.filter(pk=latest.pk).update(created_at=timezone.now() + timedelta(minutes=1))

    response = analyst_client.get(forward_create_url([older.pk, newer.pk]))

    assert response.context["form"].initial["summary"] == f"Seen in Lyon {SCRIPT}"
    page = response.content.decode()
    assert "Seen in Lyon &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert SCRIPT not in page


def test_the_forward_page_leaves_the_summary_empty_without_a_note(analyst_client, public_object):
    tip = received(public_object)

    response = analyst_client.get(forward_create_url([tip.pk]))

    assert response.context["form"].initial["summary"] == ""


# --- The reason a tip was rejected ---------------------------------------------------------


@pytest.mark.parametrize("reason", ["spam", "irrelevant"])
def test_rejecting_stores_the_reason_on_the_tip(analyst_client, analyst, public_object, reason):
    tip = received(public_object)

    triage.tip_reject(tip=tip, by=analyst, reason=reason)

    assert tip.rejected_reason == reason
    tip.refresh_from_db()
    assert (tip.status, tip.rejected_reason) == (TipStatus.REJECTED, reason)
    page = analyst_client.get(change_url(tip)).content.decode()
    assert str(RejectReason(reason).label) in page


def test_the_reject_button_stores_the_reason(analyst_client, public_object):
    tip = received(public_object)

    analyst_client.post(
        reverse("admin:tips_tip_triage", args=[tip.pk]), {"do": "reject_irrelevant"}
    )

    tip.refresh_from_db()
    assert tip.rejected_reason == RejectReason.IRRELEVANT


def test_reopening_a_rejected_tip_clears_its_reason(analyst, public_object):
    tip = received(public_object)
    triage.tip_reject(tip=tip, by=analyst, reason="spam")

    assert triage.tip_reopen(tip=tip, by=analyst)

    tip.refresh_from_db()
    assert (tip.status, tip.rejected_reason) == (TipStatus.IN_REVIEW, "")


def test_rejecting_a_held_flood_stores_spam_on_its_tips(analyst, public_object):
    group = TipGroup.objects.create(
        traced_object=public_object, flood=FloodState.HELD, flood_detected_at=timezone.now()
    )
    tips = [received(public_object) for _ in range(2)]
    Tip.objects.filter(pk__in=[tip.pk for tip in tips]).update(group=group)

    assert triage.tip_flood_reject(group=group, by=analyst) == 2

    assert set(Tip.objects.filter(group=group).values_list("rejected_reason", flat=True)) == {
        RejectReason.SPAM
    }
