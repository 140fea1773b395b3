"""Demo staff for local development. These passwords are public: never use them elsewhere."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from moderation.roles import ROLE_GROUPS


@dataclass(frozen=True)
class DemoPerson:
    username: str
    password: str
    role: str


DEMO_STAFF = [
    DemoPerson("demo-admin", "demo-admin-local-only", "administrator"),
    DemoPerson("demo-investigator-1", "demo-investigator-1-local-only", "investigator"),
    DemoPerson("demo-investigator-2", "demo-investigator-2-local-only", "investigator"),
]


def demo_staff_ensure() -> int:
    """Create the demo staff that are missing; return how many were created."""
    User = get_user_model()
    created = 0
    for person in DEMO_STAFF:
        user, was_created = User.objects.get_or_create(
            username=person.username,
            defaults={"is_staff": True, "is_superuser": person.role == "administrator"},
        )
        if was_created:
            user.set_password(person.password)
            user.save(update_fields=["password"])
            group = ROLE_GROUPS.get(person.role)
            if group:
                user.groups.add(Group.objects.get(name=group))
            created += 1
    return created


def demo_person(username: str):
    return get_user_model().objects.get(username=username)
