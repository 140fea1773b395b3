"""Who may do what with tips, written once for the services, the admin and the board."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

# One page of tips; a bigger batch is a mistake, not a workflow.
MAX_TIPS_PER_FORWARD = 200

Staff = User | AnonymousUser


@dataclass
class ForwardPage:
    """Forwarding lives in moderation, above tips: moderation names its permission and page
    here when it starts (moderation/apps.py), so tips spells no name of an app above it.
    Until then nobody may forward."""

    permission: str = ""
    url_name: str = ""


FORWARD_PAGE = ForwardPage()


def forward_page_register(*, permission: str, url_name: str) -> None:
    FORWARD_PAGE.permission = permission
    FORWARD_PAGE.url_name = url_name


def may_forward(user: Staff) -> bool:
    """Forwarding shows the tips to a case owner, so it needs reading them as well."""
    if not FORWARD_PAGE.permission:
        return False
    return user.has_perm(FORWARD_PAGE.permission) and user.has_perm("tips.view_tip")


def may_view_tips(user: Staff) -> bool:
    """The admin's own view-or-change rule: whoever may change tips may read them."""
    return user.has_perm("tips.view_tip") or user.has_perm("tips.change_tip")


def may_triage(user: Staff) -> bool:
    """Take, assign, change a status, ask the tipster, regroup, decide on a flood."""
    return user.has_perm("tips.change_tip")


def may_reveal_contact(user: Staff) -> bool:
    """Contact details are decrypted for those who work the tip, not for its readers."""
    return user.has_perm("tips.change_tip")


def may_add_note(user: Staff) -> bool:
    return user.has_perm("tips.add_tipnote")


# --- Guards: the first line of every service that writes for a staff member --------------


def check_can_view(by: Staff) -> None:
    if not may_view_tips(by):
        raise PermissionDenied(_("You do not have the permission to read tips."))


def check_can_triage(by: Staff) -> None:
    if not may_triage(by):
        raise PermissionDenied(_("You do not have the permission to change tips."))


def check_can_reveal_contact(by: Staff) -> None:
    if not may_reveal_contact(by):
        raise PermissionDenied(_("You do not have the permission to see contact details."))


def check_can_add_note(by: Staff) -> None:
    if not may_add_note(by):
        raise PermissionDenied(_("You do not have the permission to add notes to tips."))


def check_can_forward(by: Staff) -> None:
    if not may_forward(by):
        raise PermissionDenied(_("You do not have the permission to forward tips."))
