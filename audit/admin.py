"""The audit log and the failed tasks in the back office: read only for everyone,
superusers included; the log's CSV export is in audit/pages/export.py."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy

from audit.history import AuditHistory
from audit.models import AuditEntry, FailedTask
from audit.pages.export import audit_export_view
from audit.selectors import audit_actions, staff_usernames
from traceobject.backoffice import SortableOnlyChangeList
from traceobject.pagination import CappedPaginator


@admin.register(FailedTask)
class FailedTaskAdmin(AuditHistory, admin.ModelAdmin):
    list_display = ["task_name", "failed_at", "task_id"]
    list_filter = ["task_name"]
    readonly_fields = ["task_name", "task_id", "args", "error", "failed_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ActionNamespaceFilter(admin.SimpleListFilter):
    """By the part of the action before the dot: "tip.*", "object.*", "auth.*"."""

    title = gettext_lazy("action")
    parameter_name = "namespace"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        namespaces = sorted({action.split(".", 1)[0] for action in audit_actions()})
        return [(namespace, f"{namespace}.*") for namespace in namespaces]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        # LIKE 'tip.%': the action index Django makes with varchar_pattern_ops serves it.
        if self.value():
            return queryset.filter(action__startswith=f"{self.value()}.")
        return queryset


class StaffUsernameFilter(admin.SimpleListFilter):
    """By who acted: the staff accounts (a short table), not a DISTINCT over the log."""

    title = gettext_lazy("username")
    parameter_name = "username"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(name, name) for name in staff_usernames()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(username=self.value())
        return queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(AuditHistory, admin.ModelAdmin):
    list_display = ["at", "action", "username", "target"]
    list_filter = [ActionNamespaceFilter, StaffUsernameFilter]
    # Exact matches, each on its own index (an icontains or iexact would scan the log). No
    # date drill-down: its DISTINCT over the dates sorted the whole table.
    search_fields = ["target_id__exact", "username__exact"]
    paginator = CappedPaginator  # the last page: the oldest entries
    show_full_result_count = False
    # Newest first, always: a million entries sorted by action or name take a third of a
    # second, and the filters answer "what did this person do" from an index.
    sortable_by = ()
    fields = readonly_fields = (
        "at",
        "action",
        "username",
        "user",
        "target_type",
        "target_id",
        "target_repr",
        "data",
    )

    # Nobody changes the log, superusers included (the model and PostgreSQL refuse it too).
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("target"))
    def target(self, entry: AuditEntry) -> str:
        if not entry.target_type:
            return "-"
        return f"{entry.target_type} #{entry.target_id} {entry.target_repr}".strip()

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return SortableOnlyChangeList  # ignores a hand-written ?o= too, not just its links

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        can_export = request.user.has_perm("audit.export_auditentry")
        return super().changelist_view(request, {"can_export": can_export, **(extra_context or {})})

    def get_urls(self) -> list[URLPattern]:
        view = partial(audit_export_view, model_admin=self)
        return [
            path("export/", self.admin_site.admin_view(view), name="audit_auditentry_export"),
            *super().get_urls(),
        ]
