"""An object's evidence board in the back office (`tips/tip/board/<object id>/`).

One page per object: its image, question and counts; its groups of similar tips, strongest
first, each with the text of its first tip; held and rejected floods apart; and what the
tips claim (countries as a bar chart drawn here in SVG, web domains, names), counted in
independent groups (tips/evidence.py). Whoever may view tips may read it; whoever may change
them acts on a whole group through the queue's own bulk actions (TipAdmin), so every write
goes through tips.triage and is audited as it is from the queue.

The page reads the same rows whatever the object's size: the object, its tips (without
their text), the first tip's text of the groups shown only, and the claims; opening it is
audited once, naming the tips whose text it showed.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any, Protocol

from django.contrib import messages
from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django_countries import countries

from objects.models import TracedObject
from objects.staff_images import fitted
from tips import triage
from tips.evidence import Group, claims_tally, group_samples, object_groups
from tips.models import FLOOD_DISCOUNTED, ClaimKind, FloodState, Tip, TipStatus
from traceobject.backoffice import post_only

GROUPS_SHOWN = 30  # the strongest groups listed; the rest are counted
FLOODS_SHOWN = 10
CLAIMS_SHOWN = 12  # countries in the chart, domains and names in their tables
IMAGE_SIDE = 240  # pixels: the long side of the object's image in the header
# The forward page takes at most this many tips (moderation.admin.MAX_TIPS_PER_FORWARD,
# which tips may not import; a test keeps the two equal).
FORWARD_AT_MOST = 200

# The country chart, in SVG user units: about the width of its column at 1280 pixels, so
# its text keeps the page's size.
CHART_ROW = 26
CHART_LABEL = 130  # the country's name, left of its bar
CHART_BAR = 180  # the longest bar
CHART_WIDTH = CHART_LABEL + CHART_BAR + 40  # room for the number after the bar


class TipActions(Protocol):
    """What the board uses of the tips' ModelAdmin: its permissions and bulk actions."""

    admin_site: AdminSite
    opts: Any

    def has_view_or_change_permission(self, request, obj=None) -> bool: ...
    def has_change_permission(self, request, obj=None) -> bool: ...
    def message_user(self, request, message, level=..., *args, **kwargs) -> None: ...
    def render_page(self, request, template: str, **context) -> TemplateResponse: ...
    def reject(self, request, queryset, reason: str) -> None: ...
    def mark_duplicate(self, request, queryset) -> HttpResponse | None: ...
    def forward_tips(self, request, queryset) -> HttpResponse: ...
    def release_floods(self, request, queryset) -> None: ...
    def reject_floods(self, request, queryset) -> None: ...


@dataclass
class BoardGroup:
    """A group as a row of the board."""

    group: Group
    sample: str

    @property
    def group_id(self) -> int | None:
        return self.group.id if self.group.id > 0 else None

    @property
    def anchor(self) -> str:
        """The group's id on the page; the act view sends the analyst back to it."""
        return f"group-{self.group.id}" if self.group.id > 0 else f"tip-{self.lead_id}"

    @property
    def languages(self) -> list[str]:
        return sorted(self.group.languages)

    @property
    def lead_id(self) -> int:
        return self.group.lead_id

    def count(self, statuses) -> int:
        return sum(self.group.statuses.get(status, 0) for status in statuses)

    @property
    def rejectable(self) -> int:
        return self.count(triage.REJECTABLE_FROM)

    @property
    def forwardable(self) -> int:
        return self.count(triage.FORWARDABLE_FROM)

    @property
    def held(self) -> bool:
        return self.group.flood == FloodState.HELD

    @property
    def flood_label(self) -> str:
        return (
            str(FloodState(self.group.flood).label) if self.group.flood != FloodState.NONE else ""
        )

    @property
    def status_line(self) -> str:
        """ "3 New, 1 Rejected", in the order of the statuses' choices."""
        return ", ".join(
            f"{self.group.statuses[status]} {status.label.lower()}"
            for status in TipStatus
            if status in self.group.statuses
        )


def country_chart(entries: list[dict]) -> dict:
    """The bars of the country chart: one per country, as long as its independent groups."""
    longest = max((entry["groups"] for entry in entries), default=0) or 1
    bars = []
    for row, entry in enumerate(entries):
        width = round(CHART_BAR * entry["groups"] / longest)
        bars.append(
            {
                **entry,
                "name": countries.name(entry["country"]) or entry["country"],
                "y": row * CHART_ROW,
                "text_y": row * CHART_ROW + CHART_ROW // 2 + 4,
                "width": max(width, 2),  # a country with no independent group still shows
                "number_x": CHART_LABEL + max(width, 2) + 8,
            }
        )
    return {
        "bars": bars,
        "width": CHART_WIDTH,
        "height": max(len(bars), 1) * CHART_ROW,
        "label_width": CHART_LABEL,
        "bar_x": CHART_LABEL,
        "bar_height": CHART_ROW - 8,
    }


def claim_rows(tally: dict[str, list[dict]], kind: str) -> list[dict]:
    """The best supported claims of one kind, their value under one key for the template."""
    return [{**entry, "value": entry[kind]} for entry in tally[kind][:CLAIMS_SHOWN]]


def strongest(groups: list[Group], count: int | None = None) -> list[Group]:
    """The `count` strongest groups (all, if None), strongest first. The strength key is
    worked out only for the groups at least as large as the count-th largest: an object of
    15,000 tips has some 13,000 groups, most of one tip, and keying them all took 25 ms."""
    if count is not None and len(groups) > count:
        floor = heapq.nlargest(count, (group.size for group in groups))[-1]
        groups = [group for group in groups if group.size >= floor]
    return sorted(groups, key=Group.strength)[:count]


def board_read(*, traced_object: TracedObject) -> dict:
    """Everything the board shows, in five queries whatever the number of tips and groups."""
    groups, tip_count = object_groups(traced_object)
    calm = [group for group in groups.values() if group.flood not in FLOOD_DISCOUNTED]
    floods = strongest([group for group in groups.values() if group.flood in FLOOD_DISCOUNTED])
    top = strongest(calm, GROUPS_SHOWN)
    shown = top + floods[:FLOODS_SHOWN]
    samples = group_samples(shown)
    tally = claims_tally(traced_object, groups)
    rows = {group.id: BoardGroup(group=group, sample=samples.get(group.id, "")) for group in shown}
    return {
        "counts": {
            "tips": tip_count,
            "groups": len(groups),
            "new": sum(group.statuses.get(TipStatus.NEW, 0) for group in groups.values()),
            "urgent": sum(group.urgent_open for group in groups.values()),
            "floods": len(floods),
        },
        "groups": [rows[group.id] for group in top],
        "more_groups": len(calm) - GROUPS_SHOWN if len(calm) > GROUPS_SHOWN else 0,
        "floods": [rows[group.id] for group in floods[:FLOODS_SHOWN]],
        "more_floods": len(floods) - FLOODS_SHOWN if len(floods) > FLOODS_SHOWN else 0,
        "chart": country_chart(tally[ClaimKind.COUNTRY][:CLAIMS_SHOWN]),
        "domains": claim_rows(tally, ClaimKind.DOMAIN),
        "names": claim_rows(tally, ClaimKind.NAME),
        "sample_tip_ids": sorted(row.lead_id for row in rows.values()),
    }


class EvidenceBoard:
    """The board's page and its POST for group actions, on the tips' ModelAdmin."""

    def __init__(self, tips_admin: TipActions):
        self.tips_admin = tips_admin

    def urls(self) -> list[URLPattern]:
        wrap = self.tips_admin.admin_site.admin_view
        return [
            path("board/<int:object_id>/", wrap(self.board_view), name="tips_tip_board"),
            path("board/<int:object_id>/act/", wrap(self.act_view), name="tips_tip_board_act"),
        ]

    def object_or_404(self, request: HttpRequest, object_id: int) -> TracedObject:
        """The object, if the user may view tips (analysts, administrators) and see it."""
        if not self.tips_admin.has_view_or_change_permission(request):
            raise PermissionDenied
        found = TracedObject.objects.visible_to(request.user).filter(pk=object_id).first()
        if found is None:
            raise Http404(_("No such object."))
        return found

    def board_view(self, request, object_id: int) -> HttpResponse:
        """The board (admin_view has checked that a staff member with both factors asks)."""
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        obj = self.object_or_404(request, object_id)
        board = board_read(traced_object=obj)
        triage.tips_board_view_logged(
            traced_object=obj, by=request.user, sample_tip_ids=board["sample_tip_ids"]
        )
        width, height = fitted(obj.display_width, obj.display_height, IMAGE_SIDE)
        user = request.user
        return self.tips_admin.render_page(
            request,
            "admin/tips/board.html",
            title=_("Evidence board: %(code)s") % {"code": obj.code},
            object=obj,
            image_url=(
                reverse("admin:objects_tracedobject_image", args=[obj.pk, "display"])
                if obj.display
                else ""
            ),
            image_width=width,
            image_height=height,
            object_url=reverse("admin:objects_tracedobject_change", args=[obj.pk]),
            queue_url=reverse("admin:tips_tip_changelist") + f"?object={obj.pk}",
            can_change=self.tips_admin.has_change_permission(request),
            can_forward=user.has_perm("moderation.add_forward") and user.has_perm("tips.view_tip"),
            forward_at_most=FORWARD_AT_MOST,
            **board,
        )

    @post_only
    def act_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """One of the group's buttons: the queue's bulk action on the group's tips."""
        obj = self.object_or_404(request, object_id)
        if not self.tips_admin.has_change_permission(request):
            raise PermissionDenied
        tips, anchor = self.group_tips(obj, request.POST)
        admin = self.tips_admin
        actions = {
            "duplicate": lambda: self.mark_duplicates(request, tips),
            "reject_spam": lambda: admin.reject(request, tips, "spam"),
            "reject_irrelevant": lambda: admin.reject(request, tips, "irrelevant"),
            "forward": lambda: admin.forward_tips(
                request, tips.filter(status__in=triage.FORWARDABLE_FROM)
            ),
            "release_flood": lambda: admin.release_floods(request, tips),
            "reject_flood": lambda: admin.reject_floods(request, tips),
        }
        action = actions.get(request.POST.get("do", ""))
        if action is None:
            admin.message_user(request, _("Unknown action: nothing changed."), messages.ERROR)
            response = None
        else:
            response = action()
        board = reverse("admin:tips_tip_board", args=[obj.pk])
        return response or HttpResponseRedirect(f"{board}#{anchor}")

    def group_tips(self, obj: TracedObject, data) -> tuple[QuerySet[Tip], str]:
        """The tips of the group a button names (`group`, or `tip` for one not grouped
        yet), on this object only; and the group's anchor on the board."""
        tips = Tip.objects.filter(traced_object=obj)
        group, tip = data.get("group", ""), data.get("tip", "")
        if group.isdigit():
            return tips.filter(group_id=int(group)), f"group-{group}"
        if tip.isdigit():
            return tips.filter(pk=int(tip), group__isnull=True), f"tip-{tip}"
        return tips.none(), "board-groups"

    def mark_duplicates(self, request: HttpRequest, tips: QuerySet[Tip]) -> HttpResponse | None:
        """Every other tip of the group becomes a duplicate of its first tip (`original`, as
        shown on the board): the queue's "Mark as duplicate of…" with the form filled in."""
        original = request.POST.get("original", "")
        if not original.isdigit() or not tips.filter(pk=int(original)).exists():
            self.tips_admin.message_user(
                request, _("The group changed meanwhile: nothing was marked."), messages.WARNING
            )
            return None
        return self.tips_admin.mark_duplicate(request, tips.exclude(pk=int(original)))
