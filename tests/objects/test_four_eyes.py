"""Four eyes: a second investigator of the case, never the uploader, publishes an object.

Personas (tests/conftest.py): ines (investigator) uploads; sam (second_investigator) co-owns
the case and approves; olga (outsider_investigator) owns no case here. Besides them, pat owns
the case but lacks the permission to publish.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from objects.models import ObjectState, TracedObject
from tests.conftest import staff_login
from tests.factories import bare_object, grant

pytestmark = pytest.mark.django_db


CHECKLIST = ["no_person_visible", "no_identifying_text", "nothing_alerts_offender"]


def approve_url(obj) -> str:
    return reverse("admin:objects_tracedobject_approve", args=[obj.pk])


def change_url(obj) -> str:
    return reverse("admin:objects_tracedobject_change", args=[obj.pk])


def approval(obj, *, ticked=CHECKLIST) -> dict:
    """What the approve page posts: the ticked boxes and the version that was reviewed."""
    version = TracedObject.objects.get(pk=obj.pk).updated_at.isoformat()
    return {**dict.fromkeys(ticked, "on"), "reviewed_version": version}


def state_of(obj) -> str:
    return TracedObject.objects.values_list("state", flat=True).get(pk=obj.pk)


@pytest.fixture
def awaiting(case, investigator):
    """ines's crop, processed and waiting for a second pair of eyes."""
    return bare_object(case, investigator, title="Striped wallpaper")


@pytest.fixture
def pat(case):
    """Owns the case and can view and edit objects, but may not publish them. No role is like
    that (every investigator may publish), so pat's permissions are granted one by one."""
    user = grant(
        User.objects.create_user("pat", is_staff=True),
        ("objects", "view_tracedobject"),
        ("objects", "change_tracedobject"),
    )
    case.owners.add(user)
    return user


def test_the_uploader_cannot_approve_their_own_object(client, awaiting, investigator):
    assert investigator.has_perm("objects.publish_tracedobject")
    staff_login(client, investigator)
    assert approve_url(awaiting) not in client.get(change_url(awaiting)).content.decode()

    response = client.get(approve_url(awaiting))
    assert response.status_code == 403
    assert "Another investigator must approve" in response.content.decode()
    response = client.post(approve_url(awaiting), approval(awaiting))
    assert response.status_code == 403
    assert state_of(awaiting) == ObjectState.AWAITING_APPROVAL


def test_a_co_owner_approves_only_after_ticking_all_three_boxes(
    client, awaiting, second_investigator
):
    staff_login(client, second_investigator)
    assert approve_url(awaiting) in client.get(change_url(awaiting)).content.decode()
    page = client.get(approve_url(awaiting)).content.decode()
    assert "Striped wallpaper" in page and all(f'name="{name}"' in page for name in CHECKLIST)

    for missing in CHECKLIST:
        ticked = [name for name in CHECKLIST if name != missing]
        response = client.post(approve_url(awaiting), approval(awaiting, ticked=ticked))
        assert response.status_code == 200 and "This field is required" in response.content.decode()
        assert state_of(awaiting) == ObjectState.AWAITING_APPROVAL

    response = client.post(approve_url(awaiting), approval(awaiting))
    assert response.status_code == 302 and response["Location"] == change_url(awaiting)
    awaiting.refresh_from_db()
    assert awaiting.state == ObjectState.PUBLISHED
    assert awaiting.approved_by == second_investigator and awaiting.published_at


def test_an_investigator_without_the_publish_permission_cannot_approve(client, awaiting, pat):
    staff_login(client, pat)
    assert approve_url(awaiting) not in client.get(change_url(awaiting)).content.decode()
    response = client.post(approve_url(awaiting), approval(awaiting))
    assert response.status_code == 403
    assert "permission to publish" in response.content.decode()
    assert state_of(awaiting) == ObjectState.AWAITING_APPROVAL


def test_an_outsider_cannot_see_a_draft_let_alone_approve_it(
    client, awaiting, outsider_investigator
):
    staff_login(client, outsider_investigator)
    assert client.get(change_url(awaiting)).status_code == 404
    assert client.get(approve_url(awaiting)).status_code == 404
    assert client.post(approve_url(awaiting), approval(awaiting)).status_code == 404
    assert state_of(awaiting) == ObjectState.AWAITING_APPROVAL


def test_approving_twice_is_harmless(client, awaiting, second_investigator):
    staff_login(client, second_investigator)
    data = approval(awaiting)
    assert client.post(approve_url(awaiting), data).status_code == 302
    first = TracedObject.objects.get(pk=awaiting.pk)

    # A second click from the same, now stale, page.
    response = client.post(approve_url(awaiting), data)
    assert response.status_code == 200
    assert "published, not awaiting approval" in response.content.decode()
    again = TracedObject.objects.get(pk=awaiting.pk)
    assert again.published_at == first.published_at and again.approved_by == second_investigator

    # Opening the approve page again sends the approver back to the object, with the reason.
    response = client.get(approve_url(awaiting), follow=True)
    assert "published, not awaiting approval" in response.content.decode()


def test_an_object_still_being_processed_cannot_be_approved(
    client, case, investigator, second_investigator
):
    draft = bare_object(case, investigator, state=ObjectState.DRAFT)
    staff_login(client, second_investigator)
    response = client.post(approve_url(draft), approval(draft))
    assert response.status_code == 200 and "not awaiting approval" in response.content.decode()
    assert state_of(draft) == ObjectState.DRAFT


def test_an_edit_made_while_the_approver_reviews_must_be_reviewed_again(
    client, awaiting, investigator, second_investigator
):
    reviewed = approval(awaiting)
    TracedObject.objects.filter(pk=awaiting.pk).update(
        title="Edited after review", updated_at=awaiting.updated_at.replace(year=2099)
    )
    staff_login(client, second_investigator)
    response = client.post(approve_url(awaiting), reviewed, follow=True)
    page = response.content.decode()
    assert "changed since you opened this page" in page and "Edited after review" in page
    assert state_of(awaiting) == ObjectState.AWAITING_APPROVAL


def test_approving_needs_the_csrf_token(awaiting, second_investigator):
    client = Client(enforce_csrf_checks=True)
    staff_login(client, second_investigator)
    response = client.post(approve_url(awaiting), approval(awaiting))
    assert response.status_code == 403
    assert state_of(awaiting) == ObjectState.AWAITING_APPROVAL


def test_every_object_transition_is_in_the_audit_log(case, investigator, second_investigator):
    from audit.models import AuditEntry
    from objects.models import Outcome
    from objects.services import (
        ApprovalChecklist,
        object_approve,
        object_mark_identified,
        object_retire,
    )
    from tests.factories import submitted_object

    obj = submitted_object(case, investigator)
    object_approve(obj=obj, by=second_investigator, checklist=ApprovalChecklist(True, True, True))
    object_mark_identified(
        obj=obj, by=second_investigator, outcome=Outcome.COUNTRY_NARROWED, public_line="Narrowed."
    )
    object_retire(obj=obj, by=investigator)
    entries = AuditEntry.objects.filter(target_type="objects.tracedobject", target_id=str(obj.pk))
    assert list(entries.order_by("id").values_list("action", "username")) == [
        ("object.uploaded", "ines"),
        ("object.approved", "sam"),
        ("object.published", "sam"),
        ("object.identified", "sam"),
        ("object.retired", "ines"),
    ]
