"""An object's evidence board (`tips/tip/board/<object id>/`) and its group buttons.

Whoever may view tips may read it; opening it is audited once, naming the tips whose text
it showed. Whoever may change tips acts on a whole group through the queue's own bulk
actions (tips/actions.py), so every write goes through tips.triage as it does from the queue.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.translation import gettext as _

from objects.models import TracedObject
from objects.staff_images import fitted
from tips import actions, triage
from tips.activity import activity_context
from tips.board import IMAGE_SIDE, board_read
from tips.board_html import Acting
from tips.models import Tip
from tips.permissions import MAX_TIPS_PER_FORWARD, may_forward
from tips.selectors import board_group_tips, board_object, group_has_tip
from tips.workbench.common import TipsAdmin, post_only, render, staff


def object_or_404(tips_admin: TipsAdmin, request: HttpRequest, object_id: int) -> TracedObject:
    """The object, if the user may view tips (analysts, administrators) and see it."""
    if not tips_admin.has_view_or_change_permission(request):
        raise PermissionDenied
    found = board_object(user=request.user, object_id=object_id)
    if found is None:
        raise Http404(_("No such object."))
    return found


def board_view(request: HttpRequest, object_id: int, *, tips_admin: TipsAdmin) -> HttpResponse:
    """The board (admin_view has checked that a staff member with both factors asks)."""
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    obj = object_or_404(tips_admin, request, object_id)
    board = board_read(traced_object=obj)
    triage.tips_board_view_logged(
        traced_object=obj, by=staff(request), sample_tip_ids=board["sample_tip_ids"]
    )
    width, height = fitted(obj.display_width, obj.display_height, IMAGE_SIDE)
    return render(
        tips_admin,
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
        acting=Acting(
            act_url=reverse("admin:tips_tip_board_act", args=[obj.pk]),
            csrf_token=get_token(request),
            can_change=tips_admin.has_change_permission(request),
            can_forward=may_forward(request.user),
            forward_at_most=MAX_TIPS_PER_FORWARD,
        ),
        activity=activity_context(obj, counted=board.pop("counted")),
        **board,
    )


@post_only
def act_view(request: HttpRequest, object_id: int, *, tips_admin: TipsAdmin) -> HttpResponse:
    """One of the group's buttons: the queue's bulk action on the group's tips."""
    obj = object_or_404(tips_admin, request, object_id)
    if not tips_admin.has_change_permission(request):
        raise PermissionDenied
    tips, anchor = board_group_tips(
        traced_object=obj, group=request.POST.get("group", ""), tip=request.POST.get("tip", "")
    )
    a = tips_admin
    do: dict[str, Callable[[], HttpResponse | None]] = {
        "duplicate": lambda: mark_duplicates(a, request, tips),
        "reject_spam": lambda: actions.reject(a, request, tips, "spam"),
        "reject_irrelevant": lambda: actions.reject(a, request, tips, "irrelevant"),
        "forward": lambda: actions.forward_tips(
            a, request, tips.filter(status__in=triage.FORWARDABLE_FROM)
        ),
        "release_flood": lambda: actions.release_floods(a, request, tips),
        "reject_flood": lambda: actions.reject_floods(a, request, tips),
    }
    action = do.get(request.POST.get("do", ""))
    if action is None:
        a.message_user(request, _("Unknown action: nothing changed."), messages.ERROR)
        response = None
    else:
        response = action()
    board = reverse("admin:tips_tip_board", args=[obj.pk])
    return response or HttpResponseRedirect(f"{board}#{anchor}")


def mark_duplicates(
    tips_admin: TipsAdmin, request: HttpRequest, tips: QuerySet[Tip]
) -> HttpResponse | None:
    """Every other tip of the group becomes a duplicate of its first tip (`original`, as
    shown on the board): the queue's "Mark as duplicate of…" with the form filled in."""
    original = request.POST.get("original", "")
    if not original.isdigit() or not group_has_tip(tips, int(original)):
        tips_admin.message_user(
            request, _("The group changed meanwhile: nothing was marked."), messages.WARNING
        )
        return None
    return actions.mark_duplicate(tips_admin, request, tips.exclude(pk=int(original)))
