"""Who may do what in the back office: every page and action, for every role.

README.md ("Who may do what (permission matrix)") mirrors the MATRIX below, column for
column; each README line names the test rows it stands for (a page's GET and POST share a
line). Change one, change the other: a test below checks that the README names every row.

Personas: those of tests/conftest.py, built here by the same `persona()` (the world is built
once per module, where function fixtures cannot reach), each in its real role group:
- visitor: the anonymous public, not logged in;
- owner ("ines", the `investigator`): owns the case (with "sam", who uploaded `awaiting`);
- outsider ("olga", the `outsider_investigator`): owns no case here;
- analyst ("ana"): in the Analyst group;
- administrator ("adam"): in the Administrator group, not a superuser;
- superuser ("root"): the column README's table has for them.

The world (built once, each test in a savepoint): a draft and two objects awaiting approval
of the case (one uploaded by sam, one by ines), a published object, a tip about it forwarded to ines and to sam, a new tip about it with
contact details (the one the triage rows act on), an audit entry and a failed task.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry, FailedTask
from audit.services import log_action
from moderation.forwarding import tip_forward
from moderation.models import Forward, StaffPreference
from objects.models import Case, ObjectState, TracedObject
from tests.conftest import staff_login
from tests.factories import bare_object, bare_published_object, persona, received, superuser
from tips.models import Tip, TipMessage, TipNote, TipStatus

pytestmark = pytest.mark.django_db

ROLES = ("visitor", "owner", "outsider", "analyst", "administrator", "superuser")

# Expected answers besides plain status codes:
LOGIN = "login"  # 302 to the back office's login page
DONE = "done"  # 302 back to a page, and the row's effect happened
NOOP = "noop"  # 302 back to a page, and nothing changed (an action not offered or skipped)
OWN = "own only"  # 200, but the row's marker (someone else's thing) is not on the page


@dataclass
class World:
    users: dict[str, User]
    case: Case
    draft: TracedObject  # state draft, uploaded by ines
    awaiting: TracedObject  # awaiting approval, uploaded by sam: ines may approve it
    mine: TracedObject  # awaiting approval, uploaded by ines: she may not approve it
    published: TracedObject
    tip: Tip  # about the published object, forwarded to ines and sam
    fresh: Tip  # about the published object, new, with contact details
    to_ines: Forward
    to_sam: Forward
    entry: AuditEntry
    failed: FailedTask


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction that is rolled back at its end; each
    test runs in a savepoint inside it (pytest-django's `db`), so every test still starts
    from this same world, whatever the previous one changed. Building it per test would
    take most of the module's time."""
    with django_db_blocker.unblock(), transaction.atomic(), pytest.MonkeyPatch.context() as mp:
        # Receipts are not under test here; scrypt would cost more than the rest together.
        mp.setattr(
            "tips.services.receipt_hash", lambda receipt: sha256(receipt.encode()).hexdigest()
        )
        yield world_build()
        transaction.set_rollback(True)


def world_build() -> World:
    ines, sam, olga, ana, adam = (persona(name) for name in ("ines", "sam", "olga", "ana", "adam"))
    root = superuser()
    case = Case.objects.create(reference="CASE-2026-017", title="Demo case")
    case.owners.add(ines, sam)
    published = bare_published_object(case, ines, sam, thumbnail="objects/thumbs/x.jpg")
    tip = received(published, body="Sold at Lidl in Poland.")
    fresh = received(published, body="Seen in Kraków.", contact="tipster@example.org")
    [to_ines] = tip_forward(tips=[tip], recipients=[ines], by=ana, summary="Looks like a lead.")
    [to_sam] = tip_forward(tips=[tip], recipients=[sam], by=ana, summary="A lead for sam.")
    return World(
        users={
            "owner": ines,
            "outsider": olga,
            "analyst": ana,
            "administrator": adam,
            "superuser": root,
        },
        case=case,
        draft=bare_object(case, ines, state=ObjectState.DRAFT),
        awaiting=bare_object(case, sam),
        mine=bare_object(case, ines),
        published=published,
        tip=tip,
        fresh=fresh,
        to_ines=to_ines,
        to_sam=to_sam,
        entry=log_action("tip.viewed", user=root, target=tip),
        failed=FailedTask.objects.create(
            task_name="objects.tasks.intake_object", args=[1], error="worker lost"
        ),
    )


def admin_url(name: str, *attrs: str, query: str = "") -> Callable[[World], str]:
    """The URL of admin page `name`, with the pks of these world attributes as arguments."""

    def url(w: World) -> str:
        args = [getattr(w, attr).pk for attr in attrs]
        return reverse(f"admin:{name}", args=args) + query

    return url


def fresh_tip_action(action: str) -> Callable[[World], dict]:
    return lambda w: {"action": action, "_selected_action": [w.fresh.pk], "post": "yes"}


def fresh(w: World) -> Tip:
    return Tip.objects.get(pk=w.fresh.pk)


@dataclass(frozen=True)
class Row:
    slug: str  # the test id's end: "analyst-GET-audit-log"
    method: str
    url: Callable[[World], str]
    expected: tuple  # one answer per ROLES, in that order
    data: Callable[[World], dict] | None = None
    effect: Callable[[World], bool] | None = None  # true once the action was done
    marker: Callable[[World], str] | None = None  # on a 200 page unless the answer is OWN


# The README's table "Who may do what (permission matrix)" mirrors this one, with one line
# for a page's GET and POST rows; a cell changed here is changed there.
# fmt: off
# Columns: visitor, owner (ines), outsider (olga), analyst, administrator, superuser.
MATRIX = [
    Row("index", "GET", lambda w: reverse("admin:index"),
        (LOGIN, 200, 200, 200, 200, 200)),
    # --- Objects and cases
    Row("object-list", "GET", admin_url("objects_tracedobject_changelist"),
        (LOGIN, 200, OWN, OWN, OWN, 200),
        marker=lambda w: w.draft.code),
    Row("object-upload", "GET", admin_url("objects_tracedobject_add"),
        (LOGIN, 200, 200, 403, 403, 200)),
    Row("draft-of-own-case", "GET", admin_url("objects_tracedobject_change", "draft"),
        (LOGIN, 200, 404, 404, 404, 200)),
    Row("draft-edit-text", "POST", admin_url("objects_tracedobject_change", "draft"),
        (LOGIN, DONE, 404, 404, 404, DONE),
        data=lambda w: {
            "title": "Renamed bottle", "category": "packaging", "questions": "Which brand?",
            "region_hint": "", "alt_text": "A green bottle", "_save": "Save",
        },
        effect=lambda w: TracedObject.objects.get(pk=w.draft.pk).title == "Renamed bottle"),
    Row("published-object", "GET", admin_url("objects_tracedobject_change", "published"),
        (LOGIN, 200, 200, 200, 200, 200)),
    Row("published-edit-text", "POST", admin_url("objects_tracedobject_change", "published"),
        (LOGIN, 403, 403, 403, 403, 403),
        data=lambda w: {
            "title": "Renamed bottle", "category": "packaging", "questions": "Which brand?",
            "region_hint": "", "alt_text": "A green bottle", "_save": "Save",
        },
        effect=lambda w: TracedObject.objects.get(pk=w.published.pk).title == "Renamed bottle"),
    Row("approve-someone-elses-upload", "GET",
        admin_url("objects_tracedobject_approve", "awaiting"),
        (LOGIN, 200, 404, 404, 404, 200)),
    Row("approve-own-upload", "GET", admin_url("objects_tracedobject_approve", "mine"),
        (LOGIN, 403, 404, 404, 404, 200)),
    Row("identify", "GET", admin_url("objects_tracedobject_identify", "published"),
        (LOGIN, 200, 403, 403, 403, 200)),
    Row("retire", "POST", admin_url("objects_tracedobject_changelist"),
        (LOGIN, DONE, NOOP, 200, 200, DONE),
        data=lambda w: {
            "action": "retire_objects", "_selected_action": [w.published.pk], "post": "yes",
        },
        effect=lambda w: TracedObject.objects.get(pk=w.published.pk).state
        == ObjectState.RETIRED),
    Row("case-list", "GET", admin_url("objects_case_changelist"),
        (LOGIN, 200, OWN, OWN, OWN, 200),
        marker=lambda w: w.case.reference),
    Row("case-page", "GET", admin_url("objects_case_change", "case"),
        (LOGIN, 200, 404, 404, 404, 200)),
    Row("case-add", "GET", admin_url("objects_case_add"),
        (LOGIN, 200, 200, 403, 403, 200)),
    # --- Tips
    Row("tip-queue", "GET", admin_url("tips_tip_changelist"),
        (LOGIN, 403, 403, 200, 200, 200)),
    Row("tip-page", "GET", admin_url("tips_tip_change", "tip"),
        (LOGIN, 403, 403, 200, 200, 200)),
    Row("take-next", "POST", admin_url("tips_tip_take_next"),
        (LOGIN, 403, 403, DONE, 403, DONE),
        effect=lambda w: fresh(w).assigned_to_id is not None),
    Row("take-next", "GET", admin_url("tips_tip_take_next"),
        (LOGIN, 405, 405, 405, 405, 405)),
    Row("triage-status", "POST", admin_url("tips_tip_triage", "fresh"),
        (LOGIN, 403, 403, DONE, 403, DONE),
        data=lambda w: {"do": "in_review"},
        effect=lambda w: fresh(w).status == TipStatus.IN_REVIEW),
    Row("triage-assign", "POST", admin_url("tips_tip_triage", "fresh"),
        (LOGIN, 403, 403, DONE, 403, DONE),
        data=lambda w: {"do": "assign_me"},
        effect=lambda w: fresh(w).assigned_to_id is not None),
    Row("triage-duplicate", "POST", admin_url("tips_tip_triage", "fresh"),
        (LOGIN, 403, 403, DONE, 403, DONE),
        data=lambda w: {"do": "duplicate", "original": w.tip.pk},
        effect=lambda w: fresh(w).status == TipStatus.DUPLICATE),
    Row("triage-bulk-action", "POST", admin_url("tips_tip_changelist"),
        (LOGIN, 403, 403, DONE, 200, DONE),
        data=fresh_tip_action("mark_in_review"),
        effect=lambda w: fresh(w).status == TipStatus.IN_REVIEW),
    Row("triage-note", "POST", admin_url("tips_tip_note", "fresh"),
        (LOGIN, 403, 403, DONE, 403, DONE),
        data=lambda w: {"body": "Checked the shop list."},
        effect=lambda w: TipNote.objects.filter(tip=w.fresh).exists()),
    Row("triage-ask", "GET", admin_url("tips_tip_ask", "fresh"),
        (LOGIN, 403, 403, 200, 403, 200)),
    Row("triage-ask", "POST", admin_url("tips_tip_ask", "fresh"),
        (LOGIN, 403, 403, DONE, 403, DONE),
        data=lambda w: {"body": "Which shop exactly?"},
        effect=lambda w: TipMessage.objects.filter(tip=w.fresh).exists()),
    Row("reveal-contact", "POST", admin_url("tips_tip_reveal_contact", "fresh"),
        (LOGIN, 403, 403, 200, 403, 200)),
    Row("reveal-contact", "GET", admin_url("tips_tip_reveal_contact", "fresh"),
        (LOGIN, 403, 403, 405, 403, 405)),
    Row("outbox", "GET", admin_url("outbox_outboxmessage_changelist"),
        (LOGIN, 403, 403, 200, 200, 200)),
    # --- Forwards
    Row("forward-create", "GET", lambda w: admin_url(
        "moderation_forward_create", query=f"?tips={w.fresh.pk}")(w),
        (LOGIN, 403, 403, 200, 403, 200)),
    Row("forward-create", "POST", lambda w: admin_url(
        "moderation_forward_create", query=f"?tips={w.fresh.pk}")(w),
        (LOGIN, 403, 403, DONE, 403, DONE),
        data=lambda w: {"recipients": [w.users["owner"].pk], "summary": "Worth a look."},
        effect=lambda w: Forward.objects.filter(tip=w.fresh).exists()),
    Row("forward-inbox", "GET", admin_url("moderation_forward_changelist"),
        (LOGIN, OWN, OWN, 200, OWN, 200),
        marker=lambda w: w.to_sam.summary),
    Row("forward-to-ines", "GET", admin_url("moderation_forward_change", "to_ines"),
        (LOGIN, 200, 404, 200, 404, 200)),
    Row("forward-to-sam", "GET", admin_url("moderation_forward_change", "to_sam"),
        (LOGIN, 404, 404, 200, 404, 200)),
    Row("acknowledge-forward-to-ines", "POST",
        admin_url("moderation_forward_acknowledge", "to_ines"),
        (LOGIN, DONE, 404, 403, 404, 403),
        effect=lambda w: Forward.objects.get(pk=w.to_ines.pk).acknowledged_at is not None),
    Row("outcome-forward-to-ines", "POST", admin_url("moderation_forward_outcome", "to_ines"),
        (LOGIN, DONE, 404, 403, 404, 403),
        data=lambda w: {"outcome": "useful", "note": ""},
        effect=lambda w: Forward.objects.get(pk=w.to_ines.pk).outcome == "useful"),
    Row("acknowledge-forward-to-sam", "POST",
        admin_url("moderation_forward_acknowledge", "to_sam"),
        (LOGIN, 404, 404, 403, 404, 403),
        effect=lambda w: Forward.objects.get(pk=w.to_sam.pk).acknowledged_at is not None),
    Row("notification-preference", "GET", admin_url("moderation_forward_preference"),
        (LOGIN, 200, 200, 200, 200, 200)),
    Row("notification-preference", "POST", admin_url("moderation_forward_preference"),
        (LOGIN, DONE, DONE, DONE, DONE, DONE),
        data=lambda w: {"notify": "digest"},
        effect=lambda w: StaffPreference.objects.filter(notify="digest").exists()),
    Row("forward-export-case", "GET", lambda w: admin_url(
        "moderation_forward_export", query=f"?case={w.case.pk}")(w),
        (LOGIN, 200, 403, 200, 403, 200)),
    Row("forward-export-object", "GET", lambda w: admin_url(
        "moderation_forward_export", query=f"?object={w.published.pk}")(w),
        (LOGIN, 200, 403, 200, 403, 200)),
    # --- Partner portals (docs/network.md)
    Row("partners", "GET", admin_url("network_partner_changelist"),
        (LOGIN, 403, 403, 403, 200, 200)),
    Row("partner-add", "GET", admin_url("network_partner_add"),
        (LOGIN, 403, 403, 403, 200, 200)),
    Row("refusals", "GET", admin_url("network_refusal_changelist"),
        (LOGIN, 403, 403, 403, 200, 200)),
    Row("tip-relays", "GET", admin_url("tips_tiprelay_changelist"),
        (LOGIN, 403, 403, 403, 200, 200)),
    # --- Audit, operations, staff
    Row("audit-log", "GET", admin_url("audit_auditentry_changelist"),
        (LOGIN, 403, 403, 403, 200, 200)),
    Row("audit-entry", "GET", admin_url("audit_auditentry_change", "entry"),
        (LOGIN, 403, 403, 403, 200, 200)),
    Row("audit-export", "GET", admin_url("audit_auditentry_export"),
        (LOGIN, 403, 403, 403, 200, 200)),
    Row("dashboard", "GET", lambda w: reverse("admin:dashboard"),
        (LOGIN, 403, 403, 200, 200, 200)),
    Row("failed-tasks", "GET", admin_url("audit_failedtask_changelist"),
        (LOGIN, 403, 403, 403, 200, 200)),
    Row("failed-task", "GET", admin_url("audit_failedtask_change", "failed"),
        (LOGIN, 403, 403, 403, 200, 200)),
    Row("users", "GET", admin_url("auth_user_changelist"),
        (LOGIN, 403, 403, 403, 200, 200)),
    Row("user-page", "GET", lambda w: reverse("admin:auth_user_change",
                                              args=[w.users["owner"].pk]),
        (LOGIN, 403, 403, 403, 200, 200)),
    Row("groups", "GET", admin_url("auth_group_changelist"),
        (LOGIN, 403, 403, 403, 200, 200)),
]
# fmt: on


def cases():
    for row in MATRIX:
        assert len(row.expected) == len(ROLES), row.slug
        for role, expected in zip(ROLES, row.expected, strict=True):
            yield pytest.param(role, row, expected, id=f"{role}-{row.method}-{row.slug}")


@pytest.mark.parametrize(("role", "row", "expected"), list(cases()))
def test_each_role_gets_exactly_its_answer(client, world, role, row, expected):
    if role != "visitor":
        staff_login(client, world.users[role])
    url = row.url(world)
    data = row.data(world) if row.data else {}
    response = client.post(url, data) if row.method == "POST" else client.get(url, data)
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)  # run the export to its end

    status = {LOGIN: 302, DONE: 302, NOOP: 302, OWN: 200}.get(expected, expected)
    assert response.status_code == status
    if expected == LOGIN:
        assert response["Location"].startswith(reverse("admin:login") + "?next=")
    elif status == 302:
        assert not response["Location"].startswith(reverse("admin:login"))
    if row.marker is not None and status == 200:
        shown = row.marker(world) in response.content.decode()
        assert shown is (expected != OWN), "someone else's thing on the page"
    if row.effect is not None:
        assert row.effect(world) is (expected == DONE), "the action's effect"


def test_the_matrix_has_each_row_once_and_sends_visitors_to_the_login_page():
    keys = [(row.method, row.slug) for row in MATRIX]
    assert len(keys) == len(set(keys))
    assert {row.expected[0] for row in MATRIX} == {LOGIN}


def test_the_readme_names_every_row_of_the_matrix():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("## Who may do what (permission matrix)\n", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`([a-z-]+)`", section))
    assert {row.slug for row in MATRIX} <= named


# --- Administrators cannot grant themselves powers beyond the roles.


def test_an_administrator_cannot_make_themselves_a_superuser(client, world):
    adam = world.users["administrator"]
    staff_login(client, adam)
    joined = timezone.localtime(adam.date_joined)

    client.post(
        reverse("admin:auth_user_change", args=[adam.pk]),
        {
            "username": adam.username,
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "groups": list(adam.groups.values_list("pk", flat=True)),
            "date_joined_0": f"{joined:%Y-%m-%d}",
            "date_joined_1": f"{joined:%H:%M:%S}",
            "_save": "Save",
        },
    )

    assert not User.objects.get(pk=adam.pk).is_superuser


def test_an_administrator_cannot_set_a_superusers_password(client, world):
    staff_login(client, world.users["administrator"])
    root = world.users["superuser"]

    response = client.get(reverse("admin:auth_user_password_change", args=[root.pk]))

    assert response.status_code == 403


def test_an_administrator_cannot_grant_a_group_permissions(client, world):
    from django.contrib.auth.models import Group, Permission

    staff_login(client, world.users["administrator"])
    group = Group.objects.create(name="Shadow")
    anything = Permission.objects.get(codename="delete_tip")
    client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": "Shadow", "permissions": [anything.pk]},
    )
    assert not group.permissions.exists()
