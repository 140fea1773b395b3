"""For operators to watch jobs written while the broker was down go out (read only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from audit.history import AuditHistory
from outbox.models import OutboxMessage


class OutboxStateFilter(admin.SimpleListFilter):
    title = gettext_lazy("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("pending", gettext_lazy("Pending")), ("sent", gettext_lazy("Sent"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "pending":
            return queryset.filter(sent_at__isnull=True)
        if self.value() == "sent":
            return queryset.filter(sent_at__isnull=False)
        return queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(AuditHistory, admin.ModelAdmin):
    list_display = ["id", "task", "created_at", "sent_at", "attempts", "last_error"]
    list_filter = [OutboxStateFilter, "task"]
    ordering = ["-id"]
    fields = readonly_fields = ("task", "kwargs", "created_at", "sent_at", "attempts", "last_error")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a pending row is work still to do
