"""The tips back office: the analysts' triage queue, as the Django admin asks for it.

The list is the queue (its filters: tips/filters.py, its columns: tips/columns.py, its bulk
actions: tips/actions.py); a tip's page shows what the tipster wrote, read-only, and the
workbench around it (tips/workbench/). Every write goes through tips.triage, guarded and
audited there. Tips are never added here, and never deleted here: the retention job does
that (tips/services.py).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy

from audit.history import AuditHistory
from tips import (
    actions,
    columns,
    reading,
    relay_admin,  # noqa: F401  (registers the admin of relays to partners)
    triage,
)
from tips.changelist import QueueChangeList
from tips.filters import (
    AgeFilter,
    AnsweredFilter,
    AssignedFilter,
    FloodFilter,
    LanguageFilter,
    ObjectFilter,
    RelayedFilter,
    relay_column_shown,
    relayed_to,
)
from tips.models import Tip, TipFollowUp, TipKind, TipMessage, TipRelay, TipStatus
from tips.permissions import may_add_note, may_reveal_contact, may_view_tips
from tips.relay_models import handed_over_to
from tips.selectors import tips_for_staff, with_authors
from tips.workbench import ask, board, note, queue_step, reveal, take_next
from tips.workbench import triage as triage_page
from tips.workbench.common import on, staff
from tips.workbench.tip_page import tip_page_context
from traceobject.pagination import CappedPaginator

# --- Inlines: what the tipster added later, and what staff asked -------------------------


class ReadOnlyTipInline(admin.TabularInline):
    template = "admin/tips/tip/readonly_inline.html"
    extra = 0
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Follow-ups and questions belong to the tip: whoever may see the tip sees them.
        return may_view_tips(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TipFollowUpInline(ReadOnlyTipInline):
    model = TipFollowUp
    fields = readonly_fields = ("received_at", "body")
    verbose_name = gettext_lazy("information added by the tipster")
    verbose_name_plural = gettext_lazy("information added by the tipster")


class TipMessageInline(ReadOnlyTipInline):
    model = TipMessage
    fields = readonly_fields = ("created_at", "author_name", "body")
    verbose_name = gettext_lazy("question to the tipster")
    verbose_name_plural = gettext_lazy("questions to the tipster")

    def get_queryset(self, request: HttpRequest) -> QuerySet[TipMessage]:
        return with_authors(super().get_queryset(request))

    @admin.display(description=gettext_lazy("asked by"))
    def author_name(self, message: TipMessage) -> str:
        # No author here: an analyst of the partner portal that owns the object asked it.
        return message.author.get_username() if message.author else "—"


def _is_changelist(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    return bool(match and match.url_name == "tips_tip_changelist")


def _relay_owner(tip: Tip | None) -> str | None:
    """The partner portal a tip was handed over to (tips/relaying.py), whose analysts triage
    it: from the tip page's own query (TipAdmin.get_queryset), or asked."""
    if tip is None:
        return None
    if "relay_owner" not in tip.__dict__:  # a tip not read through get_queryset
        relays = TipRelay.objects.handing_over().filter(tip=tip)
        tip.__dict__["relay_owner"] = relays.values_list("partner__name", flat=True).first()
    owner: str | None = tip.__dict__["relay_owner"]
    return owner


def _swapped(fields: list[str], old: str, new: str) -> list[str]:
    return [new if field == old else field for field in fields]


# What the tipster wrote first, beside the object it is about; then what the grouping found,
# then where the tip stands.
FIELDSETS: list[tuple[Any, Any]] = [
    (
        gettext_lazy("What the tipster wrote"),
        {"fields": ["body_marked", "country_name", "where", "occurred", "links_text"]},
    ),
    (gettext_lazy("Similar tips and claims"), {"fields": ["similar_group", "claims_text"]}),
    (
        gettext_lazy("Status and handling"),
        {
            "fields": [
                "status",
                "rejected_reason",
                "kind",
                "object_code",
                "urgent",
                "held_by_breaker",
                "received_at",
                "language",
                "source_ref",
                "assignee",
                "first_triaged_at",
            ]
        },
    ),
    (gettext_lazy("Contact"), {"fields": ["contact_given"]}),
    (gettext_lazy("Retention"), {"fields": ["closed_at", "receipt_state"]}),
]


@admin.register(Tip)
class TipAdmin(AuditHistory, admin.ModelAdmin):
    # Few columns, so that the queue fits 1280 pixels: status, urgency, assignee and the
    # rest of the tip's state share one cell.
    list_display = ["id", "object_thumbnail", "preview", "strength", "state", "age"]
    list_display_links = ["id"]
    list_filter = [
        "status",
        ObjectFilter,
        "urgent",
        "held_by_breaker",
        AssignedFilter,
        AnsweredFilter,
        LanguageFilter,
        AgeFilter,
        "kind",
        FloodFilter,
        RelayedFilter,
    ]
    list_select_related = ["traced_object", "assigned_to", "group"]
    # Only columns an index serves (the primary key, received_at, tip_group_strength): sorting
    # a million tips by follow-ups, assignee or object took seconds.
    sortable_by = ["id", "strength", "age"]
    list_per_page = 50
    # UPPER(body) LIKE …, served on PostgreSQL by a trigram index (migration 0007).
    search_fields = ["body"]
    ordering = ["-received_at", "-id"]
    # The queue never counts the whole table, nor per filter option.
    paginator = CappedPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = [
        actions.take_tips,
        actions.mark_in_review,
        actions.reject_as_spam,
        actions.reject_as_irrelevant,
        actions.close_tips,
        actions.mark_duplicate,
        actions.forward_tips,
        actions.release_floods,
        actions.reject_floods,
        actions.split_from_groups,
        actions.merge_groups,
    ]
    inlines = [TipFollowUpInline, TipMessageInline]
    fieldsets = FIELDSETS
    # Nothing is changed through the form: a status changes only through the triage buttons
    # (tips/triage.py, one transition each), what the tipster wrote never.
    readonly_fields = [
        *(field for _name, options in FIELDSETS for field in options["fields"]),
        "reported_body",
    ]

    # The columns and read-only fields (tips/columns.py), found by name.
    object_code = staticmethod(columns.object_code)
    object_thumbnail = staticmethod(columns.object_thumbnail)
    preview = staticmethod(columns.preview)
    strength = staticmethod(columns.strength)
    state = staticmethod(columns.state)
    age = staticmethod(columns.age)
    source_ref = staticmethod(columns.source_ref)
    similar_group = staticmethod(columns.similar_group)
    claims_text = staticmethod(columns.claims_text)
    body_marked = staticmethod(columns.body_marked)
    assignee = staticmethod(columns.assignee)
    has_contact = staticmethod(columns.has_contact)
    follow_up_count = staticmethod(columns.follow_up_count)
    reported_body = staticmethod(columns.reported_body)
    country_name = staticmethod(columns.country_name)
    links_text = staticmethod(columns.links_text)
    contact_given = staticmethod(columns.contact_given)
    receipt_state = staticmethod(columns.receipt_state)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tip]:
        queue = _is_changelist(request)
        tips = tips_for_staff(super().get_queryset(request), queue=queue)
        return tips if queue else tips.annotate(relay_owner=handed_over_to("partner__name"))

    def get_list_display(self, request: HttpRequest) -> Any:
        shown = relay_column_shown(request)  # where relayed tips are listed
        return [*self.list_display, relayed_to] if shown else self.list_display

    def get_fieldsets(self, request: HttpRequest, obj: Tip | None = None) -> Any:
        if obj is None or obj.kind != TipKind.REPORT:
            return self.fieldsets
        # A report is not about an object: its text is "what was reported".
        return [
            (
                name,
                {**options, "fields": _swapped(options["fields"], "body_marked", "reported_body")},
            )
            for name, options in FIELDSETS
        ]

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[QueueChangeList]:
        return QueueChangeList

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {"can_take_next": self.has_change_permission(request), **(extra_context or {})}
        response = super().changelist_view(request, context)
        reading.queue_read_logged(request=request, response=response)  # one entry a page
        return response

    def get_ordering(self, request: HttpRequest) -> Any:
        # The "new" view is the work to do: urgent reports first, then the longest waiting.
        if request.GET.get("status__exact") == TipStatus.NEW:
            return triage.NEXT_ORDER
        return super().get_ordering(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tips come from the public forms only

    def has_change_permission(self, request: HttpRequest, obj: Tip | None = None) -> bool:
        # A tip handed over to its object's owner is triaged there; its status follows theirs.
        return _relay_owner(obj) is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Tip | None = None) -> bool:
        return False  # the retention job deletes tips, on the published schedule

    def has_note_permission(self, request: HttpRequest) -> bool:
        return may_add_note(request.user)

    def has_reveal_permission(self, request: HttpRequest) -> bool:
        return may_reveal_contact(request.user)

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Tip | None:
        """Read once per request: the tip's page reads it for the audit, then to show it."""
        read = request.__dict__.setdefault("_tips_read", {})
        if (object_id, from_field) not in read:
            read[object_id, from_field] = super().get_object(request, object_id, from_field)
        tip: Tip | None = read[object_id, from_field]
        return tip

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST":
            # The page has no form to save: a POST here could only try to set fields that
            # have their own transitions (a FORWARDED without a forward, a DUPLICATE of
            # nothing), so it is refused rather than ignored.
            return HttpResponseNotAllowed(["GET"])
        tip = self.get_object(request, unquote(object_id))
        if tip is not None and self.has_view_or_change_permission(request, tip):
            triage.tip_view_logged(tip=tip, by=staff(request))  # every view is audited
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Tip, form: Any, change: bool) -> None:
        raise RuntimeError("tips change through tips.triage only")

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Tip | None = None,
    ) -> HttpResponse:
        if obj is not None:
            context.update(tip_page_context(self, request, obj))
            # Nothing on the form is editable: no Save buttons.
            context.update(
                show_save=False,
                show_save_and_continue=False,
                show_save_and_add_another=False,
                show_delete=False,
                relay_owner=_relay_owner(obj),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self) -> list[URLPattern]:
        """The workbench's pages (tips/workbench/), each behind the admin's own checks."""
        wrap = self.admin_site.admin_view

        def page(route: str, view: Any, name: str) -> URLPattern:
            return path(route, wrap(on(self, view)), name=f"tips_tip_{name}")

        return [
            page("board/<int:object_id>/", board.board_view, "board"),
            page("board/<int:object_id>/act/", board.act_view, "board_act"),
            page("take-next/", take_next.take_next_view, "take_next"),
            page(
                "<path:object_id>/queue/<str:direction>/", queue_step.queue_step_view, "queue_step"
            ),
            page("<path:object_id>/reveal-contact/", reveal.reveal_contact_view, "reveal_contact"),
            page("<path:object_id>/ask/", ask.ask_view, "ask"),
            page("<path:object_id>/note/", note.note_view, "note"),
            page("<path:object_id>/triage/", triage_page.triage_view, "triage"),
            *super().get_urls(),
        ]
