"""Forwards and staff accounts as the admin framework lists and shows them: the case owner's
inbox (an investigator sees only what was forwarded to them), every forward for analysts,
and the user and group pages. Pages: moderation/pages/; writes: moderation.forwarding."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.history import AuditHistory
from moderation.models import Forward
from moderation.pages.acknowledge import acknowledge_view
from moderation.pages.common import forward_or_404
from moderation.pages.forward import forward_page_context
from moderation.pages.forward_create import forward_create_view
from moderation.pages.forward_export import forward_export_view
from moderation.pages.outcome import outcome_view
from moderation.pages.preference import preference_view
from moderation.roles import ROLE_GROUPS
from moderation.selectors import forwards_visible_to, sees_every_forward
from moderation.staff import OWN_ACCOUNT_READONLY, role_changes_by
from tips.display import links_as_text
from traceobject.backoffice import staff_user


class AcknowledgedFilter(admin.SimpleListFilter):
    title = gettext_lazy("acknowledged")
    parameter_name = "acknowledged"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(acknowledged_at__isnull=self.value() == "no")
        return queryset


def short_time(moment: Any) -> str:
    """2026-12-01 12:29 (local time): narrow enough for a list column."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "-"


@admin.register(Forward)
class ForwardAdmin(AuditHistory, admin.ModelAdmin):
    list_display = [
        "tip_number",
        "object_code",
        "summary_short",
        "by",
        "to",
        "created",
        "acknowledged",
        "outcome",
    ]
    list_filter = [AcknowledgedFilter, "outcome"]
    list_select_related = ["tip__traced_object", "by", "to"]
    ordering = ["-created_at", "-id"]
    fieldsets = [
        (
            gettext_lazy("The forward"),
            {"fields": ["tip_number", "object_code", "by", "to", "created_at", "summary"]},
        ),
        (
            gettext_lazy("What the tipster wrote"),
            {"fields": ["tip_body", "tip_country", "tip_where", "tip_links", "tip_follow_ups"]},
        ),
        (
            gettext_lazy("Outcome"),
            {"fields": ["acknowledged_at", "outcome", "outcome_note", "outcome_at"]},
        ),
    ]
    readonly_fields = [
        "tip_number",
        "object_code",
        "by",
        "to",
        "created_at",
        "summary",
        "tip_body",
        "tip_country",
        "tip_where",
        "tip_links",
        "tip_follow_ups",
        "acknowledged_at",
        "outcome",
        "outcome_note",
        "outcome_at",
    ]

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        view = partial(partial, model_admin=self)
        return [
            path("create/", wrap(view(forward_create_view)), name="moderation_forward_create"),
            path("preference/", wrap(view(preference_view)), name="moderation_forward_preference"),
            path("export/", wrap(view(forward_export_view)), name="moderation_forward_export"),
            path(
                "<path:object_id>/acknowledge/",
                wrap(view(acknowledge_view)),
                name="moderation_forward_acknowledge",
            ),
            path(
                "<path:object_id>/outcome/",
                wrap(view(outcome_view)),
                name="moderation_forward_outcome",
            ),
            *super().get_urls(),
        ]

    # --- Who sees what

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        # An investigator's inbox holds only their own forwards: a "to" column would repeat
        # their name on every row and push the acknowledged and outcome columns out of sight.
        if sees_every_forward(staff_user(request)):
            return self.list_display
        return [column for column in self.list_display if column != "to"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Forward]:
        return forwards_visible_to(user=staff_user(request), forwards=super().get_queryset(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # forwards are made from tips, through forward_create_view

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # read-only: the recipient acts through the buttons of the page

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        forward = forward_or_404(self, request, object_id)
        context = {**forward_page_context(request, forward), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, context)

    # --- Columns and read-only fields (escaped by the admin; links are plain text)

    @admin.display(description=gettext_lazy("tip"), ordering="tip_id")
    def tip_number(self, forward: Forward) -> str:
        return f"#{forward.tip_id}"

    @admin.display(description=gettext_lazy("object"))
    def object_code(self, forward: Forward) -> str:
        obj = forward.tip.traced_object
        return obj.code if obj else _("(report, no object)")

    @admin.display(description=gettext_lazy("created at"), ordering="created_at")
    def created(self, forward: Forward) -> str:
        return short_time(forward.created_at)

    @admin.display(description=gettext_lazy("acknowledged"), ordering="acknowledged_at")
    def acknowledged(self, forward: Forward) -> str:
        return short_time(forward.acknowledged_at)

    @admin.display(description=gettext_lazy("summary"))
    def summary_short(self, forward: Forward) -> str:
        return Truncator(forward.summary).chars(80)

    @admin.display(description=gettext_lazy("what they recognise"))
    def tip_body(self, forward: Forward) -> str:
        return forward.tip.body

    @admin.display(description=gettext_lazy("country"))
    def tip_country(self, forward: Forward) -> str:
        return forward.tip.country or "-"

    @admin.display(description=gettext_lazy("where it is sold or seen"))
    def tip_where(self, forward: Forward) -> str:
        return forward.tip.where or "-"

    @admin.display(description=gettext_lazy("links (not opened, not clickable)"))
    def tip_links(self, forward: Forward) -> str:
        return links_as_text(forward.tip.links)

    @admin.display(description=gettext_lazy("added later by the tipster"))
    def tip_follow_ups(self, forward: Forward) -> SafeString | str:
        follow_ups = forward.tip.follow_ups.all()
        if not follow_ups:
            return "-"
        return format_html_join(
            "\n",
            "<p>{}: {}</p>",
            ((f"{item.received_at:%Y-%m-%d %H:%M}", item.body) for item in follow_ups),
        )


# --- Staff accounts -------------------------------------------------------------------------
# Django's stock user and group pages let anyone with auth.change_user tick "superuser
# status" on their own account, set any user's password, or grant a group any permission.
# Administrators manage staff and roles; only superusers may grant powers beyond the roles.

User = get_user_model()
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class StaffUserAdmin(AuditHistory, UserAdmin):
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions"]
        if obj is not None and obj.pk == request.user.pk:
            # Nobody changes their own roles, superusers included (moderation/staff.py).
            readonly += [name for name in OWN_ACCOUNT_READONLY if name not in readonly]
        return readonly

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # Names the administrator in the audit of any role change this form makes, and lets
        # moderation.staff refuse a change of their own roles however the form was posted.
        with role_changes_by(user=staff_user(request), via="back office"):
            return super().changeform_view(request, object_id, form_url, extra_context)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A superuser's account (its password page included) is for superusers only.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Group)
class RoleGroupAdmin(AuditHistory, GroupAdmin):
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly.append("permissions")  # roles' permissions are set by migrate
        if obj is not None and obj.name in ROLE_GROUPS.values():
            # migrate finds the roles by name: renaming one would hand its members another
            # role's permissions at the next migrate.
            readonly.append("name")
        return readonly

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        with role_changes_by(user=staff_user(request), via="back office"):
            return super().changeform_view(request, object_id, form_url, extra_context)
