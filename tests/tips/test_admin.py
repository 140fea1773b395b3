"""The tips back office: the list, the status, escaping, contact details on demand,
questions to the tipster, and the outbox.

Personas (tests/conftest.py): the analyst ana, in the Analyst group. What an administrator,
who may only read tips, is offered is in test_triage_admin.py; the queue's filters, search
and query count are there too.
"""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from moderation.models import Forward
from outbox.models import OutboxMessage
from tests.conftest import staff_login
from tests.factories import TIP_TEXT, tip_sent
from tips.models import Tip, TipFollowUp, TipKind, TipMessage, TipStatus
from tips.services import tip_add_follow_up

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:tips_tip_changelist")
OUTBOX = reverse("admin:outbox_outboxmessage_changelist")
CONTACT = "ada.tipster@example.org"

SCRIPT = "<script>alert(1)</script>"
JS_LINK = '<a href="javascript:alert(2)">click</a>'


def change_url(tip) -> str:
    return reverse("admin:tips_tip_change", args=[tip.pk])


def reveal_url(tip) -> str:
    return reverse("admin:tips_tip_reveal_contact", args=[tip.pk])


def ask_url(tip) -> str:
    return reverse("admin:tips_tip_ask", args=[tip.pk])


def status_post(status: str, **extra) -> dict:
    """The change form as the old status dropdown sent it: the status, empty inline formsets."""
    data = {"status": status, "_save": "Save", **extra}
    for prefix in ("follow_ups", "messages"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    return data


# --- The list -----------------------------------------------------------------------------


def test_the_list_shows_each_tip_with_its_object_status_contact_and_follow_up_count(
    analyst_client, public_object
):
    tip = tip_sent(public_object, contact=CONTACT).tip
    tip_add_follow_up(tip=tip, body="It is also sold in Czechia.")
    tip_add_follow_up(tip=tip, body="And in Slovakia.")
    tip_sent(body="A report about a child in a video I saw online.", urgent=True)

    response = analyst_client.get(CHANGELIST)

    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert [row.kind for row in rows] == [TipKind.REPORT, TipKind.OBJECT]
    assert rows[1].follow_up_count == 2 and rows[0].follow_up_count == 0
    html = response.content.decode()
    assert public_object.code in html and "New" in html
    assert CONTACT not in html  # contact details stay encrypted
    assert TIP_TEXT in html  # the start of what the tipster wrote


def test_the_list_is_newest_first_and_filters_by_status_urgency_and_kind(
    analyst_client, public_object
):
    old = tip_sent(public_object).tip
    Tip.objects.filter(pk=old.pk).update(
        received_at=timezone.now() - timezone.timedelta(days=2), status=TipStatus.IN_REVIEW
    )
    report = tip_sent(body="A report about something I saw on a forum.", urgent=True).tip
    newest = tip_sent(public_object).tip

    def listed(query: str = "") -> list[int]:
        return [tip.pk for tip in analyst_client.get(CHANGELIST + query).context["cl"].result_list]

    assert listed() == [newest.pk, report.pk, old.pk]
    assert listed("?status__exact=in_review") == [old.pk]
    assert listed("?urgent__exact=1") == [report.pk]
    assert listed("?kind__exact=object") == [newest.pk, old.pk]


# --- No adding, no deleting, only the status changes ---------------------------------------


def test_tips_cannot_be_added_or_deleted_in_the_back_office(analyst_client, public_object):
    tip = tip_sent(public_object).tip

    assert analyst_client.get(reverse("admin:tips_tip_add")).status_code == 403
    assert (
        analyst_client.post(
            reverse("admin:tips_tip_delete", args=[tip.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert "delete_selected" not in analyst_client.get(CHANGELIST).content.decode()
    assert Tip.objects.filter(pk=tip.pk).exists()


@pytest.mark.parametrize(
    "status", [TipStatus.FORWARDED, TipStatus.DUPLICATE, TipStatus.CLOSED, TipStatus.IN_REVIEW]
)
def test_the_tip_page_refuses_a_posted_status_and_changes_nothing(
    analyst_client, public_object, status
):
    """A status has its record (a forward, a group, a closing time): only the triage buttons
    change it. Posting one to the page as the old status dropdown did is refused."""
    tip = tip_sent(public_object, where="Supermarkets", links=["https://example.org/a"]).tip

    response = analyst_client.post(
        change_url(tip), status_post(status, body="Rewritten by staff", where="Elsewhere")
    )

    assert response.status_code == 405
    tip.refresh_from_db()
    assert (tip.status, tip.duplicate_of_id, tip.closed_at) == (TipStatus.NEW, None, None)
    assert (tip.body, tip.where) == (TIP_TEXT, "Supermarkets")
    assert not Forward.objects.exists()
    assert not AuditEntry.objects.filter(action__in=["tip.forwarded", "tip.marked_duplicate"])


def test_the_tip_page_shows_the_status_read_only_without_save_buttons(
    analyst_client, public_object
):
    tip = tip_sent(public_object).tip

    html = analyst_client.get(change_url(tip)).content.decode()

    assert 'name="status"' not in html
    assert 'name="_save"' not in html and 'name="_continue"' not in html
    assert "Mark in review" in html  # the transitions are the way to change it


# --- Escaping -------------------------------------------------------------------------------


def test_everything_a_tipster_wrote_is_shown_escaped_and_links_are_not_clickable(
    analyst_client, public_object
):
    tip = tip_sent(
        public_object,
        body=f"Seen here {SCRIPT}",
        where=JS_LINK,
        links=["javascript:alert(3)", f"https://example.org/{SCRIPT}"],
    ).tip
    tip_add_follow_up(tip=tip, body=f"More: {SCRIPT} {JS_LINK}")

    html = analyst_client.get(change_url(tip)).content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;a href=&quot;javascript:alert(2)&quot;&gt;click&lt;/a&gt;" in html
    assert "javascript:alert(3)" in html and "https://example.org/&lt;script&gt;" in html
    assert "<script>alert" not in html
    assert 'href="javascript:' not in html
    assert 'href="https://example.org/' not in html


# --- Contact details on demand --------------------------------------------------------------


def test_the_tip_page_says_contact_details_were_given_but_does_not_show_them(
    analyst_client, public_object
):
    tip = tip_sent(public_object, contact=CONTACT).tip

    html = analyst_client.get(change_url(tip)).content.decode()

    assert "Contact details given" in html and "yes" in html
    assert CONTACT not in html and tip.contact_encrypted not in html
    assert f'action="{reveal_url(tip)}"' in html and "Reveal contact details" in html


def test_a_tip_without_contact_details_has_nothing_to_reveal(analyst_client, public_object):
    tip = tip_sent(public_object).tip

    html = analyst_client.get(change_url(tip)).content.decode()
    assert "Reveal contact details" not in html

    response = analyst_client.post(reveal_url(tip))
    assert "No contact details are stored for this tip" in response.content.decode()


def test_revealing_contact_details_shows_them_escaped_on_a_page_no_one_may_store_and_is_audited(
    analyst_client, public_object
):
    tip = tip_sent(public_object, contact=f"{CONTACT} {SCRIPT}").tip

    response = analyst_client.post(reveal_url(tip))

    assert response.status_code == 200
    html = response.content.decode()
    assert f"{CONTACT} &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html
    assert "no-store" in response["Cache-Control"]
    entry = AuditEntry.objects.get(action="tip.contact_revealed")
    assert entry.target_id == str(tip.pk) and entry.data == {"revealed": True}
    assert CONTACT not in str(entry.data)


def test_revealing_needs_a_post_with_a_csrf_token(analyst, public_object):
    tip = tip_sent(public_object, contact=CONTACT).tip
    browser = Client(enforce_csrf_checks=True)
    staff_login(browser, analyst)

    assert browser.get(reveal_url(tip)).status_code == 405
    forged = browser.post(reveal_url(tip))
    assert forged.status_code == 403 and CONTACT not in forged.content.decode()

    page = browser.get(change_url(tip))
    token = page.context["csrf_token"]
    assert (
        CONTACT
        in browser.post(reveal_url(tip), {"csrfmiddlewaretoken": str(token)}).content.decode()
    )


def test_a_contact_encrypted_with_a_removed_key_gets_a_clear_message(
    analyst_client, public_object, settings
):
    tip = tip_sent(public_object, contact=CONTACT).tip
    settings.TIP_CONTACT_KEYS = [Fernet.generate_key().decode()]

    response = analyst_client.post(reveal_url(tip))

    assert response.status_code == 200
    html = response.content.decode()
    assert "the key they were encrypted with is missing from TIP_CONTACT_KEYS" in html
    assert CONTACT not in html


def test_an_unknown_tip_is_not_found(analyst_client):
    assert analyst_client.post(reveal_url(Tip(pk=999))).status_code == 404
    assert analyst_client.get(ask_url(Tip(pk=999))).status_code == 404


# --- Follow-ups and questions --------------------------------------------------------------


def test_follow_ups_and_questions_are_shown_read_only(analyst_client, analyst, public_object):
    tip = tip_sent(public_object).tip
    tip_add_follow_up(tip=tip, body="It is also sold in Czechia.")
    TipMessage.objects.create(tip=tip, author=analyst, body="Which city exactly?")

    response = analyst_client.get(change_url(tip))

    html = response.content.decode()
    assert "It is also sold in Czechia." in html and "Which city exactly?" in html
    assert 'name="follow_ups-0-body"' not in html and 'name="messages-0-body"' not in html
    assert 'name="follow_ups-MAX_NUM_FORMS" value="0"' in html


def test_asking_the_tipster_sets_needs_info_and_the_receipt_shows_the_question(
    analyst_client, analyst, public_object
):
    sent = tip_sent(public_object)

    response = analyst_client.post(ask_url(sent.tip), {"body": "Which city was it in? <b>bold</b>"})

    assert response.status_code == 302 and response["Location"] == change_url(sent.tip)
    message = TipMessage.objects.get()
    assert message.author == analyst and message.tip == sent.tip
    sent.tip.refresh_from_db()
    assert sent.tip.status == TipStatus.NEEDS_INFO

    visitor = Client()
    html = visitor.post(reverse("tips:receipt"), {"receipt": sent.receipt}).content.decode()
    assert "Which city was it in? &lt;b&gt;bold&lt;/b&gt;" in html


def test_the_tip_page_has_a_form_to_ask_the_tipster(analyst_client, public_object):
    tip = tip_sent(public_object).tip

    html = analyst_client.get(change_url(tip)).content.decode()

    assert f'action="{ask_url(tip)}"' in html and 'name="body"' in html


def test_a_question_leaves_a_forwarded_tip_forwarded(analyst_client, public_object):
    tip = tip_sent(public_object).tip
    Tip.objects.filter(pk=tip.pk).update(status=TipStatus.FORWARDED)

    analyst_client.post(ask_url(tip), {"body": "Do you have a photo of the label?"})

    tip.refresh_from_db()
    assert tip.status == TipStatus.FORWARDED and TipMessage.objects.count() == 1


def test_a_closed_tip_cannot_be_asked_a_question(analyst_client, public_object):
    tip = tip_sent(public_object).tip
    Tip.objects.filter(pk=tip.pk).update(status=TipStatus.CLOSED, closed_at=timezone.now())

    response = analyst_client.post(ask_url(tip), {"body": "Are you still there?"})

    assert response.status_code == 200
    assert "Reopen it before asking a question" in response.content.decode()
    assert not TipMessage.objects.exists()
    assert "Ask the tipster" not in analyst_client.get(change_url(tip)).content.decode()


def test_an_empty_question_is_refused_and_shown_again(analyst_client, public_object):
    tip = tip_sent(public_object).tip

    response = analyst_client.post(ask_url(tip), {"body": "  "})

    assert response.status_code == 200 and response.context["form"].errors
    tip.refresh_from_db()
    assert tip.status == TipStatus.NEW and not TipMessage.objects.exists()


# --- The outbox --------------------------------------------------------------------------


def test_the_outbox_list_is_read_only_and_filters_sent_and_pending(analyst_client):
    sent = OutboxMessage.objects.create(
        task="tips.tasks.alert_urgent_report", kwargs={"tip_id": 1}, sent_at=timezone.now()
    )
    pending = OutboxMessage.objects.create(
        task="tips.tasks.alert_urgent_report",
        kwargs={"tip_id": 2},
        attempts=3,
        last_error="ConnectionError('broker down')",
    )

    response = analyst_client.get(OUTBOX)
    assert response.status_code == 200
    assert "broker down" in response.content.decode()
    assert [
        m.pk for m in analyst_client.get(OUTBOX, {"state": "pending"}).context["cl"].result_list
    ] == [pending.pk]
    assert [
        m.pk for m in analyst_client.get(OUTBOX, {"state": "sent"}).context["cl"].result_list
    ] == [sent.pk]
    assert analyst_client.get(reverse("admin:outbox_outboxmessage_add")).status_code == 403
    change = reverse("admin:outbox_outboxmessage_change", args=[pending.pk])
    analyst_client.post(change, {"task": "something.else", "attempts": "0"})
    pending.refresh_from_db()
    assert pending.task == "tips.tasks.alert_urgent_report" and pending.attempts == 3
    delete = reverse("admin:outbox_outboxmessage_delete", args=[pending.pk])
    assert analyst_client.post(delete, {"post": "yes"}).status_code == 403


def test_follow_ups_have_no_back_office_pages_of_their_own(analyst_client, public_object):
    tip = tip_sent(public_object).tip
    tip_add_follow_up(tip=tip, body="More information.")

    assert analyst_client.get("/backoffice/tips/tipfollowup/").status_code == 404
    assert TipFollowUp.objects.count() == 1
