"""The queue's bulk actions (TipAdmin.actions; the evidence board's buttons call them too).
Each runs the tips.triage transition on every selected tip and says what it changed and what
it left as it was."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from tips import triage
from tips.forms import DuplicateOfForm
from tips.models import Tip
from tips.relay_models import handed_over
from tips.selectors import flood_groups_of, groups_in_order
from tips.workbench.common import TipsAdmin, forward_create_url, render, staff

Message = str | Promise  # ngettext_lazy keyed on "count"

# A tip relayed to the partner portal that owns its object is triaged there (its status
# here follows theirs, tips/inbound.py): the bulk actions leave it and say so.
HANDED_OVER = ngettext_lazy(
    "%(count)d relayed to its owner's portal was left to its analysts",
    "%(count)d relayed to their owners' portals were left to their analysts",
    "count",
)


def apply_to_each(
    tips_admin: TipsAdmin,
    request: HttpRequest,
    queryset: QuerySet[Tip],
    transition: Callable[[Tip], bool],
    *,
    done: Message,
    skipped: Message,
    **extra: Any,
) -> None:
    """Run `transition(tip)` on each selected tip and say how many changed and how many
    were left as they were (`done`, `skipped`: ngettext_lazy keyed on "count")."""
    changed = unchanged = relayed = 0
    errors: list[str] = []
    tips = queryset.select_related(None).only("pk", *triage.TRIAGE_FIELDS)
    for tip in tips.annotate(handed_over=handed_over()):
        if tip.handed_over:
            relayed += 1
            continue
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
    if relayed:
        parts.append(HANDED_OVER % {"count": relayed})
    level = (
        messages.SUCCESS if changed and not (unchanged or relayed or errors) else messages.WARNING
    )
    tips_admin.message_user(request, "; ".join(parts + errors) + ".", level)


@admin.action(description=gettext_lazy("Assign to me"), permissions=["change"])
def take_tips(tips_admin: TipsAdmin, request: HttpRequest, queryset: QuerySet[Tip]) -> None:
    apply_to_each(
        tips_admin,
        request,
        queryset,
        lambda tip: triage.tip_assign(tip=tip, to=staff(request), by=staff(request)),
        done=ngettext_lazy("%(count)d assigned to you", "%(count)d assigned to you", "count"),
        skipped=ngettext_lazy(
            "%(count)d was already yours or is closed",
            "%(count)d were already yours or are closed",
            "count",
        ),
    )


@admin.action(description=gettext_lazy("Mark in review"), permissions=["change"])
def mark_in_review(tips_admin: TipsAdmin, request: HttpRequest, queryset: QuerySet[Tip]) -> None:
    apply_to_each(
        tips_admin,
        request,
        queryset,
        lambda tip: triage.tip_mark_in_review(tip=tip, by=staff(request)),
        done=ngettext_lazy("%(count)d marked in review", "%(count)d marked in review", "count"),
        skipped=ngettext_lazy(
            "%(count)d was not new or waiting for information",
            "%(count)d were not new or waiting for information",
            "count",
        ),
    )


def reject(
    tips_admin: TipsAdmin, request: HttpRequest, queryset: QuerySet[Tip], reason: str
) -> None:
    apply_to_each(
        tips_admin,
        request,
        queryset,
        lambda tip: triage.tip_reject(tip=tip, by=staff(request), reason=reason),
        done=ngettext_lazy("%(count)d rejected", "%(count)d rejected", "count"),
        skipped=ngettext_lazy(
            "%(count)d was already rejected, closed or forwarded",
            "%(count)d were already rejected, closed or forwarded",
            "count",
        ),
    )


@admin.action(description=gettext_lazy("Reject as spam"), permissions=["change"])
def reject_as_spam(tips_admin: TipsAdmin, request: HttpRequest, queryset: QuerySet[Tip]) -> None:
    reject(tips_admin, request, queryset, "spam")


@admin.action(description=gettext_lazy("Reject as irrelevant"), permissions=["change"])
def reject_as_irrelevant(
    tips_admin: TipsAdmin, request: HttpRequest, queryset: QuerySet[Tip]
) -> None:
    reject(tips_admin, request, queryset, "irrelevant")


@admin.action(description=gettext_lazy("Close"), permissions=["change"])
def close_tips(tips_admin: TipsAdmin, request: HttpRequest, queryset: QuerySet[Tip]) -> None:
    apply_to_each(
        tips_admin,
        request,
        queryset,
        lambda tip: triage.tip_close(tip=tip, by=staff(request)),
        done=ngettext_lazy("%(count)d closed", "%(count)d closed", "count"),
        skipped=ngettext_lazy(
            "%(count)d was already closed or rejected",
            "%(count)d were already closed or rejected",
            "count",
        ),
    )


@admin.action(description=gettext_lazy("Mark as duplicate of…"), permissions=["change"])
def mark_duplicate(
    tips_admin: TipsAdmin, request: HttpRequest, queryset: QuerySet[Tip]
) -> TemplateResponse | None:
    form = DuplicateOfForm(request.POST if request.POST.get("post") == "yes" else None)
    if form.is_valid():
        original = form.cleaned_data["original"]
        apply_to_each(
            tips_admin,
            request,
            queryset,
            lambda tip: triage.tip_mark_duplicate(tip=tip, of=original, by=staff(request)),
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
    return render(
        tips_admin,
        request,
        "admin/tips/tip/mark_duplicate.html",
        title=_("Mark as duplicates"),
        queryset=queryset,
        form=form,
        action_checkbox_name=helpers.ACTION_CHECKBOX_NAME,
    )


@admin.action(description=gettext_lazy("Release their flood"), permissions=["change"])
def release_floods(tips_admin: TipsAdmin, request: HttpRequest, queryset: QuerySet[Tip]) -> None:
    released = sum(
        triage.tip_flood_release(group=group, by=staff(request))
        for group in flood_groups_of(queryset)
    )
    tips_admin.message_user(
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
def reject_floods(tips_admin: TipsAdmin, request: HttpRequest, queryset: QuerySet[Tip]) -> None:
    groups = list(flood_groups_of(queryset))
    rejected = 0
    for group in groups:
        rejected += triage.tip_flood_reject(group=group, by=staff(request))
    tips_admin.message_user(
        request,
        _("%(groups)d flood(s) rejected: %(tips)d tips rejected as spam.")
        % {"groups": len(groups), "tips": rejected},
        messages.SUCCESS if groups else messages.WARNING,
    )


@admin.action(description=gettext_lazy("Split out of their group"), permissions=["change"])
def split_from_groups(tips_admin: TipsAdmin, request: HttpRequest, queryset: QuerySet[Tip]) -> None:
    """Each selected tip gets a group of its own, for good: the grouping never puts it back."""
    apply_to_each(
        tips_admin,
        request,
        queryset,
        lambda tip: bool(triage.tip_group_split(tip=tip, by=staff(request))),
        done=ngettext_lazy(
            "%(count)d tip now in a group of its own",
            "%(count)d tips now each in a group of their own",
            "count",
        ),
        skipped=ngettext_lazy("%(count)d was left as it was", "%(count)d were left", "count"),
    )


@admin.action(description=gettext_lazy("Merge their groups"), permissions=["change"])
def merge_groups(tips_admin: TipsAdmin, request: HttpRequest, queryset: QuerySet[Tip]) -> None:
    """The groups of the selected tips become one: the group of the oldest selected tip."""
    groups = groups_in_order(queryset)
    if len(groups) < 2:
        tips_admin.message_user(
            request, _("Select tips of at least two groups of one object."), messages.WARNING
        )
        return
    try:
        moved = triage.tip_groups_merge(groups=groups[1:], into=groups[0], by=staff(request))
    except triage.TriageError as exc:
        tips_admin.message_user(request, str(exc), messages.ERROR)
        return
    tips_admin.message_user(
        request,
        _("%(groups)d groups merged into group ~%(into)d: %(tips)d tips moved.")
        % {"groups": len(groups) - 1, "into": groups[0].pk, "tips": moved},
        messages.SUCCESS,
    )


@admin.action(description=gettext_lazy("Forward…"), permissions=["change"])
def forward_tips(
    tips_admin: TipsAdmin, request: HttpRequest, queryset: QuerySet[Tip]
) -> HttpResponseRedirect | None:
    """The forwarding page for the selected tips but those relayed to their owner."""
    selected = queryset.order_by("pk").annotate(handed_over=handed_over())
    flags = dict(selected.values_list("pk", "handed_over"))
    ours = [pk for pk, relayed in flags.items() if not relayed]
    if len(ours) < len(flags):
        level = messages.WARNING if ours else messages.ERROR
        skipped = HANDED_OVER % {"count": len(flags) - len(ours)}
        tips_admin.message_user(request, f"{skipped}.", level)
    return HttpResponseRedirect(forward_create_url(ours)) if ours else None
