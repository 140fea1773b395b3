"""The back office for forwarding and the audit log.

- Forwards: the case owner's inbox (an investigator sees only what was forwarded to them;
  anything else answers 404) and the analysts' view of every forward and its outcome. The
  recipient acknowledges a tip and records its outcome on the forward's page; analysts
  forward tips from `forward/create/?tips=1,2,3`.
- The audit log: read-only for everyone, superusers included, with a CSV export.

Every change goes through moderation.forwarding; every export through moderation.exports.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.history import AuditHistory
from audit.models import AuditEntry, FailedTask
from audit.selectors import audit_actions
from moderation import exports
from moderation.forms import ForwardCreateForm, ForwardOutcomeForm, NotifyPreferenceForm
from moderation.forwarding import (
    forward_acknowledge,
    forward_recipients_default,
    forward_record_outcome,
    notify_mode,
    staff_preference_set,
    tip_forward,
)
from moderation.models import Forward, ForwardOutcome
from moderation.roles import ROLE_GROUPS
from moderation.staff import OWN_ACCOUNT_READONLY, role_changes_by
from objects.models import Case, ObjectState, TracedObject
from objects.services import check_can_identify
from objects.staff_images import OBJECT_IMAGE_SIDE, object_preview
from outbox.models import OutboxMessage
from tips import triage
from tips.changelist import QueueChangeList
from tips.display import links_as_text
from tips.models import Tip
from tips.selectors import tip_latest_note_body
from traceobject.backoffice import BackOfficePages, post_only
from traceobject.pagination import CappedPaginator

MAX_TIPS_PER_FORWARD = 200  # one page of tips; a bigger batch is a mistake, not a workflow


@admin.register(FailedTask)
class FailedTaskAdmin(AuditHistory, admin.ModelAdmin):
    list_display = ["task_name", "failed_at", "task_id"]
    list_filter = ["task_name"]
    readonly_fields = ["task_name", "task_id", "args", "error", "failed_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Forwards: list filters -------------------------------------------------------------


class AcknowledgedFilter(admin.SimpleListFilter):
    title = gettext_lazy("acknowledged")
    parameter_name = "acknowledged"

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(acknowledged_at__isnull=self.value() == "no")
        return queryset


def short_time(moment) -> str:
    """2026-12-01 12:29 (local time): narrow enough for a list column."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "-"


# --- Forwards ---------------------------------------------------------------------------


@admin.register(Forward)
class ForwardAdmin(AuditHistory, BackOfficePages, admin.ModelAdmin):
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

    # --- Who sees what

    @staticmethod
    def sees_every_forward(user) -> bool:
        return user.is_superuser or user.has_perm("tips.change_tip")

    def get_list_display(self, request):
        # An investigator's inbox holds only their own forwards: a "to" column would repeat
        # their name on every row and push the acknowledged and outcome columns out of sight.
        if self.sees_every_forward(request.user):
            return self.list_display
        return [column for column in self.list_display if column != "to"]

    def get_queryset(self, request):
        forwards = super().get_queryset(request).select_related("tip__traced_object", "by", "to")
        if not self.sees_every_forward(request.user):
            forwards = forwards.filter(to=request.user)
        return forwards

    def has_add_permission(self, request):
        return False  # forwards are made from tips, through create_view

    def has_change_permission(self, request, obj=None):
        return False  # read-only: the recipient acts through the buttons below

    def has_delete_permission(self, request, obj=None):
        return False

    def has_forward_permission(self, request) -> bool:
        user = request.user
        return user.has_perm("moderation.add_forward") and user.has_perm("tips.view_tip")

    def forward_or_404(self, request, object_id: str) -> Forward:
        forward = self.get_object(request, unquote(object_id))
        if forward is None or not self.has_view_permission(request, forward):
            raise Http404(_("No such forward."))
        return forward

    # --- Columns and read-only fields (escaped by the admin; links are plain text)

    @admin.display(description=gettext_lazy("tip"), ordering="tip_id")
    def tip_number(self, forward):
        return f"#{forward.tip_id}"

    @admin.display(description=gettext_lazy("object"))
    def object_code(self, forward):
        obj = forward.tip.traced_object
        return obj.code if obj else _("(report, no object)")

    @admin.display(description=gettext_lazy("created at"), ordering="created_at")
    def created(self, forward):
        return short_time(forward.created_at)

    @admin.display(description=gettext_lazy("acknowledged"), ordering="acknowledged_at")
    def acknowledged(self, forward):
        return short_time(forward.acknowledged_at)

    @admin.display(description=gettext_lazy("summary"))
    def summary_short(self, forward):
        return Truncator(forward.summary).chars(80)

    @admin.display(description=gettext_lazy("what they recognise"))
    def tip_body(self, forward):
        return forward.tip.body

    @admin.display(description=gettext_lazy("country"))
    def tip_country(self, forward):
        return forward.tip.country or "-"

    @admin.display(description=gettext_lazy("where it is sold or seen"))
    def tip_where(self, forward):
        return forward.tip.where or "-"

    @admin.display(description=gettext_lazy("links (not opened, not clickable)"))
    def tip_links(self, forward):
        return links_as_text(forward.tip.links)

    @admin.display(description=gettext_lazy("added later by the tipster"))
    def tip_follow_ups(self, forward):
        follow_ups = forward.tip.follow_ups.all()
        if not follow_ups:
            return "-"
        return format_html_join(
            "\n",
            "<p>{}: {}</p>",
            ((f"{item.received_at:%Y-%m-%d %H:%M}", item.body) for item in follow_ups),
        )

    # --- Change page: read-only, with the recipient's buttons

    def change_view(self, request, object_id, form_url="", extra_context=None):
        forward = self.forward_or_404(request, object_id)
        if request.method == "GET":
            triage.tip_view_logged(tip=forward.tip, by=request.user, forward_id=forward.pk)
        is_recipient = forward.to_id == request.user.pk
        context = {
            "is_recipient": is_recipient,
            "outcome_form": ForwardOutcomeForm(
                initial={"outcome": forward.outcome, "note": forward.outcome_note}
            ),
            "can_identify": self.may_identify(request, forward),
            "can_export": self.may_export(request, forward),
            # The object beside the tip, as on the tip's page, for whoever may see it.
            "beside": object_preview(forward.tip.traced_object, OBJECT_IMAGE_SIDE),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    def may_identify(self, request, forward) -> bool:
        obj = forward.tip.traced_object
        if forward.outcome != ForwardOutcome.IDENTIFICATION or obj is None:
            return False
        if obj.state != ObjectState.PUBLISHED:
            return False
        try:
            check_can_identify(obj=obj, by=request.user)
        except PermissionDenied:
            return False
        return True

    def may_export(self, request, forward) -> bool:
        obj = forward.tip.traced_object
        if obj is None:
            return False
        try:
            exports.check_can_export_forwarded(by=request.user, case=obj.case)
        except PermissionDenied:
            return False
        return True

    def change_url(self, forward) -> str:
        return reverse("admin:moderation_forward_change", args=[forward.pk])

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("create/", wrap(self.create_view), name="moderation_forward_create"),
            path("preference/", wrap(self.preference_view), name="moderation_forward_preference"),
            path("export/", wrap(self.export_view), name="moderation_forward_export"),
            path(
                "<path:object_id>/acknowledge/",
                wrap(self.acknowledge_view),
                name="moderation_forward_acknowledge",
            ),
            path(
                "<path:object_id>/outcome/",
                wrap(self.outcome_view),
                name="moderation_forward_outcome",
            ),
            *super().get_urls(),
        ]

    @post_only
    def acknowledge_view(self, request, object_id):
        forward = self.forward_or_404(request, object_id)
        forward_acknowledge(forward=forward, by=request.user)
        self.message_user(request, _("You acknowledged tip #%(tip)s.") % {"tip": forward.tip_id})
        return HttpResponseRedirect(self.change_url(forward))

    @post_only
    def outcome_view(self, request, object_id):
        forward = self.forward_or_404(request, object_id)
        form = ForwardOutcomeForm(request.POST)
        if not form.is_valid():
            self.message_user(request, _("Choose an outcome."), messages.ERROR)
            return HttpResponseRedirect(self.change_url(forward))
        forward_record_outcome(
            forward=forward,
            by=request.user,
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
        )
        self.message_user(
            request,
            _("The outcome of tip #%(tip)s is recorded: %(outcome)s.")
            % {"tip": forward.tip_id, "outcome": forward.get_outcome_display()},
        )
        return HttpResponseRedirect(self.change_url(forward))

    # --- Forward tips (reached from the tips list's "Forward…" action)

    def selected_tips(self, request) -> list[Tip]:
        raw = request.GET.get("tips", "")
        ids = {int(part) for part in raw.split(",") if part.strip().isdigit()}
        if not ids or len(ids) > MAX_TIPS_PER_FORWARD:
            return []
        return list(
            Tip.objects.filter(pk__in=ids)
            .select_related("traced_object__case")
            .order_by("received_at", "id")
        )

    def create_view(self, request):
        if not self.has_forward_permission(request):
            raise PermissionDenied
        tips_changelist = reverse("admin:tips_tip_changelist")
        tips = self.selected_tips(request)
        if not tips:
            self.message_user(
                request,
                _("Select between 1 and %(max)d tips to forward.") % {"max": MAX_TIPS_PER_FORWARD},
                messages.WARNING,
            )
            return HttpResponseRedirect(tips_changelist)
        if request.method == "POST":
            form = ForwardCreateForm(request.POST)
            if form.is_valid():
                recipients = list(form.cleaned_data["recipients"])
                tip_forward(
                    tips=tips,
                    recipients=recipients,
                    by=request.user,
                    summary=form.cleaned_data["summary"],
                )
                self.message_user(
                    request,
                    _("Forwarded %(count)d tip(s) to %(names)s.")
                    % {
                        "count": len(tips),
                        "names": ", ".join(user.get_username() for user in recipients),
                    },
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(tips_changelist)
        else:
            defaults = {user.pk for tip in tips for user in forward_recipients_default(tip=tip)}
            # The analyst's latest note is usually what the investigator needs to read.
            summary = tip_latest_note_body(tip_ids=[tip.pk for tip in tips])
            form = ForwardCreateForm(
                initial={
                    "recipients": sorted(defaults),
                    "summary": summary[: ForwardCreateForm.SUMMARY_MAX],
                }
            )
        return self.render_page(
            request,
            "admin/moderation/forward/create.html",
            title=_("Forward tips"),
            tips=tips,
            form=form,
            tips_changelist=tips_changelist,
        )

    # --- My notification preference

    def preference_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = NotifyPreferenceForm(request.POST)
            if form.is_valid():
                staff_preference_set(user=request.user, notify=form.cleaned_data["notify"])
                self.message_user(request, _("Your notification preference is saved."))
                return HttpResponseRedirect(reverse("admin:moderation_forward_changelist"))
        else:
            form = NotifyPreferenceForm(initial={"notify": notify_mode(user=request.user)})
        return self.render_page(
            request,
            "admin/moderation/forward/preference.html",
            title=_("My notification preference"),
            form=form,
        )

    # --- Export the forwarded tips of a case or an object

    def export_view(self, request):
        case_id, object_id = request.GET.get("case", ""), request.GET.get("object", "")
        if case_id.isdigit():
            target = {"case": get_object_or_404(Case, pk=case_id)}
        elif object_id.isdigit():
            target = {"traced_object": get_object_or_404(TracedObject, pk=object_id)}
        else:
            raise Http404(_("Export a case (?case=id) or an object (?object=id)."))
        export = exports.forwarded_tips_export(by=request.user, **target)
        return csv_response(export)


def csv_response(export: exports.Export) -> StreamingHttpResponse:
    response = StreamingHttpResponse(export.lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "no-store"
    return response


# --- Audit log --------------------------------------------------------------------------


class ActionNamespaceFilter(admin.SimpleListFilter):
    """By the part of the action before the dot: "tip.*", "object.*", "auth.*"."""

    title = gettext_lazy("action")
    parameter_name = "namespace"

    def lookups(self, request, model_admin):
        namespaces = sorted({action.split(".", 1)[0] for action in audit_actions()})
        return [(namespace, f"{namespace}.*") for namespace in namespaces]

    def queryset(self, request, queryset):
        # LIKE 'tip.%': the action index Django makes with varchar_pattern_ops serves it.
        if self.value():
            return queryset.filter(action__startswith=f"{self.value()}.")
        return queryset


class StaffUsernameFilter(admin.SimpleListFilter):
    """By who acted: the staff accounts (a short table), not a DISTINCT over the log."""

    title = gettext_lazy("username")
    parameter_name = "username"

    def lookups(self, request, model_admin):
        users = get_user_model().objects.filter(is_staff=True).order_by("username")
        return [(name, name) for name in users.values_list("username", flat=True)]

    def queryset(self, request, queryset):
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
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_export_permission(self, request) -> bool:
        return request.user.has_perm("audit.export_auditentry")

    @admin.display(description=gettext_lazy("target"))
    def target(self, entry):
        if not entry.target_type:
            return "-"
        return f"{entry.target_type} #{entry.target_id} {entry.target_repr}".strip()

    def get_changelist(self, request, **kwargs):
        return QueueChangeList  # ignores a hand-written ?o= too, not just its links

    def changelist_view(self, request, extra_context=None):
        context = {"can_export": self.has_export_permission(request), **(extra_context or {})}
        return super().changelist_view(request, context)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("export/", wrap(self.export_view), name="audit_auditentry_export"),
            *super().get_urls(),
        ]

    def export_view(self, request):
        """The entries the list shows with the same filters and search, as CSV."""
        if not (self.has_view_permission(request) and self.has_export_permission(request)):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters as exc:
            raise Http404(_("Unknown filter.")) from exc
        entries = changelist.get_queryset(request)
        export = exports.audit_export(
            by=request.user, entries=entries, filters=dict(request.GET.items())
        )
        return csv_response(export)


# --- Outbox ---------------------------------------------------------------------------------


class OutboxStateFilter(admin.SimpleListFilter):
    title = gettext_lazy("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("pending", gettext_lazy("Pending")), ("sent", gettext_lazy("Sent"))]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(sent_at__isnull=True)
        if self.value() == "sent":
            return queryset.filter(sent_at__isnull=False)
        return queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(AuditHistory, admin.ModelAdmin):
    """For operators to watch jobs written while the broker was down go out (read only)."""

    list_display = ["id", "task", "created_at", "sent_at", "attempts", "last_error"]
    list_filter = [OutboxStateFilter, "task"]
    ordering = ["-id"]
    fields = readonly_fields = ("task", "kwargs", "created_at", "sent_at", "attempts", "last_error")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a pending row is work still to do


# --- Staff accounts -------------------------------------------------------------------------
# Django's stock user and group pages let anyone with auth.change_user tick "superuser
# status" on their own account, set any user's password, or grant a group any permission.
# Administrators manage staff and roles; only superusers may grant powers beyond the roles.

User = get_user_model()
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class StaffUserAdmin(AuditHistory, UserAdmin):
    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions"]
        if obj is not None and obj.pk == request.user.pk:
            # Nobody changes their own roles, superusers included (moderation/staff.py).
            readonly += [name for name in OWN_ACCOUNT_READONLY if name not in readonly]
        return readonly

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # Names the administrator in the audit of any role change this form makes, and lets
        # moderation.staff refuse a change of their own roles however the form was posted.
        with role_changes_by(user=request.user, via="back office"):
            return super().changeform_view(request, object_id, form_url, extra_context)

    def has_change_permission(self, request, obj=None):
        # A superuser's account (its password page included) is for superusers only.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Group)
class RoleGroupAdmin(AuditHistory, GroupAdmin):
    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly.append("permissions")  # roles' permissions are set by migrate
        if obj is not None and obj.name in ROLE_GROUPS.values():
            # migrate finds the roles by name: renaming one would hand its members another
            # role's permissions at the next migrate.
            readonly.append("name")
        return readonly

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with role_changes_by(user=request.user, via="back office"):
            return super().changeform_view(request, object_id, form_url, extra_context)
