"""Staff roles are Django groups with permissions, kept in step on every migrate.

Investigator (its objects permissions listed in objects/roles.py), Analyst and Administrator:
here, by `staff_groups_ensure` (connected in moderation/apps.py), which sets each group's
permissions to exactly the list below, so a permission removed here is also taken away at
the next migrate. Administrators manage staff and read the audit log; they are not
superusers.
"""

from __future__ import annotations

from typing import Any

from objects.roles import INVESTIGATOR, INVESTIGATOR_PERMISSIONS

ANALYST = "Analyst"
ADMINISTRATOR = "Administrator"

# Role names as `create_staff --role` takes them, and their groups.
ROLE_GROUPS = {
    "investigator": INVESTIGATOR,
    "analyst": ANALYST,
    "administrator": ADMINISTRATOR,
}

# Apps whose every model an administrator may view.
ADMINISTRATOR_VIEWS_APPS = ("audit", "outbox", "network", "objects", "tips", "moderation")

# group -> {app_label: {model: [actions or full codenames]}}
GROUP_PERMISSIONS = {
    # Its objects permissions are listed in objects/roles.py; here it also gets the inbox of
    # tips forwarded to its members.
    INVESTIGATOR: {
        "objects": INVESTIGATOR_PERMISSIONS,
        "moderation": {"forward": ["view"]},
    },
    ANALYST: {
        "tips": {
            "tip": ["view", "change"],
            "tipnote": ["add", "view"],
            "tipfollowup": ["view"],
            "tipmessage": ["view"],
        },
        "outbox": {"outboxmessage": ["view"]},
        "moderation": {"forward": ["add", "view"]},
        "objects": {"tracedobject": ["view"], "case": ["view"]},
    },
    ADMINISTRATOR: {
        "auth": {"user": ["add", "change", "view"], "group": ["add", "change", "view"]},
        "audit": {"auditentry": ["view", "export"], "failedtask": ["view"]},
        "moderation": {"staffpreference": ["view", "change"]},
        # Partner portals: added by fingerprint, removed by an action (network/admin.py).
        "network": {"partner": ["add", "change", "view"]},
        # The logins django-axes locks out (the home page counts them).
        "axes": {"accessattempt": ["view"]},
    },
}


def group_permission_keys(group: str) -> set[tuple[str, str]]:
    """(app_label, codename) of every permission `group` has: exactly these, no more."""
    from django.apps import apps

    keys = {
        (app_label, f"{action}_{model}")
        for app_label, models in GROUP_PERMISSIONS[group].items()
        for model, actions in models.items()
        for action in actions
    }
    if group == ADMINISTRATOR:
        for app_label in ADMINISTRATOR_VIEWS_APPS:
            for model in apps.get_app_config(app_label).get_models():
                keys.add((app_label, f"view_{model._meta.model_name}"))
    return keys


def staff_groups_ensure(**kwargs: Any) -> None:
    """post_migrate handler: create the Analyst and Administrator groups and set their
    permissions to exactly GROUP_PERMISSIONS. Idempotent."""
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    for name in GROUP_PERMISSIONS:
        group, _ = Group.objects.get_or_create(name=name)
        wanted = Q(pk__in=[])
        for app_label, codename in group_permission_keys(name):
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(wanted))
