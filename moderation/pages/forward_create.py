"""Forward tips (reached from the tips list's "Forward…" action, `?tips=1,2,3`)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from moderation.forms import ForwardCreateForm
from moderation.forwarding import forward_recipients_default, tip_forward
from moderation.pages.common import ForwardAdmin, render_page
from moderation.selectors import tips_to_forward
from tips.permissions import MAX_TIPS_PER_FORWARD, may_forward
from tips.selectors import tip_latest_note_body
from traceobject.backoffice import staff_user


def forward_create_view(request: HttpRequest, *, model_admin: ForwardAdmin) -> HttpResponse:
    if not may_forward(request.user):
        raise PermissionDenied
    tips_changelist = reverse("admin:tips_tip_changelist")
    tips = tips_to_forward(raw_ids=request.GET.get("tips", ""))
    if not tips:
        messages.warning(
            request,
            _("Select between 1 and %(max)d tips to forward.") % {"max": MAX_TIPS_PER_FORWARD},
        )
        return HttpResponseRedirect(tips_changelist)
    if request.method == "POST":
        form = ForwardCreateForm(request.POST)
        if form.is_valid():
            recipients = list(form.cleaned_data["recipients"])
            tip_forward(
                tips=tips,
                recipients=recipients,
                by=staff_user(request),
                summary=form.cleaned_data["summary"],
            )
            messages.success(
                request,
                _("Forwarded %(count)d tip(s) to %(names)s.")
                % {
                    "count": len(tips),
                    "names": ", ".join(user.get_username() for user in recipients),
                },
            )
            return HttpResponseRedirect(tips_changelist)
    else:
        defaults = {user.pk for tip in tips for user in forward_recipients_default(tip=tip)}
        # The analyst's latest note is usually what the investigator needs to read.
        summary = tip_latest_note_body(tip_ids=[tip.pk for tip in tips])
        form = ForwardCreateForm(
            initial={
                "recipients": sorted(defaults),
                "summary": summary[: ForwardCreateForm.SUMMARY_MAX],
            }
        )
    return render_page(
        model_admin,
        request,
        "admin/moderation/forward/create.html",
        title=_("Forward tips"),
        tips=tips,
        form=form,
        tips_changelist=tips_changelist,
    )
