"""Staff roles: who may change them, and the audit of every change, whatever the path (the
user page, create_staff, a shell, a data migration): the `m2m_changed` signal of
`User.groups` and the `pre_save` of `User` are the one place all pass. Rules (nobody changes
their own roles; one administrator's change takes effect at once): docs/architecture.md."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import log_action

# Flags of the user row that are part of a role; changes to them are audited like groups.
ROLE_FLAGS = ("is_staff", "is_superuser", "is_active")
# Fields nobody may change on their own account.
OWN_ACCOUNT_READONLY = ("groups", "user_permissions", *ROLE_FLAGS)


# Who is changing roles right now: set by the back office around its forms, and by
# create_staff; unset (None) in a shell or a migration, which the entry then says.
_changed_by: ContextVar[tuple[Any, str] | None] = ContextVar("role_changes_by", default=None)


@contextmanager
def role_changes_by(*, user: Any = None, via: str) -> Iterator[None]:
    """Name the person (or command) making the role changes inside this block, which is one
    transaction: a change and its audit entry are kept together or not at all."""
    token = _changed_by.set((user, via))
    try:
        with transaction.atomic():
            yield
    finally:
        _changed_by.reset(token)


def _actor() -> tuple[Any, str]:
    return _changed_by.get() or (None, "code")


def check_can_change_roles(*, user_ids: set[int]) -> None:
    """A named person needs auth.change_user and may not change their own roles; a command
    or a shell (no person named) has shell access already."""
    actor, _via = _actor()
    if actor is None:
        return
    if not actor.has_perm("auth.change_user"):
        raise PermissionDenied(_("You do not have the permission to change staff roles."))
    if actor.pk in user_ids:
        raise PermissionDenied(_("Nobody changes their own roles; ask another administrator."))


def _group_names(user_id: int) -> list[str]:
    return sorted(Group.objects.filter(user__pk=user_id).values_list("name", flat=True))


def _log_role_change(*, user_id: int, before: list[str], after: list[str]) -> None:
    if before == after:
        return
    actor, via = _actor()
    log_action(
        "staff.role_changed",
        user=actor,
        target=get_user_model().objects.get(pk=user_id),
        data={
            "from": before,
            "to": after,
            "added": sorted(set(after) - set(before)),
            "removed": sorted(set(before) - set(after)),
            "via": via,
        },
    )


def groups_changed(
    sender: Any,
    instance: Any,
    action: str,
    reverse: bool,
    model: Any,
    pk_set: set[int] | None,
    **kwargs: Any,
) -> None:
    """m2m_changed of User.groups: `user.groups.add/remove/set/clear` (reverse=False, the
    instance is the user) and `group.user_set.…` (reverse=True, the instance is a group and
    pk_set holds users). Records each user's groups before the change, logs after it."""
    if not action.startswith(("pre_", "post_")):
        return
    if reverse:
        user_ids = (
            set(pk_set)
            if pk_set is not None
            else set(instance.user_set.values_list("pk", flat=True))
        )
    else:
        user_ids = {instance.pk}
    if action.startswith("pre_"):
        check_can_change_roles(user_ids=user_ids)
        stash = instance.__dict__.setdefault("_role_groups_before", {})
        for user_id in user_ids:
            stash[user_id] = _group_names(user_id)
        return
    stash = instance.__dict__.pop("_role_groups_before", {})
    if action == "post_clear":
        user_ids = set(stash)  # the group has no members left to ask for
    for user_id in user_ids:
        _log_role_change(
            user_id=user_id, before=stash.get(user_id, []), after=_group_names(user_id)
        )


def flags_changed(
    sender: Any, instance: Any, raw: bool = False, update_fields: Any = None, **kwargs: Any
) -> None:
    """pre_save of User: refuse a change of one's own flags; audit any change of them."""
    if raw:
        return  # loading a fixture
    if update_fields is not None and not set(update_fields) & set(ROLE_FLAGS):
        return  # e.g. last_login on every login
    if instance.pk is None:
        before: dict[str, Any] = {}
    else:
        before = type(instance).objects.filter(pk=instance.pk).values(*ROLE_FLAGS).first() or {}
    # A new account's staff flag gives no power without a group (logged when it is added);
    # a new superuser is a role of its own.
    watched = ROLE_FLAGS if instance.pk is not None else ("is_superuser",)
    changed = {
        flag: [before.get(flag, False), getattr(instance, flag)]
        for flag in watched
        if before.get(flag, False) != getattr(instance, flag)
    }
    if not changed:
        return
    if instance.pk is not None:
        check_can_change_roles(user_ids={instance.pk})
    actor, via = _actor()
    if instance.pk is None:
        # Logged once the row exists, so the entry can name it.
        instance.__dict__["_role_flags_new"] = (changed, actor, via)
        return
    log_action("staff.role_changed", user=actor, target=instance, data={**changed, "via": via})


def flags_of_new_user(
    sender: Any, instance: Any, created: bool = False, raw: bool = False, **kwargs: Any
) -> None:
    """post_save of User: the flags a new account was created with (a new superuser)."""
    pending = instance.__dict__.pop("_role_flags_new", None)
    if raw or not created or pending is None:
        return
    changed, actor, via = pending
    log_action("staff.role_changed", user=actor, target=instance, data={**changed, "via": via})


def username_changed(
    sender: Any, instance: Any, raw: bool = False, update_fields: Any = None, **kwargs: Any
) -> None:
    """pre_save of User: a new name is audited (one's own included): the log keeps the name
    each entry was written under, so a rename must be in it to follow a person through it."""
    if raw or instance.pk is None:
        return
    if update_fields is not None and "username" not in update_fields:
        return  # e.g. last_login on every login
    before = type(instance).objects.filter(pk=instance.pk).values_list("username", flat=True)
    old = before.first()
    if old is None or old == instance.get_username():
        return
    actor, via = _actor()
    log_action(
        "staff.renamed",
        user=actor,
        target=instance,
        data={"from": old, "to": instance.get_username(), "via": via},
    )
