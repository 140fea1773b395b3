"""Personas for the back-office tests, besides those in tests/conftest.py (ines and sam own
the case, olga owns none):
- analyst ("ana"): staff who may change tips and forward them, but is not a superuser.
The investigators get mail addresses, so they can be notified, and `moderation.view_forward`
explicitly, so these tests do not depend on the role groups.
"""

from __future__ import annotations

import pytest

# Models are imported inside the helpers: this file is read before Django is set up.

TIP_TEXT = "The Sunny brand shampoo, sold in Lidl shops in Poland."

ANALYST_PERMISSIONS = [
    ("tips", "view_tip"),
    ("tips", "change_tip"),
    ("moderation", "add_forward"),
    ("moderation", "view_forward"),
]


@pytest.fixture(autouse=True)
def fresh_login_counters():
    """Failed logins per account are counted in the `ratelimit` cache: every test starts
    with none, so one test's failures never lock another's persona."""
    from django.core.cache import caches

    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


def grant(user, *perms: tuple[str, str]):
    from django.contrib.auth.models import Permission, User

    for app_label, codename in perms:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return User.objects.get(pk=user.pk)  # a fresh instance: permissions are cached


@pytest.fixture
def analyst(db):
    from django.contrib.auth.models import User

    user = User.objects.create_user("ana", password="ana-password-123", is_staff=True)
    return grant(user, *ANALYST_PERMISSIONS)


@pytest.fixture
def ines(investigator):
    investigator.email = "ines@police.example"
    investigator.save(update_fields=["email"])
    return grant(investigator, ("moderation", "view_forward"))


@pytest.fixture
def sam(second_investigator):
    second_investigator.email = "sam@police.example"
    second_investigator.save(update_fields=["email"])
    return grant(second_investigator, ("moderation", "view_forward"))


@pytest.fixture
def olga(outsider_investigator):
    outsider_investigator.email = "olga@police.example"
    outsider_investigator.save(update_fields=["email"])
    return grant(outsider_investigator, ("moderation", "view_forward"))


def received(traced_object=None, **content):
    from tips.services import TipContent, tip_receive

    values = {"body": TIP_TEXT, **content}
    return tip_receive(content=TipContent(**values), language="en", traced_object=traced_object).tip
