"""Every service that writes checks its own permission first: called by a staff member who
may not, it raises PermissionDenied and changes nothing. The services are listed from the
modules themselves, so a new one without a guard (or without an entry below) fails here."""

from __future__ import annotations

import inspect
import io
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied

from audit import exports as audit_exports
from audit.models import AuditEntry
from moderation import exports as moderation_exports
from moderation import forwarding
from moderation.models import Forward, ForwardOutcome, NotifyMode, StaffPreference
from moderation.staff import role_changes_by
from objects import intake as object_intake
from objects import services as object_services
from objects.models import Case, Outcome, TracedObject
from objects.services import ApprovalChecklist
from outbox.models import OutboxMessage
from tests.factories import bare_object, bare_published_object, details, received, staff_user
from tips.models import Tip

WRITING_MODULES = [object_services, object_intake, forwarding, moderation_exports, audit_exports]

# Public functions that take no acting person, with the reason none is needed. `check_*`
# functions are the guards themselves.
NOT_ACTED_BY_STAFF = {
    "translations_clean": "pure: cleans a dict",
    "intake_limits": "pure: reads settings",
    "case_ensure": "management commands and the demo only: shell access is the permission",
    "object_code_next": "a counter, inside object_submit or the bench loader",
    "intake_queue": "called by object_submit, in its transaction, after its guard",
    "intake_store": "called by object_submit after its guard: copies the upload",
    "object_intake": "the Celery worker's step for a draft object_submit allowed",
    "intake_requeue_stalled": "beat job",
    "resemblances_record": "the intake's step",
    "object_admin_link": "pure: a URL",
    "resemblance_notify": "Celery task: mails the owners",
    "intake_root_clear_orphans": "beat job",
    "forward_recipients_default": "read",
    "notify_mode": "read",
    "forward_link": "pure: a URL",
    "forward_notify": "Celery task: mails the recipient",
    "forward_digests_send": "beat job",
}
ACTOR_PARAMETERS = ("by", "uploaded_by", "user")


def public_functions(module: ModuleType) -> dict[str, Callable[..., Any]]:
    return {
        name: function
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__ and not name.startswith("_")
    }


def acted_services() -> dict[str, Callable[..., Any]]:
    """module.name -> each public writing function that names the person acting."""
    found = {}
    for module in WRITING_MODULES:
        for name, function in public_functions(module).items():
            if name.startswith("check_") or name in NOT_ACTED_BY_STAFF:
                continue
            found[f"{module.__name__}.{name}"] = function
    return found


# How to call each service as `nobody`, from the world the `world` fixture builds.
CALLS: dict[str, Callable[[dict[str, Any], User], dict[str, Any]]] = {
    "objects.services.case_create": lambda w, by: {
        "reference": "CASE-NEW",
        "title": "New",
        "owners": [by],
        "by": by,
    },
    "objects.services.object_submit": lambda w, by: {
        "case": w["case"],
        "uploaded_by": by,
        "upload": io.BytesIO(b"not looked at"),
        "details": details(),
    },
    "objects.services.object_approve": lambda w, by: {
        "obj": w["awaiting"],
        "by": by,
        "checklist": ApprovalChecklist(True, True, True),
    },
    "objects.services.object_update_details": lambda w, by: {
        "obj": w["awaiting"],
        "by": by,
        "details": {"title": "Changed"},
    },
    "objects.services.object_mark_identified": lambda w, by: {
        "obj": w["published"],
        "by": by,
        "outcome": Outcome.values[0],
        "public_line": "Found.",
    },
    "objects.services.object_retire": lambda w, by: {"obj": w["published"], "by": by},
    "moderation.forwarding.tip_forward": lambda w, by: {
        "tips": [w["tip"]],
        "recipients": [w["investigator"]],
        "by": by,
        "summary": "Have a look.",
    },
    "moderation.forwarding.forward_acknowledge": lambda w, by: {"forward": w["forward"], "by": by},
    "moderation.forwarding.forward_record_outcome": lambda w, by: {
        "forward": w["forward"],
        "by": by,
        "outcome": ForwardOutcome.USEFUL,
        "note": "",
    },
    "moderation.forwarding.staff_preference_set": lambda w, by: {
        "user": by,
        "notify": NotifyMode.DIGEST,
    },
    "moderation.exports.forwarded_tips_export": lambda w, by: {"by": by, "case": w["case"]},
    "audit.exports.audit_export": lambda w, by: {
        "by": by,
        "entries": AuditEntry.objects.all(),
        "filters": {},
    },
}


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row a service above could write."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in (
            Case,
            TracedObject,
            Tip,
            Forward,
            StaffPreference,
            AuditEntry,
            OutboxMessage,
        )
    }


@pytest.fixture
def world(case, investigator, second_investigator, analyst) -> dict[str, Any]:
    published = bare_published_object(case, investigator, second_investigator)
    tip = received(published)
    [forward] = forwarding.tip_forward(
        tips=[tip], recipients=[investigator], by=analyst, summary="First."
    )
    return {
        "case": case,
        "investigator": investigator,
        "awaiting": bare_object(case, investigator),
        "published": published,
        "tip": received(published),
        "forward": forward,
    }


def test_every_writing_service_is_listed_with_how_to_call_it():
    assert sorted(acted_services()) == sorted(CALLS)
    for name, function in acted_services().items():
        parameters = inspect.signature(function).parameters
        assert any(actor in parameters for actor in ACTOR_PARAMETERS), name


def test_every_public_function_is_either_a_guard_a_service_or_explained():
    for module in WRITING_MODULES:
        for name in public_functions(module):
            qualified = f"{module.__name__}.{name}"
            assert name.startswith("check_") or name in NOT_ACTED_BY_STAFF or qualified in CALLS


@pytest.mark.parametrize("service", sorted(CALLS))
def test_a_service_called_by_someone_without_the_permission_refuses_and_changes_nothing(
    service, world
):
    nobody = staff_user("nobody", group="Analyst")
    nobody.groups.clear()  # staff, past both factors, in no role
    nobody = User.objects.get(pk=nobody.pk)
    function = acted_services()[service]
    kwargs = CALLS[service](world, nobody)
    before = snapshot()

    with pytest.raises(PermissionDenied):
        function(**kwargs)

    assert snapshot() == before


def test_a_role_change_by_someone_without_the_permission_is_refused(analyst, investigator):
    before = snapshot(), list(investigator.groups.values_list("name", flat=True))
    with pytest.raises(PermissionDenied), role_changes_by(user=analyst, via="back office"):
        investigator.groups.clear()
    assert (snapshot(), list(investigator.groups.values_list("name", flat=True))) == before
