"""An internal note on a tip's page (never shown to the tipster)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _

from tips import triage
from tips.forms import TipNoteForm
from tips.permissions import may_add_note
from tips.workbench.common import TipsAdmin, change_url, post_only, staff, tip_or_404


@post_only
def note_view(request: HttpRequest, object_id: str, *, tips_admin: TipsAdmin) -> HttpResponse:
    tip = tip_or_404(tips_admin, request, object_id)
    if not may_add_note(request.user):
        raise PermissionDenied
    form = TipNoteForm(request.POST)
    if form.is_valid():
        triage.tip_add_note(tip=tip, by=staff(request), body=form.cleaned_data["body"])
        tips_admin.message_user(request, _("The note was added."), messages.SUCCESS)
    else:
        for error in form.errors.get("body", []):
            tips_admin.message_user(
                request, _("The note was not added: %s") % error, messages.ERROR
            )
    return HttpResponseRedirect(change_url(tips_admin, tip, request) + "#tip-notes")
