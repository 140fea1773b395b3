"""Who may do what with tips, written once for the services, the admin and the board."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

# One page of tips; a bigger batch is a mistake, not a workflow.
MAX_TIPS_PER_FORWARD = 200


def may_forward(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Forwarding shows the tips to a case owner, so it needs reading them as well."""
    return user.has_perm("moderation.add_forward") and user.has_perm("tips.view_tip")
