"""Demo staff for local development. These passwords and backup codes are public: never use
them elsewhere."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from moderation.roles import ROLE_GROUPS


@dataclass(frozen=True)
class DemoPerson:
    username: str
    password: str
    role: str


DEMO_STAFF = [
    DemoPerson("demo-admin", "demo-admin-local-only", "administrator"),
    DemoPerson("demo-analyst", "demo-analyst-local-only", "analyst"),
    DemoPerson("demo-investigator-1", "demo-investigator-1-local-only", "investigator"),
    DemoPerson("demo-investigator-2", "demo-investigator-2-local-only", "investigator"),
]
# Each demo person's backup codes, the second factor at the demo login. A code works once;
# seed_demo (every `make run`) puts used ones back.
DEMO_BACKUP_CODES = ["demo0001", "demo0002", "demo0003", "demo0004", "demo0005"]


def demo_staff_ensure() -> int:
    """Create the demo staff that are missing, and restore their backup codes; return how
    many people were created."""
    User = get_user_model()
    created = 0
    for person in DEMO_STAFF:
        user, was_created = User.objects.get_or_create(
            username=person.username,
            # The demo administrator is also a superuser, to show every corner of the site;
            # real administrators (create_staff --role administrator) are not.
            defaults={"is_staff": True, "is_superuser": person.username == "demo-admin"},
        )
        if was_created:
            user.set_password(person.password)
            user.save(update_fields=["password"])
            user.groups.add(Group.objects.get(name=ROLE_GROUPS[person.role]))
            created += 1
        demo_backup_codes_ensure(user)
    return created


def demo_backup_codes_ensure(user: Any) -> None:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="demo backup codes", defaults={"confirmed": True}
    )
    for code in DEMO_BACKUP_CODES:
        StaticToken.objects.get_or_create(device=device, token=code)


def demo_person(username: str) -> Any:
    return get_user_model().objects.get(username=username)
