"""A state change and its audit entry are one transaction: killed between the UPDATE and the
audit entry (log_action raising where the service looks it up), nothing changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.models import AuditEntry
from moderation.forwarding import forward_acknowledge, tip_forward
from moderation.models import Forward
from objects.models import ObjectState, Outcome, TracedObject
from objects.services import (
    ApprovalChecklist,
    object_approve,
    object_mark_identified,
    object_retire,
    object_update_details,
)
from tests.factories import bare_object, bare_published_object, received, submitted_object
from tips.models import Tip, TipStatus


class Killed(Exception):
    pass


def kill(*args: object, **kwargs: object) -> None:
    raise Killed


def public_files(settings) -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def test_an_approval_killed_before_its_audit_entry_leaves_the_object_unpublished(
    case, investigator, second_investigator, monkeypatch, settings
):
    obj = submitted_object(case, investigator)
    monkeypatch.setattr("objects.services.log_action", kill)

    with pytest.raises(Killed):
        object_approve(
            obj=obj, by=second_investigator, checklist=ApprovalChecklist(True, True, True)
        )

    obj.refresh_from_db()
    assert obj.state == ObjectState.AWAITING_APPROVAL and obj.approved_by is None
    assert public_files(settings) == []  # the public copies were taken back
    assert not AuditEntry.objects.filter(action__startswith="object.approved").exists()


@pytest.mark.parametrize("transition", ["edit", "identify", "retire"])
def test_a_transition_killed_before_its_audit_entry_changes_nothing(
    transition, case, investigator, second_investigator, monkeypatch
):
    if transition == "edit":
        obj = bare_object(case, investigator)
    else:
        obj = bare_published_object(case, investigator, second_investigator)
    before = TracedObject.objects.filter(pk=obj.pk).values().get()
    monkeypatch.setattr("objects.services.log_action", kill)

    with pytest.raises(Killed):
        if transition == "edit":
            object_update_details(obj=obj, by=investigator, details={"title": "Changed"})
        elif transition == "identify":
            object_mark_identified(
                obj=obj, by=investigator, outcome=Outcome.values[0], public_line="Found."
            )
        else:
            object_retire(obj=obj, by=investigator)

    assert TracedObject.objects.filter(pk=obj.pk).values().get() == before


def test_a_forward_killed_before_its_audit_entry_leaves_no_forward_and_the_tip_as_it_was(
    public_object, investigator, analyst, monkeypatch
):
    tip = received(public_object)
    # tip_forward's audit entry ("tip.forwarded") is written by tips.triage, in its transaction.
    monkeypatch.setattr("tips.triage.log_action", kill)

    with pytest.raises(Killed):
        tip_forward(tips=[tip], recipients=[investigator], by=analyst, summary="Have a look.")

    assert not Forward.objects.exists()
    assert Tip.objects.get(pk=tip.pk).status == TipStatus.NEW
    assert not AuditEntry.objects.filter(action="tip.forwarded").exists()


def test_an_acknowledgement_killed_before_its_audit_entry_is_not_recorded(
    public_object, investigator, analyst, monkeypatch
):
    [forward] = tip_forward(
        tips=[received(public_object)], recipients=[investigator], by=analyst, summary="Look."
    )
    monkeypatch.setattr("moderation.forwarding.log_action", kill)

    with pytest.raises(Killed):
        forward_acknowledge(forward=forward, by=investigator)

    assert Forward.objects.get(pk=forward.pk).acknowledged_at is None
