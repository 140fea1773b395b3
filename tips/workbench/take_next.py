""" "Take the next tip" (the queue's button): the next new tip is the analyst's, opened."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _

from tips import triage
from tips.workbench.common import TipsAdmin, change_url, changelist_url, post_only, staff


@post_only
def take_next_view(request: HttpRequest, *, tips_admin: TipsAdmin) -> HttpResponse:
    if not tips_admin.has_change_permission(request):
        raise PermissionDenied
    tip = triage.tip_take_next(by=staff(request))
    if tip is None:
        tips_admin.message_user(request, _("No new tips are waiting."), messages.INFO)
        return HttpResponseRedirect(changelist_url())
    tips_admin.message_user(request, _("%(tip)s is yours now.") % {"tip": tip}, messages.SUCCESS)
    return HttpResponseRedirect(change_url(tips_admin, tip))
