"""The Investigator role: a group and its permissions, kept in step on every migrate.

Created by a post_migrate handler (objects/apps.py) rather than only by a data migration, so
it also comes back after a test database is flushed, and a permission added here reaches
existing installations at their next migrate.
"""

from __future__ import annotations

INVESTIGATOR = "Investigator"
INVESTIGATOR_PERMISSIONS = {
    "case": ["add", "change", "view"],
    "tracedobject": ["add", "change", "view", "publish", "identify", "retire"],
    "resemblance": ["view"],
}


def investigator_group_ensure(**kwargs) -> None:
    """post_migrate handler: create the group and give it its permissions. Idempotent."""
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.get_or_create(name=INVESTIGATOR)
    codenames = [
        f"{action}_{model}"
        for model, actions in INVESTIGATOR_PERMISSIONS.items()
        for action in actions
    ]
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="objects", codename__in=codenames)
    )
