"""Each role is a group holding exactly its permissions, kept in step on every migrate."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission

from moderation.roles import ROLE_GROUPS, staff_groups_ensure
from objects.roles import INVESTIGATOR

pytestmark = pytest.mark.django_db


def permissions_of(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def every_view_permission(*app_labels: str) -> set[str]:
    return {
        f"{label}.view_{model._meta.model_name}"
        for label in app_labels
        for model in apps.get_app_config(label).get_models()
    }


def test_the_roles_map_to_their_groups():
    assert ROLE_GROUPS == {
        "investigator": "Investigator",
        "analyst": "Analyst",
        "administrator": "Administrator",
    }
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLE_GROUPS.values())


def test_an_analyst_triages_tips_and_only_reads_objects():
    assert permissions_of("Analyst") == {
        "tips.view_tip",
        "tips.change_tip",
        "tips.add_tipnote",
        "tips.view_tipnote",
        "tips.view_tipfollowup",
        "tips.view_tipmessage",
        "outbox.view_outboxmessage",
        "moderation.add_forward",
        "moderation.view_forward",
        "objects.view_tracedobject",
        "objects.view_case",
    }


def test_an_administrator_manages_staff_reads_the_audit_log_and_views_everything():
    assert permissions_of("Administrator") == {
        "auth.add_user",
        "auth.change_user",
        "auth.view_user",
        "auth.add_group",
        "auth.change_group",
        "auth.view_group",
        "audit.export_auditentry",
        "moderation.change_staffpreference",
        "axes.view_accessattempt",
        "network.add_partner",
        "network.change_partner",
    } | every_view_permission("audit", "outbox", "network", "objects", "tips", "moderation")


def test_an_investigator_has_the_objects_permissions_and_an_inbox():
    assert permissions_of(INVESTIGATOR) == {
        "moderation.view_forward",
        "objects.add_case",
        "objects.change_case",
        "objects.view_case",
        "objects.add_tracedobject",
        "objects.change_tracedobject",
        "objects.view_tracedobject",
        "objects.publish_tracedobject",
        "objects.identify_tracedobject",
        "objects.retire_tracedobject",
        "objects.view_resemblance",
    }


def test_migrate_takes_back_a_permission_given_to_a_role_by_hand():
    analysts = Group.objects.get(name="Analyst")
    analysts.permissions.add(Permission.objects.get(codename="delete_tip"))

    staff_groups_ensure()

    assert "tips.delete_tip" not in permissions_of("Analyst")
    assert len(permissions_of("Analyst")) == 11


def test_no_role_can_delete_a_tip_or_touch_the_audit_log():
    for group in ROLE_GROUPS.values():
        held = permissions_of(group)
        assert "tips.delete_tip" not in held
        assert not {"audit.change_auditentry", "audit.delete_auditentry"} & held
