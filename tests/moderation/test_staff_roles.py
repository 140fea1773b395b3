"""Nobody changes their own roles, and every role change, from any path, is audited
(moderation/staff.py; security review, issue 12, finding 3)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from moderation.staff import role_changes_by
from tests.conftest import staff_login
from tests.factories import tip_sent

pytestmark = pytest.mark.django_db


def group_ids(*names: str) -> list[int]:
    return list(Group.objects.filter(name__in=names).values_list("pk", flat=True))


def user_form(user: User, **fields) -> dict:
    """The user change form as the back office posts it."""
    joined = timezone.localtime(user.date_joined)
    data = {
        "username": user.username,
        "email": user.email,
        "is_active": "on",
        "is_staff": "on",
        "groups": list(user.groups.values_list("pk", flat=True)),
        "date_joined_0": f"{joined:%Y-%m-%d}",
        "date_joined_1": f"{joined:%H:%M:%S}",
        "_save": "Save",
    }
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def groups_of(user: User) -> list[str]:
    return sorted(User.objects.get(pk=user.pk).groups.values_list("name", flat=True))


def role_changes(user: User):
    return AuditEntry.objects.filter(action="staff.role_changed", target_id=str(user.pk))


def test_an_administrator_cannot_give_themselves_the_analyst_role(
    client, administrator, public_object
):
    tip = tip_sent(public_object, contact="tipster@example.org").tip
    staff_login(client, administrator)

    client.post(
        reverse("admin:auth_user_change", args=[administrator.pk]),
        user_form(administrator, groups=group_ids("Administrator", "Analyst")),
    )

    assert groups_of(administrator) == ["Administrator"]
    reveal = client.post(reverse("admin:tips_tip_reveal_contact", args=[tip.pk]))
    assert reveal.status_code == 403
    assert b"tipster@example.org" not in reveal.content


def test_ones_own_roles_are_shown_read_only(client, administrator):
    staff_login(client, administrator)

    html = client.get(reverse("admin:auth_user_change", args=[administrator.pk])).content.decode()

    assert 'name="groups"' not in html and 'name="is_staff"' not in html


def test_a_superuser_cannot_change_their_own_roles_either(client, superuser):
    staff_login(client, superuser)

    client.post(
        reverse("admin:auth_user_change", args=[superuser.pk]),
        user_form(superuser, is_staff=None, is_superuser=None, groups=group_ids("Analyst")),
    )

    fresh = User.objects.get(pk=superuser.pk)
    assert fresh.is_superuser and fresh.is_staff
    assert groups_of(superuser) == []


def test_a_change_of_ones_own_groups_is_refused_whatever_the_path(administrator):
    analysts = Group.objects.get(name="Analyst")
    with role_changes_by(user=administrator, via="test"):
        with pytest.raises(PermissionDenied), transaction.atomic():
            administrator.groups.add(analysts)
        with pytest.raises(PermissionDenied), transaction.atomic():
            analysts.user_set.add(administrator)
        administrator.is_superuser = True
        with pytest.raises(PermissionDenied), transaction.atomic():
            administrator.save()
    assert groups_of(administrator) == ["Administrator"]
    assert not User.objects.get(pk=administrator.pk).is_superuser


def test_an_administrator_changing_someone_elses_role_is_audited_with_their_name(
    client, administrator, investigator
):
    staff_login(client, administrator)
    earlier = list(role_changes(investigator).values_list("pk", flat=True))

    response = client.post(
        reverse("admin:auth_user_change", args=[investigator.pk]),
        user_form(investigator, groups=group_ids("Analyst")),
    )

    assert response.status_code == 302
    assert groups_of(investigator) == ["Analyst"]
    entries = list(role_changes(investigator).exclude(pk__in=earlier).order_by("id"))
    assert entries, "the role change is not in the audit log"
    assert {entry.user_id for entry in entries} == {administrator.pk}
    assert {entry.data["via"] for entry in entries} == {"back office"}
    assert ["Investigator"] in [entry.data["removed"] for entry in entries]
    assert entries[-1].data["to"] == ["Analyst"]


def test_a_role_change_in_a_shell_is_audited(investigator):
    before = role_changes(investigator).count()

    investigator.groups.add(Group.objects.get(name="Analyst"))

    entry = role_changes(investigator).order_by("id").last()
    assert role_changes(investigator).count() == before + 1
    assert entry.user is None and entry.data["via"] == "code"
    assert entry.data["added"] == ["Analyst"]
    assert entry.data["to"] == ["Analyst", "Investigator"]


def test_a_member_added_from_the_groups_side_is_audited(investigator):
    Group.objects.get(name="Analyst").user_set.add(investigator)

    entry = role_changes(investigator).order_by("id").last()
    assert entry.data["added"] == ["Analyst"]


def test_a_member_removed_by_clearing_a_group_is_audited(investigator, second_investigator):
    Group.objects.get(name="Investigator").user_set.clear()

    for user in (investigator, second_investigator):
        entry = role_changes(user).order_by("id").last()
        assert entry.data["removed"] == ["Investigator"] and entry.data["to"] == []


def test_making_someone_a_superuser_or_not_staff_is_audited(investigator):
    investigator.is_superuser = True
    investigator.is_staff = False
    investigator.save()

    entry = role_changes(investigator).order_by("id").last()
    assert entry.data["is_superuser"] == [False, True]
    assert entry.data["is_staff"] == [True, False]


def test_a_login_writes_no_role_change(client, investigator):
    before = role_changes(investigator).count()
    client.force_login(investigator)  # saves last_login only
    assert role_changes(investigator).count() == before


def test_an_administrator_cannot_rename_a_role_group(client, administrator):
    staff_login(client, administrator)
    analysts = Group.objects.get(name="Analyst")

    client.post(reverse("admin:auth_group_change", args=[analysts.pk]), {"name": "Shadow"})

    assert Group.objects.get(pk=analysts.pk).name == "Analyst"


def test_renaming_ones_own_account_is_audited_and_shown_in_its_history(client, administrator):
    staff_login(client, administrator)
    before = administrator.username
    earlier_entries = AuditEntry.objects.filter(user_id=administrator.pk).count()

    response = client.post(
        reverse("admin:auth_user_change", args=[administrator.pk]),
        user_form(administrator, username="adam-renamed"),
    )

    assert response.status_code == 302
    [renamed] = AuditEntry.objects.filter(action="staff.renamed")
    assert renamed.data == {"from": before, "to": "adam-renamed", "via": "back office"}
    assert (renamed.user_id, renamed.target_id) == (administrator.pk, str(administrator.pk))
    # Entries keep the id of who acted: under either name, they are the same person's.
    assert AuditEntry.objects.filter(user_id=administrator.pk).count() > earlier_entries
    history = client.get(reverse("admin:auth_user_history", args=[administrator.pk]))
    assert (
        "staff.renamed" in history.content.decode() and "adam-renamed" in history.content.decode()
    )


def test_a_rename_in_a_shell_is_audited_and_a_login_writes_none(client, investigator):
    investigator.username = "ivan-renamed"
    investigator.save()
    staff_login(client, investigator)

    [renamed] = AuditEntry.objects.filter(action="staff.renamed")
    assert renamed.data["via"] == "code" and renamed.user_id is None
