"""A tip's page (TipAdmin's change form): what it adds to the admin's context, besides the
read-only fields: the triage buttons open from the tip's status, its group of duplicates and
similar tips, its notes, the object beside it and the j/k links along the queue."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from objects.staff_images import OBJECT_IMAGE_SIDE, object_preview
from tips import triage
from tips.columns import group_size_text, preview
from tips.forms import DuplicateOfForm, TipNoteForm, TipQuestionForm
from tips.models import CLOSED_STATUSES, Tip
from tips.permissions import may_add_note, may_forward, may_reveal_contact
from tips.selectors import tip_notes, tip_related
from tips.workbench.common import TipsAdmin, forward_create_url, preserved


def tip_page_context(tips_admin: TipsAdmin, request: HttpRequest, tip: Tip) -> dict[str, Any]:
    can_change = tips_admin.has_change_permission(request, tip)
    forwardable = tip.status in triage.FORWARDABLE_FROM and may_forward(request.user)
    return {
        "can_reveal": may_reveal_contact(request.user),
        "can_change": can_change,
        "can_ask": can_change and tip.status not in CLOSED_STATUSES,
        "can_mark_duplicate": tip.status in triage.DUPLICABLE_FROM,
        "question_form": TipQuestionForm(),
        "can_add_note": may_add_note(request.user),
        "note_form": TipNoteForm(),
        "duplicate_form": DuplicateOfForm(),
        "notes": tip_notes(tip),
        "group": group_of(tip),
        "similar_size": group_size_text(tip.group_size),
        "buttons": status_buttons(tip) if can_change else [],
        "beside": object_preview(tip.traced_object, OBJECT_IMAGE_SIDE),
        **queue_links(tips_admin, request, tip),
        "forward_url": forward_create_url([tip.pk]) if forwardable else "",
    }


def group_of(tip: Tip) -> dict[str, Any]:
    related = tip_related(tip)
    return {
        "root_id": related.root_id,
        "members": related.members,
        "similar": [{"tip": other, "preview": preview(other)} for other in related.similar],
    }


def queue_links(tips_admin: TipsAdmin, request: HttpRequest, tip: Tip) -> dict[str, str]:
    """Links to the tips before and after this one in the queue the analyst came from
    (the j and k keys), worked out only when followed: no query on the tip's page."""
    return {
        f"queue_{direction}_url": preserved(
            tips_admin, request, reverse("admin:tips_tip_queue_step", args=[tip.pk, direction])
        )
        for direction in ("prev", "next")
    }


def status_buttons(tip: Tip) -> list[tuple[str, str]]:
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
