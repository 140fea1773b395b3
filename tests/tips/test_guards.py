"""Every tips service that writes for a staff member refuses one without the permission, on
its own, whoever calls it; and a crash between a change and its audit entry undoes the change.

The services are listed from the modules themselves: a new public function in
tips/services.py or tips/triage.py is either called here by an outsider (it takes `by`) or
named in an allow-list with the reason it needs no staff guard, else this file fails."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from audit.models import AuditEntry
from objects.models import TracedObject
from tests.factories import tip_at
from tips import services, triage
from tips.models import Tip, TipFollowUp, TipGroup, TipMessage, TipNote, TipStatus

pytestmark = pytest.mark.django_db

MODULES = [services, triage]

# Public functions that write but act for no staff member, and why.
NOT_FOR_STAFF = {
    "tips.services.tip_receive": "the public tip form: the visitor is anonymous",
    "tips.services.tip_add_follow_up": "the tipster, through their receipt",
    "tips.services.tip_import": "manage.py import_tips, run by an operator on the server",
    "tips.services.urgent_report_alert": "the outbox relay's task",
    "tips.services.retention_apply": "the retention job",
    "tips.triage.tip_resume_after_follow_up": "the tipster's follow-up (tip_add_follow_up)",
    # An audit entry of a read, not a change: the page showing the tip checked the reader
    # (a forward's recipient reads its tip without tips.view_tip).
    "tips.triage.tip_view_logged": "records that a page showed a tip to its reader",
}
# Public functions that only read.
READS = {
    "tips.services.tip_by_receipt",
    "tips.services.urgent_alert_recipients",
    "tips.triage.tip_group_root",
}


def public_functions() -> dict[str, Callable[..., Any]]:
    return {
        f"{module.__name__}.{name}": function
        for module in MODULES
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__ and not name.startswith("_")
    }


def acts_for_staff(function: Callable[..., Any]) -> bool:
    parameter = inspect.signature(function).parameters.get("by")
    return parameter is not None and parameter.kind is inspect.Parameter.KEYWORD_ONLY


GUARDED = sorted(
    name
    for name, function in public_functions().items()
    if acts_for_staff(function) and name not in NOT_FOR_STAFF
)


def test_every_public_service_is_guarded_or_says_why_not():
    unaccounted = [
        name
        for name, function in public_functions().items()
        if not acts_for_staff(function) and name not in NOT_FOR_STAFF and name not in READS
    ]
    assert unaccounted == [], "a writing service needs `by` and a guard, or an allow-list reason"
    assert set(NOT_FOR_STAFF) | READS <= set(public_functions()), "a name here no longer exists"
    assert len(GUARDED) >= 15


@pytest.fixture
def nobody(db) -> User:
    """A staff account in no role group: it may log in and nothing else."""
    return User.objects.create_user("nora", password="nora-password-123", is_staff=True)


@pytest.fixture(params=["nobody", "outsider_investigator"])
def unauthorised(request) -> User:
    """Who may not act on tips: a staff member with no role, and olga the investigator."""
    return request.getfixturevalue(request.param)


def grouped(traced_object: TracedObject, count: int) -> list[TipGroup]:
    """`count` groups of two tips each on the object."""
    groups = []
    for _n in range(count):
        group = TipGroup.objects.create(traced_object=traced_object)
        for _m in range(2):
            Tip.objects.filter(pk=tip_at(traced_object).pk).update(group=group)
        groups.append(group)
    return groups


def arguments(
    function: Callable[..., Any], by: User, traced_object: TracedObject, analyst: User
) -> dict[str, Any]:
    """Keyword arguments a call could succeed with, but for `by`."""
    tips = list(Tip.objects.filter(traced_object=traced_object).order_by("pk"))
    groups = list(TipGroup.objects.order_by("pk"))
    values: dict[str, Any] = {
        "by": by,
        "tip": tips[0],
        "of": tips[-1],
        "to": analyst,
        "reason": "spam",
        "body": "Which shop was it?",
        "group": groups[1],
        "groups": groups[1:],
        "into": groups[0],
        "traced_object": traced_object,
        "sample_tip_ids": [tip.pk for tip in tips],
    }
    names = inspect.signature(function).parameters
    unknown = set(names) - set(values)
    assert not unknown, f"teach this test to call {function.__name__}: {sorted(unknown)}"
    return {name: values[name] for name in names}


def everything() -> tuple[Any, ...]:
    """The rows a tips service may write, as they stand."""
    return (
        list(Tip.objects.order_by("pk").values()),
        list(TipGroup.objects.order_by("pk").values()),
        list(TipNote.objects.values_list("pk", flat=True)),
        list(TipMessage.objects.values_list("pk", flat=True)),
        list(TipFollowUp.objects.values_list("pk", flat=True)),
        list(AuditEntry.objects.values_list("pk", flat=True)),
    )


@pytest.mark.parametrize("name", GUARDED)
def test_a_service_refuses_a_staff_member_without_the_permission(
    name, unauthorised, public_object, analyst
):
    grouped(public_object, 3)
    Tip.objects.update(status=TipStatus.NEW)
    function = public_functions()[name]
    kwargs = arguments(function, unauthorised, public_object, analyst)
    before = everything()

    with pytest.raises(PermissionDenied):
        function(**kwargs)

    assert everything() == before


def test_the_contact_details_are_not_decrypted_for_a_reader_of_tips(administrator, public_object):
    tip = tip_at(public_object)
    Tip.objects.filter(pk=tip.pk).update(contact_encrypted="token")
    with pytest.raises(PermissionDenied):
        triage.tip_contact_reveal(tip=tip, by=administrator)  # adam may view tips, not work them
    assert not AuditEntry.objects.filter(action="tip.contact_revealed").exists()


# --- A crash between the change and its audit entry ----------------------------------------


class AuditDown(Exception):
    pass


def failing_log(after: int = 0) -> Callable[..., None]:
    """A log_action that writes nothing and raises on its call number `after` + 1."""
    calls = {"count": 0}

    def log_action(*args: Any, **kwargs: Any) -> None:
        calls["count"] += 1
        if calls["count"] > after:
            raise AuditDown

    return log_action


def test_a_transition_whose_audit_entry_fails_leaves_the_tip_as_it_was(
    monkeypatch, analyst, public_object
):
    tip = tip_at(public_object)
    entries = AuditEntry.objects.count()
    monkeypatch.setattr(triage, "log_action", failing_log())

    with pytest.raises(AuditDown):
        triage.tip_reject(tip=tip, by=analyst, reason="spam")

    stored = Tip.objects.get(pk=tip.pk)
    assert (stored.status, stored.rejected_reason, stored.closed_at) == (TipStatus.NEW, "", None)
    assert AuditEntry.objects.count() == entries


def test_a_merge_of_three_groups_failing_on_the_third_merges_none(
    monkeypatch, analyst, public_object
):
    into, *others = grouped(public_object, 4)
    group_ids = {group.pk for group in [into, *others]}
    members = dict(Tip.objects.values_list("pk", "group_id"))
    monkeypatch.setattr(triage, "log_action", failing_log(after=2))  # the third entry fails

    with pytest.raises(AuditDown):
        triage.tip_groups_merge(groups=others, into=into, by=analyst)

    assert dict(Tip.objects.values_list("pk", "group_id")) == members
    assert set(TipGroup.objects.values_list("pk", flat=True)) == group_ids
    assert not Tip.objects.filter(group_by_hand=True).exists()


def test_the_queues_merge_action_merges_all_the_groups_or_none(
    monkeypatch, analyst_client, public_object
):
    groups = grouped(public_object, 4)
    members = dict(Tip.objects.values_list("pk", "group_id"))
    selected = [str(pk) for pk in members]
    monkeypatch.setattr(triage, "log_action", failing_log(after=2))

    with pytest.raises(AuditDown):
        analyst_client.post(
            reverse("admin:tips_tip_changelist"),
            {"action": "merge_groups", "_selected_action": selected},
        )

    assert dict(Tip.objects.values_list("pk", "group_id")) == members
    assert TipGroup.objects.count() == len(groups)
