"""The relaying portal's view of its messages about tips to partner portals (read only):
each tip relayed to an object's owner and each status or question sent back, waiting,
delivered or refused with the reason. What a message carried is not shown (a tipster's
text; their contact details were never readable here)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from audit.history import AuditHistory
from tips.models import TipRelay


@admin.register(TipRelay)
class TipRelayAdmin(AuditHistory, admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "tip_id",
        "partner",
        "state",
        "refused_reason",
        "created_at",
        "delivered_at",
        "attempts",
        "next_attempt_at",
        "last_error",
        "owner_ref",
    ]
    list_filter = ["state", "kind", "partner"]
    list_select_related = ["partner"]
    ordering = ["-id"]
    fields = readonly_fields = (
        "kind",
        "tip",
        "partner",
        "message_id",
        "state",
        "refused_reason",
        "created_at",
        "delivered_at",
        "attempts",
        "next_attempt_at",
        "last_error",
        "owner_ref",
    )

    @admin.display(description=gettext_lazy("tip"), ordering="tip_id")
    def tip_id(self, relay: TipRelay) -> int:
        return relay.tip_id

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a waiting message is a tip still to deliver
