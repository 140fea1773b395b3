"""Forwarding tips to case owners: the services, the mails and the analysts' create page.

Personas: those of tests/conftest.py.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from moderation.forwarding import (
    forward_acknowledge,
    forward_recipients_default,
    forward_record_outcome,
    staff_preference_set,
    tip_forward,
)
from moderation.models import Forward, ForwardOutcome, NotifyMode
from moderation.tasks import notify_forward, send_forward_digests
from tests.conftest import staff_login
from tests.factories import TIP_TEXT, received
from tips.models import Tip, TipStatus

pytestmark = pytest.mark.django_db


def forwarded(tips, *, to, by, summary="Strong lead: the brand is Polish.") -> list[Forward]:
    return tip_forward(tips=list(tips), recipients=[to], by=by, summary=summary)


# --- Recipients and the forward itself ------------------------------------------------------


def test_the_default_recipients_are_the_owners_of_the_objects_case(
    public_object, investigator, second_investigator
):
    tip = received(public_object)

    assert forward_recipients_default(tip=tip) == [investigator, second_investigator]


def test_a_report_without_an_object_has_no_default_recipient(db):
    assert forward_recipients_default(tip=received()) == []


def test_forwarding_creates_a_forward_and_sets_the_tip_forwarded(
    public_object, analyst, investigator
):
    tip = received(public_object)

    [forward] = forwarded([tip], to=investigator, by=analyst)

    assert (forward.tip, forward.to, forward.by) == (tip, investigator, analyst)
    tip.refresh_from_db()
    assert tip.status == TipStatus.FORWARDED
    assert tip.first_triaged_at is not None


def test_forwarding_a_group_makes_one_forward_per_tip_and_recipient(
    public_object, analyst, investigator, second_investigator
):
    tips = [received(public_object), received(public_object, body="Same shampoo, Gdansk.")]

    for owner in forward_recipients_default(tip=tips[0]):
        forwarded(tips, to=owner, by=analyst)

    assert Forward.objects.count() == 4
    assert set(Tip.objects.values_list("status", flat=True)) == {TipStatus.FORWARDED}


def test_forwarding_twice_returns_the_same_forward_and_logs_it_once(
    public_object, analyst, investigator, django_capture_on_commit_callbacks
):
    tip = received(public_object)

    with django_capture_on_commit_callbacks(execute=True):
        [first] = forwarded([tip], to=investigator, by=analyst)
    with django_capture_on_commit_callbacks(execute=True):
        [again] = forwarded([tip], to=investigator, by=analyst, summary="A second click.")

    assert again.pk == first.pk
    assert again.summary == "Strong lead: the brand is Polish."
    assert AuditEntry.objects.filter(action="tip.forwarded").count() == 1
    assert len(mail.outbox) == 1


def test_forwarding_is_audited_with_the_recipient(public_object, analyst, investigator):
    tip = received(public_object)

    forwarded([tip], to=investigator, by=analyst)

    entry = AuditEntry.objects.get(action="tip.forwarded")
    assert (entry.user, entry.username) == (analyst, "ana")
    assert (entry.target_type, entry.target_id) == ("tips.tip", str(tip.pk))
    assert entry.data == {"to": "ines"}


def test_forwarding_keeps_a_closed_tip_closed(public_object, analyst, investigator):
    tip = received(public_object)
    Tip.objects.filter(pk=tip.pk).update(status=TipStatus.REJECTED, closed_at=timezone.now())

    forwarded([tip], to=investigator, by=analyst)

    tip.refresh_from_db()
    assert tip.status == TipStatus.REJECTED


def test_an_investigator_cannot_forward_tips(public_object, investigator, second_investigator):
    with pytest.raises(PermissionDenied):
        forwarded([received(public_object)], to=second_investigator, by=investigator)
    assert not Forward.objects.exists()


def test_tips_cannot_be_forwarded_to_someone_who_is_not_active_staff(public_object, analyst):
    visitor = User.objects.create_user("vera", password="vera-password-123")

    with pytest.raises(PermissionDenied):
        forwarded([received(public_object)], to=visitor, by=analyst)


# --- Mail -------------------------------------------------------------------------------


def test_an_immediate_recipient_gets_one_mail_with_a_link_and_no_tip_text(
    public_object, analyst, investigator, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://tips.example.org"
    tip = received(public_object, where="Lidl, Krakow", links=["https://sunny.example/pl"])

    with django_capture_on_commit_callbacks(execute=True):
        [forward] = forwarded([tip], to=investigator, by=analyst)

    [message] = mail.outbox
    assert message.to == ["ines@police.example"]
    link = "https://tips.example.org" + reverse(
        "admin:moderation_forward_change", args=[forward.pk]
    )
    assert link in message.body
    everything = message.subject + message.body
    for written in (TIP_TEXT, "Lidl", "sunny.example", "Strong lead"):
        assert written not in everything
    forward.refresh_from_db()
    assert forward.notified_at is not None


def test_nothing_is_mailed_before_the_transaction_commits(public_object, analyst, investigator):
    forwarded([received(public_object)], to=investigator, by=analyst)

    assert mail.outbox == []


def test_the_notification_task_mails_a_forward_only_once(public_object, analyst, investigator):
    [forward] = forwarded([received(public_object)], to=investigator, by=analyst)

    assert notify_forward(forward.pk) is True
    assert notify_forward(forward.pk) is False

    assert len(mail.outbox) == 1


def test_a_digest_reader_gets_nothing_at_once_and_one_digest_later(
    public_object, analyst, investigator, django_capture_on_commit_callbacks
):
    staff_preference_set(user=investigator, notify=NotifyMode.DIGEST)
    tips = [received(public_object), received(public_object, body="Seen in Biedronka.")]

    with django_capture_on_commit_callbacks(execute=True):
        forwards = forwarded(tips, to=investigator, by=analyst)
    assert mail.outbox == []

    assert send_forward_digests() == 1
    [digest] = mail.outbox
    assert digest.to == ["ines@police.example"]
    for forward in forwards:
        assert reverse("admin:moderation_forward_change", args=[forward.pk]) in digest.body
    assert TIP_TEXT not in digest.body
    assert not Forward.objects.filter(notified_at__isnull=True).exists()

    assert send_forward_digests() == 0  # the next day, nothing new: no mail
    assert len(mail.outbox) == 1


def test_a_digest_that_fails_to_send_is_sent_again_by_the_next_run(
    public_object, analyst, investigator, monkeypatch
):
    """Sending a digest first claims its forwards (notified_at); a mail server that fails
    must give the claim back, or those forwards would never be mailed to anyone."""
    staff_preference_set(user=investigator, notify=NotifyMode.DIGEST)
    forwards = forwarded(
        [received(public_object), received(public_object)], to=investigator, by=analyst
    )

    def mail_server_down(**kwargs):
        raise ConnectionRefusedError("SMTP server down")

    with monkeypatch.context() as patched:
        patched.setattr("moderation.forwarding.mail_send", mail_server_down)
        with pytest.raises(ConnectionRefusedError):
            send_forward_digests()

    assert mail.outbox == []
    assert Forward.objects.filter(pk__in=[f.pk for f in forwards], notified_at=None).count() == 2

    assert send_forward_digests() == 1
    [digest] = mail.outbox
    for forward in forwards:
        assert reverse("admin:moderation_forward_change", args=[forward.pk]) in digest.body
    assert not Forward.objects.filter(notified_at__isnull=True).exists()


def test_the_digest_leaves_immediate_recipients_alone(
    public_object, analyst, investigator, second_investigator
):
    staff_preference_set(user=second_investigator, notify=NotifyMode.DIGEST)
    tip = received(public_object)
    forwarded([tip], to=investigator, by=analyst)  # not committed: ines's own mail is not sent here
    forwarded([tip], to=second_investigator, by=analyst)

    send_forward_digests()

    assert [message.to for message in mail.outbox] == [["sam@police.example"]]


# --- Acknowledge and outcome --------------------------------------------------------------


def test_only_the_recipient_can_acknowledge_a_forward(
    public_object, analyst, investigator, second_investigator
):
    [forward] = forwarded([received(public_object)], to=investigator, by=analyst)

    for someone_else in (second_investigator, analyst):
        with pytest.raises(PermissionDenied):
            forward_acknowledge(forward=forward, by=someone_else)
    forward_acknowledge(forward=forward, by=investigator)
    first = forward.acknowledged_at
    forward_acknowledge(forward=forward, by=investigator)

    assert first is not None
    assert forward.acknowledged_at == first
    assert AuditEntry.objects.filter(action="forward.acknowledged").count() == 1


def test_only_the_recipient_can_record_the_outcome(
    public_object, analyst, investigator, second_investigator
):
    [forward] = forwarded([received(public_object)], to=investigator, by=analyst)

    with pytest.raises(PermissionDenied):
        forward_record_outcome(
            forward=forward, by=second_investigator, outcome=ForwardOutcome.USEFUL, note=""
        )
    forward_record_outcome(
        forward=forward, by=investigator, outcome=ForwardOutcome.IDENTIFICATION, note="Shop found."
    )

    assert forward.outcome == ForwardOutcome.IDENTIFICATION
    assert forward.outcome_note == "Shop found."
    assert forward.outcome_at is not None
    assert forward.acknowledged_at is not None
    entry = AuditEntry.objects.get(action="forward.outcome_recorded")
    assert entry.data == {"tip": forward.tip_id, "outcome": "identification"}


def test_an_unknown_outcome_is_refused(public_object, analyst, investigator):
    [forward] = forwarded([received(public_object)], to=investigator, by=analyst)

    with pytest.raises(ValueError):
        forward_record_outcome(forward=forward, by=investigator, outcome="great", note="")


# --- The analysts' create page ------------------------------------------------------------


def create_url(*tips) -> str:
    return reverse("admin:moderation_forward_create") + "?tips=" + ",".join(str(t.pk) for t in tips)


def test_the_create_page_shows_the_tips_escaped_and_ticks_the_case_owners(
    client, public_object, analyst, investigator, second_investigator, outsider_investigator
):
    tip = received(public_object, body="<script>alert(1)</script> seen at Lidl")
    staff_login(client, analyst)

    response = client.get(create_url(tip))

    assert response.status_code == 200
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; seen at Lidl" in page
    form = response.context["form"]
    assert set(form.initial["recipients"]) == {investigator.pk, second_investigator.pk}
    assert (
        outsider_investigator in form.fields["recipients"].queryset
    )  # any investigator may be picked


def test_posting_the_create_page_forwards_and_goes_back_to_the_tips(
    client, public_object, analyst, investigator, django_capture_on_commit_callbacks
):
    tips = [received(public_object), received(public_object, body="Also in Czechia.")]
    staff_login(client, analyst)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            create_url(*tips),
            {"recipients": [investigator.pk], "summary": "Two tips agree: Poland."},
        )

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:tips_tip_changelist")
    assert Forward.objects.filter(to=investigator, summary="Two tips agree: Poland.").count() == 2
    assert len(mail.outbox) == 2


def test_the_create_page_needs_a_summary(client, public_object, analyst, investigator):
    staff_login(client, analyst)

    response = client.post(create_url(received(public_object)), {"recipients": [investigator.pk]})

    assert response.status_code == 200
    assert response.context["form"].errors["summary"]
    assert not Forward.objects.exists()


def test_an_investigator_cannot_open_the_create_page(client, public_object, investigator):
    staff_login(client, investigator)

    assert client.get(create_url(received(public_object))).status_code == 403
