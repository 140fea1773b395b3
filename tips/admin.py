"""The tips back office, as far as staff need it now: read a tip, set its status, ask the
tipster a question, open their contact details on demand, and watch the outbox drain.

Everything a tipster wrote is shown as escaped plain text (links are never made clickable).
Contact details stay encrypted on every page but one: a POST to `<id>/reveal-contact/` by a
user who may change tips, answered with a page no browser or proxy may keep. Tips are never
added here, and never deleted here: the retention job does that (tips/services.py).

The full triage queue (roles, assignment, bulk actions, the audit log) comes later; the
writes below are shaped so they can move into tips/services.py unchanged.
"""

from __future__ import annotations

from cryptography.fernet import InvalidToken
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django_countries import countries

from tips.crypto import contact_decrypt
from tips.forms import CleanCharField
from tips.models import CLOSED_STATUSES, OutboxMessage, Tip, TipFollowUp, TipMessage, TipStatus

# Statuses a question moves to "needs information"; a tip already forwarded or marked a
# duplicate keeps its status (the question is still shown to the tipster).
ASKABLE_STATUSES = (TipStatus.NEW, TipStatus.IN_REVIEW)


class StatusChangedMeanwhile(Exception):
    """Someone else changed the tip's status between loading and saving the page."""


class TipQuestionForm(forms.Form):
    body = CleanCharField(
        label=gettext_lazy("Question for the tipster"),
        help_text=gettext_lazy(
            "The tipster reads it when they check their receipt. Write nothing about the "
            "case that is not public."
        ),
        min_length=2,
        max_length=2000,
        multiline=True,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
    )


def tip_ask(*, tip: Tip, by, body: str) -> TipMessage:
    """Write a question the tipster sees through their receipt; a tip waiting for the
    analysts now waits for the tipster (a conditional update, so a second question or a
    tip forwarded meanwhile is left as it is)."""
    with transaction.atomic():
        message = TipMessage.objects.create(tip=tip, author=by, body=body)
        Tip.objects.filter(pk=tip.pk, status__in=ASKABLE_STATUSES).update(
            status=TipStatus.NEEDS_INFO
        )
    return message


# --- Inlines: what the tipster added later, and what staff asked -------------------------


class ReadOnlyTipInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        # Follow-ups and questions belong to the tip: whoever may see the tip sees them.
        return request.user.has_perm("tips.view_tip") or request.user.has_perm("tips.change_tip")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TipFollowUpInline(ReadOnlyTipInline):
    model = TipFollowUp
    fields = ["received_at", "body"]
    readonly_fields = fields
    verbose_name = gettext_lazy("information added by the tipster")
    verbose_name_plural = gettext_lazy("information added by the tipster")


class TipMessageInline(ReadOnlyTipInline):
    model = TipMessage
    fields = ["created_at", "author_name", "body"]
    readonly_fields = fields
    verbose_name = gettext_lazy("question to the tipster")
    verbose_name_plural = gettext_lazy("questions to the tipster")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    @admin.display(description=gettext_lazy("asked by"))
    def author_name(self, message):
        return message.author.get_username()


# --- Tips ---------------------------------------------------------------------------------


@admin.register(Tip)
class TipAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "received_at",
        "kind",
        "object_code",
        "urgent",
        "status",
        "language",
        "has_contact",
        "follow_up_count",
    ]
    list_display_links = ["id", "received_at"]
    list_filter = ["status", "urgent", "kind"]
    list_select_related = ["traced_object"]
    search_fields = ["body"]
    ordering = ["-received_at", "-id"]
    inlines = [TipFollowUpInline, TipMessageInline]
    fieldsets = [
        (None, {"fields": ["status", "kind", "object_code", "urgent", "received_at", "language"]}),
        (
            gettext_lazy("What the tipster wrote"),
            {"fields": ["body", "country_name", "where", "links_text"]},
        ),
        (gettext_lazy("Contact"), {"fields": ["contact_given"]}),
        (gettext_lazy("Retention"), {"fields": ["closed_at", "receipt_state"]}),
    ]
    # Only the status can be changed, for now; what the tipster wrote never.
    readonly_fields = [
        "kind",
        "object_code",
        "urgent",
        "received_at",
        "language",
        "body",
        "country_name",
        "where",
        "links_text",
        "contact_given",
        "closed_at",
        "receipt_state",
    ]

    def get_queryset(self, request):
        # A subquery rather than Count() over a join: the list's COUNT(*) queries then stay
        # plain counts of tips, without a join and a GROUP BY over every follow-up.
        follow_ups = (
            TipFollowUp.objects.filter(tip=OuterRef("pk"))
            .order_by()
            .values("tip")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(follow_up_count=Coalesce(Subquery(follow_ups), 0))
        )

    def has_add_permission(self, request):
        return False  # tips come from the public forms only

    def has_delete_permission(self, request, obj=None):
        return False  # the retention job deletes tips, on the published schedule

    def has_reveal_permission(self, request) -> bool:
        return request.user.has_perm("tips.change_tip")

    def tip_or_404(self, request, object_id: str) -> Tip:
        tip = self.get_object(request, unquote(object_id))
        if tip is None:
            raise Http404(_("No such tip."))
        return tip

    def change_url(self, tip) -> str:
        return reverse("admin:tips_tip_change", args=[tip.pk])

    # --- Columns and read-only fields (escaped: format_html_join or plain strings)

    @admin.display(description=gettext_lazy("object"), ordering="traced_object__code")
    def object_code(self, tip):
        return tip.traced_object.code if tip.traced_object else "-"

    @admin.display(description=gettext_lazy("contact"), boolean=True)
    def has_contact(self, tip):
        return tip.has_contact

    @admin.display(description=gettext_lazy("follow-ups"), ordering="follow_up_count")
    def follow_up_count(self, tip):
        return tip.follow_up_count

    @admin.display(description=gettext_lazy("country"))
    def country_name(self, tip):
        if not tip.country:
            return "-"
        return f"{countries.name(tip.country) or '?'} ({tip.country})"

    @admin.display(description=gettext_lazy("links (not opened, not clickable)"))
    def links_text(self, tip):
        links = tip.links if isinstance(tip.links, list) else []
        if not links:
            return "-"
        return format_html_join("\n", "<div>{}</div>", ((str(link),) for link in links))

    @admin.display(description=gettext_lazy("contact details given"))
    def contact_given(self, tip):
        if tip.has_contact:
            return _("yes")
        if tip.contact_deleted_at:
            return _("no: deleted on %(date)s by the retention schedule") % {
                "date": timezone.localtime(tip.contact_deleted_at).strftime("%Y-%m-%d")
            }
        return _("no")

    @admin.display(description=gettext_lazy("receipt"))
    def receipt_state(self, tip):
        if tip.receipt_invalidated_at:
            return _("expired on %(date)s by the retention schedule") % {
                "date": timezone.localtime(tip.receipt_invalidated_at).strftime("%Y-%m-%d")
            }
        return _("works: the tipster can read questions and add information")

    # --- Status: a conditional update of the status alone, never a full save

    def save_model(self, request, obj, form, change):
        if not change:
            raise RuntimeError("tips are created by tips.services.tip_receive only")
        if "status" not in form.changed_data:
            return
        previous, status = form.initial["status"], form.cleaned_data["status"]
        # The retention clock starts when a tip is closed or rejected; reopening stops it.
        closed_at = timezone.now() if status in CLOSED_STATUSES else None
        updated = Tip.objects.filter(pk=obj.pk, status=previous).update(
            status=status, closed_at=closed_at
        )
        if not updated:
            raise StatusChangedMeanwhile
        obj.closed_at = closed_at

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(
                can_reveal=self.has_reveal_permission(request),
                can_ask=self.has_change_permission(request, obj)
                and obj.status not in CLOSED_STATUSES,
                question_form=TipQuestionForm(),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        try:
            return super().change_view(request, object_id, form_url, extra_context)
        except StatusChangedMeanwhile:  # from save_model: the transaction was rolled back
            self.message_user(
                request,
                _("Someone else changed this tip's status meanwhile. Nothing was saved."),
                messages.ERROR,
            )
            return HttpResponseRedirect(request.path)

    # --- Contact details on demand, and questions to the tipster

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/reveal-contact/",
                wrap(self.reveal_contact_view),
                name="tips_tip_reveal_contact",
            ),
            path("<path:object_id>/ask/", wrap(self.ask_view), name="tips_tip_ask"),
            *super().get_urls(),
        ]

    @method_decorator(never_cache)  # the admin does this too; here it must never be missed
    def reveal_contact_view(self, request, object_id):
        tip = self.tip_or_404(request, object_id)
        if not self.has_reveal_permission(request):
            raise PermissionDenied
        if request.method != "POST":  # a link, a prefetch or a crawler never opens them
            return HttpResponseNotAllowed(["POST"])
        contact, problem = "", ""
        if not tip.contact_encrypted:
            problem = _(
                "No contact details are stored for this tip: none were given, or they were "
                "deleted on the retention schedule."
            )
        else:
            try:
                contact = contact_decrypt(tip.contact_encrypted)
            except InvalidToken:
                problem = _(
                    "The contact details cannot be decrypted: the key they were encrypted "
                    "with is missing from TIP_CONTACT_KEYS. Put that key back after the "
                    "current one and run manage.py rotate_contact_keys."
                )
            # audit: contact revealed
        return self.render_tip_page(
            request,
            tip,
            "admin/tips/tip/reveal_contact.html",
            title=_("Contact details of %(tip)s") % {"tip": tip},
            contact=contact,
            problem=problem,
        )

    def ask_view(self, request, object_id):
        tip = self.tip_or_404(request, object_id)
        if not self.has_change_permission(request, tip):
            raise PermissionDenied
        form = TipQuestionForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            if tip.status in CLOSED_STATUSES:
                # The tipster of a closed tip cannot answer, and their receipt will expire.
                form.add_error(None, _("This tip is closed. Reopen it before asking a question."))
            else:
                tip_ask(tip=tip, by=request.user, body=form.cleaned_data["body"])
                self.log_change(request, tip, _("Asked the tipster a question."))
                self.message_user(
                    request,
                    _("The question was saved. The tipster sees it when they check their receipt."),
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self.change_url(tip))
        return self.render_tip_page(
            request,
            tip,
            "admin/tips/tip/ask.html",
            title=_("Ask the tipster of %(tip)s") % {"tip": tip},
            form=form,
        )

    def render_tip_page(self, request, tip, template: str, **context):
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": tip,
                "change_url": self.change_url(tip),
                **context,
            },
        )


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
class OutboxMessageAdmin(admin.ModelAdmin):
    """For operators to watch jobs written while the broker was down go out (read only)."""

    list_display = ["id", "task", "created_at", "sent_at", "attempts", "last_error"]
    list_filter = [OutboxStateFilter, "task"]
    ordering = ["-id"]
    fields = ["task", "kwargs", "created_at", "sent_at", "attempts", "last_error"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a pending row is work still to do
