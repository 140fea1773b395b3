"""The tips back office: the analysts' triage queue.

The list is the queue: filters an analyst works with all day, "take the next tip", and bulk
actions that report what they changed and what they skipped. A tip's page shows what the
tipster wrote, its group of duplicates, internal notes and small POST forms for each status
change. Every write goes through tips.triage (one conditional update per transition, audited);
every opening of a tip's page and of its contact details is audited too.

Everything a tipster wrote is shown as escaped plain text (links are never made clickable).
Contact details stay encrypted on every page but one: a POST to `<id>/reveal-contact/` by a
user who may change tips, answered with a page no browser or proxy may keep. Tips are never
added here, and never deleted here: the retention job does that (tips/services.py).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, Substr
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, QueryDict
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, ngettext_lazy
from django.views.decorators.cache import never_cache
from django_countries import countries

from audit.history import AuditHistory
from objects.models import TracedObject
from objects.staff_images import OBJECT_IMAGE_SIDE, fitted, object_preview, staff_image_url
from tips import reading, triage
from tips.board import EvidenceBoard
from tips.changelist import QueueChangeList
from tips.claims import claim_spans
from tips.display import links_as_text
from tips.forms import DuplicateOfForm, TipNoteForm, TipQuestionForm
from tips.models import (
    CLOSED_STATUSES,
    FLOOD_DISCOUNTED,
    GROUP_SIZE_CAP,
    FloodState,
    Tip,
    TipFollowUp,
    TipGroup,
    TipKind,
    TipMessage,
    TipStatus,
)
from tips.selectors import tip_queue_neighbour, without_floods
from traceobject.backoffice import BackOfficePages, post_only
from traceobject.pagination import CappedPaginator

FORWARD_CREATE_URL = "admin:moderation_forward_create"
GROUP_SHOWN = 50  # members of a tip's duplicate group listed on its page
SIMILAR_SHOWN = 5  # other tips of its group of similar tips shown on a tip's page
QUEUE_THUMBNAIL_SIDE = 48  # pixels: the long side of the object's thumbnail in the queue
PREVIEW_CHARS = 140  # of a tip's text in the queue, cut in SQL: never the whole body per row


def forward_create_url(tip_ids) -> str:
    """The forwarding page (moderation's ForwardAdmin) for these tips."""
    return reverse(FORWARD_CREATE_URL) + "?tips=" + ",".join(str(pk) for pk in tip_ids)


def humanised_age(received_at, now) -> str:
    age = now - received_at
    if age < timedelta(hours=1):
        return _("%(minutes)d min") % {"minutes": max(0, age // timedelta(minutes=1))}
    if age < timedelta(days=1):
        return _("%(hours)d h") % {"hours": age // timedelta(hours=1)}
    return _("%(days)d d") % {"days": age.days}


# The queue's columns (with the object's code and thumbnail and the assignee's name, joined).
QUEUE_COLUMNS = [
    "id",
    "status",
    "kind",
    "received_at",
    "urgent",
    "held_by_breaker",
    "duplicate_of_id",
    "group_size",
    "traced_object__code",
    "traced_object__alt_text",
    "traced_object__thumbnail",
    "traced_object__thumbnail_width",
    "traced_object__thumbnail_height",
    "assigned_to__username",
    "group__flood",
]


def _is_changelist(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return bool(match and match.url_name == "tips_tip_changelist")


# --- Inlines: what the tipster added later, and what staff asked -------------------------


class ReadOnlyTipInline(admin.TabularInline):
    template = "admin/tips/tip/readonly_inline.html"
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
    fields = readonly_fields = ("received_at", "body")
    verbose_name = gettext_lazy("information added by the tipster")
    verbose_name_plural = gettext_lazy("information added by the tipster")


class TipMessageInline(ReadOnlyTipInline):
    model = TipMessage
    fields = readonly_fields = ("created_at", "author_name", "body")
    verbose_name = gettext_lazy("question to the tipster")
    verbose_name_plural = gettext_lazy("questions to the tipster")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    @admin.display(description=gettext_lazy("asked by"))
    def author_name(self, message):
        return message.author.get_username()


# --- The queue's filters -------------------------------------------------------------------


class ObjectFilter(admin.SimpleListFilter):
    """Objects that have tips, by code (an EXISTS per object, on the tip's object index)."""

    title = gettext_lazy("object")
    parameter_name = "object"

    def lookups(self, request, model_admin):
        with_tips = TracedObject.objects.filter(
            Exists(Tip.objects.filter(traced_object=OuterRef("pk")))
        ).order_by("code")
        return [(str(pk), code) for pk, code in with_tips.values_list("pk", "code")]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(traced_object_id=self.value())
        return queryset


class AssignedFilter(admin.SimpleListFilter):
    title = gettext_lazy("assigned")
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", gettext_lazy("To me")), ("none", gettext_lazy("Unassigned"))]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assigned_to=request.user)
        if self.value() == "none":
            return queryset.filter(assigned_to__isnull=True)
        return queryset


class AnsweredFilter(admin.SimpleListFilter):
    """Tips whose tipster answered a question (tips/triage.py sets answered_at); with
    "in review" it is the analysts' "needs information, answered" (a partial index)."""

    title = gettext_lazy("tipster answered")
    parameter_name = "answered"

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("Answered a question"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(answered_at__isnull=False)
        return queryset


class LanguageFilter(admin.SimpleListFilter):
    """The site's languages (a tip records the page's language): no DISTINCT over all tips."""

    title = gettext_lazy("language")
    parameter_name = "language"

    def lookups(self, request, model_admin):
        return [(code, _(name)) for code, name in settings.LANGUAGES]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(language=self.value())
        return queryset


class AgeFilter(admin.SimpleListFilter):
    title = gettext_lazy("age")
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [
            ("day", gettext_lazy("Less than a day")),
            ("week", gettext_lazy("1 to 7 days")),
            ("older", gettext_lazy("More than 7 days")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        day_ago, week_ago = now - timedelta(days=1), now - timedelta(days=7)
        if self.value() == "day":
            return queryset.filter(received_at__gt=day_ago)
        if self.value() == "week":
            return queryset.filter(received_at__gt=week_ago, received_at__lte=day_ago)
        if self.value() == "older":
            return queryset.filter(received_at__lte=week_ago)
        return queryset


class FloodFilter(admin.SimpleListFilter):
    """The queue leaves out held and rejected floods unless asked: a flood is one decision
    (the actions "Release their flood" and "Reject their flood"), not 3,000 rows."""

    title = gettext_lazy("floods")
    parameter_name = "flood"

    def lookups(self, request, model_admin):
        return [
            ("held", gettext_lazy("Held floods only")),
            ("all", gettext_lazy("Everything, floods included")),
        ]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("Without held or rejected floods"),
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        # A subquery on the few flood groups (a hashed set), not a join: the capped count
        # then reads the tips' own index instead of looking up 10,001 groups.
        if self.value() == "held":
            return queryset.filter(group_id__in=_flood_groups([FloodState.HELD]))
        if self.value() == "all":
            return queryset
        return without_floods(queryset)


# --- Tips ---------------------------------------------------------------------------------


@admin.register(Tip)
class TipAdmin(AuditHistory, BackOfficePages, admin.ModelAdmin):
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
        "take_tips",
        "mark_in_review",
        "reject_as_spam",
        "reject_as_irrelevant",
        "close_tips",
        "mark_duplicate",
        "forward_tips",
        "release_floods",
        "reject_floods",
        "split_from_groups",
        "merge_groups",
    ]
    inlines = [TipFollowUpInline, TipMessageInline]
    # What the tipster wrote first, beside the object it is about; then what the grouping
    # found, then where the tip stands.
    fieldsets = [
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
    # Nothing is changed through the form: a status changes only through the triage buttons
    # (tips/triage.py, one transition each), what the tipster wrote never.
    readonly_fields = [
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
        "similar_group",
        "claims_text",
        "body_marked",
        "reported_body",
        "country_name",
        "where",
        "occurred",
        "links_text",
        "contact_given",
        "closed_at",
        "receipt_state",
    ]

    def get_queryset(self, request):
        # A subquery rather than Count() over a join: the list's count stays a plain count
        # of tips, without a join and a GROUP BY over every follow-up.
        follow_ups = (
            TipFollowUp.objects.filter(tip=OuterRef("pk"))
            .order_by()
            .values("tip")
            .annotate(count=Count("pk"))
            .values("count")
        )
        tips = (
            super()
            .get_queryset(request)
            .annotate(follow_up_count=Coalesce(Subquery(follow_ups), 0))
        )
        if _is_changelist(request):
            # The list reads only what it shows: never the body, links or contact token.
            tips = tips.only(*QUEUE_COLUMNS).annotate(
                contact_present=ExpressionWrapper(~Q(contact_encrypted=""), BooleanField()),
                preview_text=Substr("body", 1, PREVIEW_CHARS + 1),
            )
        else:
            # A tip's page shows its object, assignee and group: one query, not four.
            tips = tips.select_related("traced_object", "assigned_to", "group")
        return tips

    def get_fieldsets(self, request, obj=None):
        if obj is None or obj.kind != TipKind.REPORT:
            return self.fieldsets
        # A report is not about an object: its text is "what was reported".
        return [
            (
                name,
                {**options, "fields": _swapped(options["fields"], "body_marked", "reported_body")},
            )
            for name, options in self.fieldsets
        ]

    def get_changelist(self, request, **kwargs):
        return QueueChangeList

    def changelist_view(self, request, extra_context=None):
        context = {"can_take_next": self.has_change_permission(request), **(extra_context or {})}
        response = super().changelist_view(request, context)
        reading.queue_read_logged(request=request, response=response)  # one entry a page
        return response

    def get_ordering(self, request):
        # The "new" view is the work to do: urgent reports first, then the longest waiting.
        if request.GET.get("status__exact") == TipStatus.NEW:
            return triage.NEXT_ORDER
        return super().get_ordering(request)

    def has_add_permission(self, request):
        return False  # tips come from the public forms only

    def has_delete_permission(self, request, obj=None):
        return False  # the retention job deletes tips, on the published schedule

    def has_note_permission(self, request) -> bool:
        return request.user.has_perm("tips.add_tipnote")

    def has_reveal_permission(self, request) -> bool:
        return request.user.has_perm("tips.change_tip")

    def get_object(self, request, object_id, from_field=None):
        """Read once per request: the tip's page reads it for the audit, then to show it."""
        read = request.__dict__.setdefault("_tips_read", {})
        if (object_id, from_field) not in read:
            read[object_id, from_field] = super().get_object(request, object_id, from_field)
        return read[object_id, from_field]

    def tip_or_404(self, request, object_id: str) -> Tip:
        tip = self.get_object(request, unquote(object_id))
        if tip is None:
            raise Http404(_("No such tip."))
        return tip

    def changeable_tip_or_404(self, request, object_id: str) -> Tip:
        tip = self.tip_or_404(request, object_id)
        if not self.has_change_permission(request, tip):
            raise PermissionDenied
        return tip

    def change_url(self, tip, request=None) -> str:
        """The tip's page; given the request, still within the queue the analyst came from
        (its preserved filters), so j/k after a triage button keep walking that queue."""
        url = reverse("admin:tips_tip_change", args=[tip.pk])
        if request is None:
            return url
        context = {"preserved_filters": self.get_preserved_filters(request), "opts": self.opts}
        return add_preserved_filters(context, url)

    def changelist_url(self) -> str:
        return reverse("admin:tips_tip_changelist")

    # --- Columns and read-only fields (escaped: format_html_join or plain strings)

    @admin.display(description=gettext_lazy("object"))
    def object_code(self, tip):
        return tip.traced_object.code if tip.traced_object else _("report")

    @admin.display(description=gettext_lazy("object"))
    def object_thumbnail(self, tip):
        """The object's thumbnail above its code (staff see unpublished images too)."""
        obj = tip.traced_object
        if obj is None:
            return format_html('<span class="tip-report">{}</span>', _("report"))
        if not obj.thumbnail:
            return obj.code
        width, height = fitted(obj.thumbnail_width, obj.thumbnail_height, QUEUE_THUMBNAIL_SIDE)
        return format_html(
            '<img src="{}" alt="" width="{}" height="{}" loading="lazy" class="tip-thumb">'
            '<span class="tip-code">{}</span>',
            staff_image_url(obj.pk, "thumbnail"),
            width,
            height,
            obj.code,
        )

    @admin.display(description=gettext_lazy("text"))
    def preview(self, tip):
        """The start of what the tipster wrote, cut in SQL (the queue never reads bodies)."""
        text = " ".join(tip.preview_text.split())
        if len(tip.preview_text) > PREVIEW_CHARS:
            text = text[:PREVIEW_CHARS].rstrip() + "…"
        return text

    @admin.display(description=gettext_lazy("group"), ordering="-group_size")
    def strength(self, tip):
        """The size of its group of similar tips (its strength), the group (~id, ⚑ a flood)
        and the analyst's duplicate group (#root)."""
        size = _group_size_text(tip.group_size)
        parts = []
        if tip.group_id:
            flood = " ⚑" if tip.group.flood != FloodState.NONE else ""
            parts.append(f"~{tip.group_id}{flood}")
        if tip.duplicate_of_id:
            parts.append(f"#{tip.duplicate_of_id}")
        return format_html(
            '<span class="tip-size">{}</span> <span class="tip-group">{}</span>',
            size,
            " ".join(parts),
        )

    @admin.display(description=gettext_lazy("state"))
    def state(self, tip):
        """Status, urgency, assignee, follow-ups and contact in one cell: an urgent tip says
        so in a red label, not a small icon."""
        labels = []
        if tip.urgent:
            labels.append(("tip-label tip-label-urgent", _("Urgent")))
        if tip.held_by_breaker:
            labels.append(("tip-label tip-label-held", _("Held by flood breaker")))
        labels.append(("tip-status", tip.get_status_display()))
        details = [self.assignee(tip)]
        if tip.follow_up_count:
            details.append(
                ngettext("%(count)d follow-up", "%(count)d follow-ups", tip.follow_up_count)
                % {"count": tip.follow_up_count}
            )
        if self.has_contact(tip):
            details.append(_("contact given"))
        return format_html(
            '{}<span class="tip-details">{}</span>',
            format_html_join(" ", '<span class="{}">{}</span>', labels),
            format_html_join(" · ", "<span>{}</span>", ((detail,) for detail in details)),
        )

    @admin.display(description=gettext_lazy("age"), ordering="received_at")
    def age(self, tip):
        return humanised_age(tip.received_at, timezone.now())

    @admin.display(description=gettext_lazy("source"))
    def source_ref(self, tip):
        return f"{tip.source} {tip.ref}".strip()

    @admin.display(description=gettext_lazy("group of similar tips"))
    def similar_group(self, tip):
        if tip.group_id is None:
            return _("not grouped yet")
        group = tip.group
        parts = [
            _("#%(id)d, %(size)s") % {"id": group.pk, "size": _group_size_text(tip.group_size)}
        ]
        if group.flood != FloodState.NONE:
            parts.append(group.get_flood_display())
        if tip.group_by_hand:
            parts.append(_("placed by hand"))
        return "; ".join(parts)

    @admin.display(description=gettext_lazy("claims"))
    def claims_text(self, tip):
        claims = [f"{claim.get_kind_display()}: {claim.value}" for claim in _claims_of(tip)]
        return "; ".join(claims) or "-"

    @admin.display(description=gettext_lazy("what you recognise"))
    def body_marked(self, tip):
        """What the tipster wrote, escaped, its claims (country, domain, name) in <mark>."""
        claims = {(claim.kind, claim.value) for claim in _claims_of(tip)}
        pieces, at = [], 0
        for start, end, kind in claim_spans(tip.body, claims):
            pieces.append(
                format_html(
                    '{}<mark class="tip-claim tip-claim-{}">{}</mark>',
                    tip.body[at:start],
                    kind,
                    tip.body[start:end],
                )
            )
            at = end
        pieces.append(format_html("{}", tip.body[at:]))
        return format_html(
            '<div class="tip-body">{}</div>', format_html_join("", "{}", ((p,) for p in pieces))
        )

    @admin.display(description=gettext_lazy("assignee"), ordering="assigned_to__username")
    def assignee(self, tip):
        return tip.assigned_to.get_username() if tip.assigned_to else "—"

    @admin.display(description=gettext_lazy("contact"), boolean=True)
    def has_contact(self, tip):
        present = getattr(tip, "contact_present", None)  # the queue's annotation
        return tip.has_contact if present is None else present

    @admin.display(description=gettext_lazy("follow-ups"), ordering="follow_up_count")
    def follow_up_count(self, tip):
        return tip.follow_up_count

    @admin.display(description=gettext_lazy("What was reported"))
    def reported_body(self, tip):
        return tip.body  # plain text: the admin escapes it and keeps its line breaks

    @admin.display(description=gettext_lazy("country"))
    def country_name(self, tip):
        if not tip.country:
            return "-"
        return f"{countries.name(tip.country) or '?'} ({tip.country})"

    @admin.display(description=gettext_lazy("links (not opened, not clickable)"))
    def links_text(self, tip):
        return links_as_text(tip.links)

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

    # --- The tip's page

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            # The page has no form to save: a POST here could only try to set fields that
            # have their own transitions (a FORWARDED without a forward, a DUPLICATE of
            # nothing), so it is refused rather than ignored.
            return HttpResponseNotAllowed(["GET"])
        tip = self.get_object(request, unquote(object_id))
        if tip is not None and self.has_view_or_change_permission(request, tip):
            triage.tip_view_logged(tip=tip, by=request.user)  # every view is audited
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        raise RuntimeError("tips change through tips.triage only")

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            can_change = self.has_change_permission(request, obj)
            context.update(
                can_reveal=self.has_reveal_permission(request),
                can_change=can_change,
                can_ask=can_change and obj.status not in CLOSED_STATUSES,
                question_form=TipQuestionForm(),
                can_add_note=self.has_note_permission(request),
                note_form=TipNoteForm(),
                duplicate_form=DuplicateOfForm(),
                notes=obj.notes.select_related("author"),
                group=self.group_of(obj),
                similar_size=_group_size_text(obj.group_size),
                buttons=self.status_buttons(obj) if can_change else [],
                beside=self.object_beside(obj),
                **self.queue_links(request, obj),
                forward_url=forward_create_url([obj.pk]) if self.may_forward(request, obj) else "",
                # Nothing on the form is editable: no Save buttons.
                show_save=False,
                show_save_and_continue=False,
                show_save_and_add_another=False,
                show_delete=False,
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def queue_links(self, request, tip) -> dict[str, str]:
        """Links to the tips before and after this one in the queue the analyst came from
        (the j and k keys), worked out only when followed: no query on the tip's page."""
        context = {"preserved_filters": self.get_preserved_filters(request), "opts": self.opts}
        return {
            f"queue_{direction}_url": add_preserved_filters(
                context, reverse("admin:tips_tip_queue_step", args=[tip.pk, direction])
            )
            for direction in ("prev", "next")
        }

    def may_forward(self, request, tip) -> bool:
        """The forward page's own check (moderation's ForwardAdmin), on a tip still open."""
        user = request.user
        return (
            tip.status in triage.FORWARDABLE_FROM
            and user.has_perm("moderation.add_forward")
            and user.has_perm("tips.view_tip")
        )

    def object_beside(self, tip) -> dict | None:
        """What the analyst compares the tip with: the object's image, question and hint."""
        return object_preview(tip.traced_object, OBJECT_IMAGE_SIDE)

    def group_of(self, tip) -> dict:
        """The tip's duplicates (its root and the root's other duplicates, capped) and a few
        other tips of its group of similar tips, the oldest first: one query, the duplicates
        ranked first so that the similar tips never crowd them out."""
        root_id = tip.duplicate_of_id or tip.pk
        duplicate = Q(pk=root_id) | Q(duplicate_of_id=root_id)
        related = duplicate | Q(group_id=tip.group_id) if tip.group_id else duplicate
        others = (
            Tip.objects.filter(related)
            .exclude(pk=tip.pk)
            .annotate(
                is_duplicate=ExpressionWrapper(duplicate, BooleanField()),
                preview_text=Substr("body", 1, PREVIEW_CHARS + 1),
            )
            .order_by("-is_duplicate", "received_at", "id")
            .only("pk", "status", "received_at", "duplicate_of", "group")
        )
        members: list[Tip] = []
        similar: list[dict] = []
        for other in others[: GROUP_SHOWN + SIMILAR_SHOWN]:
            if other.is_duplicate and len(members) < GROUP_SHOWN:
                members.append(other)
            if tip.group_id and other.group_id == tip.group_id and len(similar) < SIMILAR_SHOWN:
                similar.append({"tip": other, "preview": self.preview(other)})
        return {"root_id": root_id, "members": members, "similar": similar}

    def status_buttons(self, tip) -> list[tuple[str, str]]:
        """The transitions open from the tip's status, as (value, label) for small forms."""
        status = tip.status
        buttons = []
        if tip.assigned_to_id is None and status in triage.ASSIGNABLE_FROM:
            buttons.append(("assign_me", _("Assign to me")))
        if status in triage.IN_REVIEW_FROM:
            buttons.append(("in_review", _("Mark in review")))
        if status in triage.REJECTABLE_FROM:
            buttons.append(("reject_spam", _("Reject as spam")))
            buttons.append(("reject_irrelevant", _("Reject as irrelevant")))
        if status in triage.CLOSABLE_FROM:
            buttons.append(("close", _("Close")))
        if status in triage.REOPENABLE_FROM:
            buttons.append(("reopen", _("Reopen")))
        return buttons

    # --- Extra pages: take the next tip, status buttons, notes, contact, questions

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            *EvidenceBoard(self).urls(),  # an object's evidence board (tips/board.py)
            path("take-next/", wrap(self.take_next_view), name="tips_tip_take_next"),
            path(
                "<path:object_id>/queue/<str:direction>/",
                wrap(self.queue_step_view),
                name="tips_tip_queue_step",
            ),
            path(
                "<path:object_id>/reveal-contact/",
                wrap(self.reveal_contact_view),
                name="tips_tip_reveal_contact",
            ),
            path("<path:object_id>/ask/", wrap(self.ask_view), name="tips_tip_ask"),
            path("<path:object_id>/note/", wrap(self.note_view), name="tips_tip_note"),
            path("<path:object_id>/triage/", wrap(self.triage_view), name="tips_tip_triage"),
            *super().get_urls(),
        ]

    @post_only
    def take_next_view(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied
        tip = triage.tip_take_next(by=request.user)
        if tip is None:
            self.message_user(request, _("No new tips are waiting."), messages.INFO)
            return HttpResponseRedirect(self.changelist_url())
        self.message_user(request, _("%(tip)s is yours now.") % {"tip": tip}, messages.SUCCESS)
        return HttpResponseRedirect(self.change_url(tip))

    def queue_step_view(self, request, object_id, direction):
        """To the tip before or after this one in the queue the analyst came from (its
        status filter, in the admin's preserved filters); back to that queue at its end."""
        tip = self.tip_or_404(request, object_id)
        if direction not in ("prev", "next"):
            raise Http404(_("No such direction."))
        preserved = self.get_preserved_filters(request)
        filters = QueryDict(QueryDict(preserved).get("_changelist_filters", ""))
        pk = tip_queue_neighbour(
            tip, status=filters.get("status__exact", ""), forward=direction == "next"
        )
        context = {"preserved_filters": preserved, "opts": self.opts}
        if pk is None:
            self.message_user(request, _("No more tips in this queue."), messages.INFO)
            return HttpResponseRedirect(add_preserved_filters(context, self.changelist_url()))
        return HttpResponseRedirect(
            add_preserved_filters(context, reverse("admin:tips_tip_change", args=[pk]))
        )

    @post_only
    def triage_view(self, request, object_id):
        """One small POST form per button on the tip's page."""
        tip = self.changeable_tip_or_404(request, object_id)
        do = request.POST.get("do", "")
        if do == "duplicate":
            form = DuplicateOfForm(request.POST)
            if not form.is_valid():
                for error in form.errors.get("original", []):
                    self.message_user(request, error, messages.ERROR)
                return HttpResponseRedirect(self.change_url(tip, request))
            return self.report_one(
                request,
                tip,
                lambda: self.duplicate_one(request, tip, form.cleaned_data["original"]),
            )
        transitions = {
            "assign_me": lambda: triage.tip_assign(tip=tip, to=request.user, by=request.user),
            "in_review": lambda: triage.tip_mark_in_review(tip=tip, by=request.user),
            "reject_spam": lambda: triage.tip_reject(tip=tip, by=request.user, reason="spam"),
            "reject_irrelevant": lambda: triage.tip_reject(
                tip=tip, by=request.user, reason="irrelevant"
            ),
            "close": lambda: triage.tip_close(tip=tip, by=request.user),
            "reopen": lambda: triage.tip_reopen(tip=tip, by=request.user),
        }
        if do not in transitions:
            return HttpResponseRedirect(self.change_url(tip, request))
        return self.report_one(request, tip, transitions[do])

    def report_one(self, request, tip, transition):
        try:
            changed = transition()
        except triage.TriageError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            if changed:
                self.message_user(
                    request,
                    _("%(tip)s: %(status)s.") % {"tip": tip, "status": tip.get_status_display()},
                    messages.SUCCESS,
                )
            else:
                self.message_user(
                    request,
                    _("Nothing changed: %(tip)s is %(status)s (changed by someone meanwhile?).")
                    % {"tip": tip, "status": tip.get_status_display().lower()},
                    messages.WARNING,
                )
        return HttpResponseRedirect(self.change_url(tip, request))

    def duplicate_one(self, request, tip, original) -> bool:
        return triage.tip_mark_duplicate(tip=tip, of=original, by=request.user)

    @post_only
    def note_view(self, request, object_id):
        tip = self.tip_or_404(request, object_id)
        if not self.has_note_permission(request):
            raise PermissionDenied
        form = TipNoteForm(request.POST)
        if form.is_valid():
            triage.tip_add_note(tip=tip, by=request.user, body=form.cleaned_data["body"])
            self.message_user(request, _("The note was added."), messages.SUCCESS)
        else:
            for error in form.errors.get("body", []):
                self.message_user(request, _("The note was not added: %s") % error, messages.ERROR)
        return HttpResponseRedirect(self.change_url(tip, request) + "#tip-notes")

    def reveal_contact_view(self, request, object_id):
        tip = self.tip_or_404(request, object_id)
        if not self.has_reveal_permission(request):
            raise PermissionDenied
        return self.reveal_contact(request, tip)

    @post_only  # a link, a prefetch or a crawler never opens them
    @method_decorator(never_cache)  # the admin does this too; here it must never be missed
    def reveal_contact(self, request, tip):
        reveal = triage.tip_contact_reveal(tip=tip, by=request.user)
        return self.render_tip_page(
            request,
            tip,
            "admin/tips/tip/reveal_contact.html",
            title=_("Contact details of %(tip)s") % {"tip": tip},
            contact=reveal.contact,
            problem=reveal.problem,
        )

    def ask_view(self, request, object_id):
        tip = self.changeable_tip_or_404(request, object_id)
        form = TipQuestionForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                triage.tip_ask(tip=tip, by=request.user, body=form.cleaned_data["body"])
            except triage.TriageError:
                form.add_error(None, _("This tip is closed. Reopen it before asking a question."))
            else:
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
        return self.render_page(
            request, template, original=tip, change_url=self.change_url(tip), **context
        )

    # --- Bulk actions: each reports what it changed and what it left as it was

    def apply_to_each(self, request, queryset, transition, *, done, skipped, **extra) -> None:
        """Run `transition(tip)` on each selected tip and say how many changed and how many
        were left as they were (`done`, `skipped`: ngettext_lazy keyed on "count")."""
        changed = unchanged = 0
        errors = []
        for tip in queryset.select_related(None).only("pk", *triage.TRIAGE_FIELDS):
            try:
                if transition(tip):
                    changed += 1
                else:
                    unchanged += 1
            except triage.TriageError as exc:
                errors.append(str(exc))
        parts = [done % {"count": changed, **extra}]
        if unchanged:
            parts.append(skipped % {"count": unchanged, **extra})
        level = messages.SUCCESS if changed and not (unchanged or errors) else messages.WARNING
        self.message_user(request, "; ".join(parts + errors) + ".", level)

    @admin.action(description=gettext_lazy("Assign to me"), permissions=["change"])
    def take_tips(self, request, queryset):
        self.apply_to_each(
            request,
            queryset,
            lambda tip: triage.tip_assign(tip=tip, to=request.user, by=request.user),
            done=ngettext_lazy("%(count)d assigned to you", "%(count)d assigned to you", "count"),
            skipped=ngettext_lazy(
                "%(count)d was already yours or is closed",
                "%(count)d were already yours or are closed",
                "count",
            ),
        )

    @admin.action(description=gettext_lazy("Mark in review"), permissions=["change"])
    def mark_in_review(self, request, queryset):
        self.apply_to_each(
            request,
            queryset,
            lambda tip: triage.tip_mark_in_review(tip=tip, by=request.user),
            done=ngettext_lazy("%(count)d marked in review", "%(count)d marked in review", "count"),
            skipped=ngettext_lazy(
                "%(count)d was not new or waiting for information",
                "%(count)d were not new or waiting for information",
                "count",
            ),
        )

    def reject(self, request, queryset, reason: str):
        self.apply_to_each(
            request,
            queryset,
            lambda tip: triage.tip_reject(tip=tip, by=request.user, reason=reason),
            done=ngettext_lazy("%(count)d rejected", "%(count)d rejected", "count"),
            skipped=ngettext_lazy(
                "%(count)d was already rejected, closed or forwarded",
                "%(count)d were already rejected, closed or forwarded",
                "count",
            ),
        )

    @admin.action(description=gettext_lazy("Reject as spam"), permissions=["change"])
    def reject_as_spam(self, request, queryset):
        self.reject(request, queryset, "spam")

    @admin.action(description=gettext_lazy("Reject as irrelevant"), permissions=["change"])
    def reject_as_irrelevant(self, request, queryset):
        self.reject(request, queryset, "irrelevant")

    @admin.action(description=gettext_lazy("Close"), permissions=["change"])
    def close_tips(self, request, queryset):
        self.apply_to_each(
            request,
            queryset,
            lambda tip: triage.tip_close(tip=tip, by=request.user),
            done=ngettext_lazy("%(count)d closed", "%(count)d closed", "count"),
            skipped=ngettext_lazy(
                "%(count)d was already closed or rejected",
                "%(count)d were already closed or rejected",
                "count",
            ),
        )

    @admin.action(description=gettext_lazy("Mark as duplicate of…"), permissions=["change"])
    def mark_duplicate(self, request, queryset):
        form = DuplicateOfForm(request.POST if request.POST.get("post") == "yes" else None)
        if form.is_valid():
            original = form.cleaned_data["original"]
            self.apply_to_each(
                request,
                queryset,
                lambda tip: self.duplicate_one(request, tip, original),
                done=ngettext_lazy(
                    "%(count)d marked a duplicate in the group of tip #%(root)d",
                    "%(count)d marked duplicates in the group of tip #%(root)d",
                    "count",
                ),
                skipped=ngettext_lazy(
                    "%(count)d was already in that group, closed or forwarded",
                    "%(count)d were already in that group, closed or forwarded",
                    "count",
                ),
                root=triage.tip_group_root(original).pk,
            )
            return None
        return self.render_page(
            request,
            "admin/tips/tip/mark_duplicate.html",
            title=_("Mark as duplicates"),
            queryset=queryset,
            form=form,
            action_checkbox_name=helpers.ACTION_CHECKBOX_NAME,
        )

    def flood_groups(self, queryset):
        return TipGroup.objects.filter(
            pk__in=queryset.order_by().values("group_id"), flood__in=FLOOD_DISCOUNTED
        )

    @admin.action(description=gettext_lazy("Release their flood"), permissions=["change"])
    def release_floods(self, request, queryset):
        released = sum(
            triage.tip_flood_release(group=group, by=request.user)
            for group in self.flood_groups(queryset)
        )
        self.message_user(
            request,
            ngettext_lazy(
                "%(count)d flood released into the queue",
                "%(count)d floods released into the queue",
                "count",
            )
            % {"count": released},
            messages.SUCCESS if released else messages.WARNING,
        )

    @admin.action(description=gettext_lazy("Reject their flood as spam"), permissions=["change"])
    def reject_floods(self, request, queryset):
        groups = list(self.flood_groups(queryset))
        rejected = sum(triage.tip_flood_reject(group=group, by=request.user) for group in groups)
        self.message_user(
            request,
            _("%(groups)d flood(s) rejected: %(tips)d tips rejected as spam.")
            % {"groups": len(groups), "tips": rejected},
            messages.SUCCESS if groups else messages.WARNING,
        )

    @admin.action(description=gettext_lazy("Split out of their group"), permissions=["change"])
    def split_from_groups(self, request, queryset):
        """Each selected tip gets a group of its own, for good: the grouping never puts it back."""
        self.apply_to_each(
            request,
            queryset,
            lambda tip: bool(triage.tip_group_split(tip=tip, by=request.user)),
            done=ngettext_lazy(
                "%(count)d tip now in a group of its own",
                "%(count)d tips now each in a group of their own",
                "count",
            ),
            skipped=ngettext_lazy("%(count)d was left as it was", "%(count)d were left", "count"),
        )

    @admin.action(description=gettext_lazy("Merge their groups"), permissions=["change"])
    def merge_groups(self, request, queryset):
        """The groups of the selected tips become one: the group of the oldest selected tip."""
        groups = _groups_in_order(queryset)
        if len(groups) < 2:
            self.message_user(
                request, _("Select tips of at least two groups of one object."), messages.WARNING
            )
            return
        moved = 0
        try:
            for group in groups[1:]:
                moved += triage.tip_group_merge(group=group, into=groups[0], by=request.user)
        except triage.TriageError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(
            request,
            _("%(groups)d groups merged into group ~%(into)d: %(tips)d tips moved.")
            % {"groups": len(groups) - 1, "into": groups[0].pk, "tips": moved},
            messages.SUCCESS,
        )

    @admin.action(description=gettext_lazy("Forward…"), permissions=["change"])
    def forward_tips(self, request, queryset):
        return HttpResponseRedirect(
            forward_create_url(queryset.order_by("pk").values_list("pk", flat=True))
        )


def _flood_groups(states) -> QuerySet:
    return TipGroup.objects.filter(flood__in=states).values("pk")


def _group_size_text(size: int) -> str:
    if size >= GROUP_SIZE_CAP:
        return _("%(count)d+ tips") % {"count": GROUP_SIZE_CAP}
    return ngettext("%(count)d tip", "%(count)d tips", size) % {"count": size}


def _claims_of(tip: Tip) -> list:
    """The tip's claims, read once for the claims field and the marked text."""
    if "_claims" not in tip.__dict__:
        tip.__dict__["_claims"] = list(tip.claims.all())
    return tip.__dict__["_claims"]


def _swapped(fields: list[str], old: str, new: str) -> list[str]:
    return [new if field == old else field for field in fields]


def _groups_in_order(queryset) -> list[TipGroup]:
    """The distinct groups of the selected tips, the oldest selected tip's group first."""
    ids = []
    for group_id in queryset.order_by("received_at", "id").values_list("group_id", flat=True):
        if group_id is not None and group_id not in ids:
            ids.append(group_id)
    by_id = TipGroup.objects.in_bulk(ids)
    return [by_id[pk] for pk in ids]
