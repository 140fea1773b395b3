"""Who may do what with tips, written once for the services, the admin and the board."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

# One page of tips; a bigger batch is a mistake, not a workflow.
MAX_TIPS_PER_FORWARD = 200


def may_forward(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Forwarding shows the tips to a case owner, so it needs reading them as well."""
    # The stubs give AbstractBaseUser no has_perm; our User (PermissionsMixin) has it.
    perms = ("moderation.add_forward", "tips.view_tip")
    return user.has_perms(perms)  # type: ignore[union-attr]
