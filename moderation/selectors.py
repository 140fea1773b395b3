"""Reads for the back office's forward pages."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet

from moderation.models import Forward
from tips.models import Tip
from tips.permissions import MAX_TIPS_PER_FORWARD


def sees_every_forward(user: User) -> bool:
    """Analysts (and superusers) see every forward; an investigator only their inbox."""
    return user.is_superuser or user.has_perm("tips.change_tip")


def forwards_visible_to(*, user: User, forwards: QuerySet[Forward]) -> QuerySet[Forward]:
    forwards = forwards.select_related("tip__traced_object", "by", "to")
    return forwards if sees_every_forward(user) else forwards.filter(to=user)


def tips_to_forward(*, raw_ids: str) -> list[Tip]:
    """The tips named by `?tips=1,2,3`, oldest first; none past MAX_TIPS_PER_FORWARD."""
    ids = {int(part) for part in raw_ids.split(",") if part.strip().isdigit()}
    if not ids or len(ids) > MAX_TIPS_PER_FORWARD:
        return []
    return list(
        Tip.objects.filter(pk__in=ids)
        .select_related("traced_object__case")
        .order_by("received_at", "id")
    )
