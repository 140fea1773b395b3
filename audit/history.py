"""The admin's "History" page, read from the audit log, the one trail: mixed into every
ModelAdmin of ours, `AuditHistory` shows the audit entries whose target is the object (newest
first, to whoever may view it) and turns the admin's own LogEntry writes into no-ops (every
change is audited by the service that makes it, audit.services.log_action)."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from audit.models import AuditEntry

HISTORY_SHOWN = 200  # entries on the page; the audit log itself has the rest


class AuditHistory:
    """Replaces ModelAdmin.history_view and log_*; the class it is mixed into is a ModelAdmin."""

    # Django's admin log would be a second, partial trail that History does not show.
    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return None

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return None

    def log_deletion(self, request: HttpRequest, obj: Any, object_repr: str) -> Any:
        return None

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        return None

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        admin: Any = self  # a ModelAdmin: this class is mixed into one
        obj = admin.get_object(request, unquote(object_id))
        if obj is None:
            return admin._get_obj_does_not_exist_redirect(request, admin.opts, object_id)
        if not admin.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        entries = AuditEntry.objects.filter(
            target_type=obj._meta.label_lower, target_id=str(obj.pk)
        ).order_by("-at", "-id")
        request.current_app = admin.admin_site.name
        context = {
            **admin.admin_site.each_context(request),
            "title": _("History: %s") % obj,
            "subtitle": None,
            "entries": list(entries[:HISTORY_SHOWN]),
            "shown": HISTORY_SHOWN,
            "audit_log_url": audit_log_url(request, obj.pk),
            "module_name": str(capfirst(admin.opts.verbose_name_plural)),
            "object": obj,
            "opts": admin.opts,
            "preserved_filters": admin.get_preserved_filters(request),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/audit_history.html", context)


def audit_log_url(request: HttpRequest, target_id: object) -> str:
    """The audit log searched for this id, for those who may read the log; else empty."""
    if not request.user.has_perm("audit.view_auditentry"):
        return ""
    return reverse("admin:audit_auditentry_changelist") + f"?q={target_id}"
