"""Demo staff for local development. These passwords are public: never use them elsewhere."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model


@dataclass(frozen=True)
class DemoPerson:
    username: str
    password: str
    role: str
    is_superuser: bool = False


DEMO_STAFF = [
    DemoPerson("demo-admin", "demo-admin-local-only", "administrator", is_superuser=True),
]


def demo_staff_ensure() -> int:
    """Create the demo staff that are missing; return how many were created."""
    User = get_user_model()
    created = 0
    for person in DEMO_STAFF:
        user, was_created = User.objects.get_or_create(
            username=person.username,
            defaults={"is_staff": True, "is_superuser": person.is_superuser},
        )
        if was_created:
            user.set_password(person.password)
            user.save(update_fields=["password"])
            created += 1
    return created
