"""The triage buttons on a tip's page: one small POST form per transition."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _

from tips import triage
from tips.forms import DuplicateOfForm
from tips.models import Tip
from tips.workbench.common import TipsAdmin, change_url, changeable_tip_or_404, post_only, staff


@post_only
def triage_view(request: HttpRequest, object_id: str, *, tips_admin: TipsAdmin) -> HttpResponse:
    tip = changeable_tip_or_404(tips_admin, request, object_id)
    by = staff(request)
    do = request.POST.get("do", "")
    if do == "duplicate":
        form = DuplicateOfForm(request.POST)
        if not form.is_valid():
            for error in form.errors.get("original", []):
                tips_admin.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(change_url(tips_admin, tip, request))
        original = form.cleaned_data["original"]
        return report_one(
            tips_admin,
            request,
            tip,
            lambda: triage.tip_mark_duplicate(tip=tip, of=original, by=by),
        )
    transitions: dict[str, Callable[[], bool]] = {
        "assign_me": lambda: triage.tip_assign(tip=tip, to=by, by=by),
        "in_review": lambda: triage.tip_mark_in_review(tip=tip, by=by),
        "reject_spam": lambda: triage.tip_reject(tip=tip, by=by, reason="spam"),
        "reject_irrelevant": lambda: triage.tip_reject(tip=tip, by=by, reason="irrelevant"),
        "close": lambda: triage.tip_close(tip=tip, by=by),
        "reopen": lambda: triage.tip_reopen(tip=tip, by=by),
    }
    if do not in transitions:
        return HttpResponseRedirect(change_url(tips_admin, tip, request))
    return report_one(tips_admin, request, tip, transitions[do])


def report_one(
    tips_admin: TipsAdmin, request: HttpRequest, tip: Tip, transition: Callable[[], bool]
) -> HttpResponse:
    try:
        changed = transition()
    except triage.TriageError as exc:
        tips_admin.message_user(request, str(exc), messages.ERROR)
    else:
        if changed:
            tips_admin.message_user(
                request,
                _("%(tip)s: %(status)s.") % {"tip": tip, "status": tip.get_status_display()},
                messages.SUCCESS,
            )
        else:
            tips_admin.message_user(
                request,
                _("Nothing changed: %(tip)s is %(status)s (changed by someone meanwhile?).")
                % {"tip": tip, "status": tip.get_status_display().lower()},
                messages.WARNING,
            )
    return HttpResponseRedirect(change_url(tips_admin, tip, request))
