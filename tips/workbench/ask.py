"""Ask the tipster a question, which they read through their receipt."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _

from tips import triage
from tips.forms import TipQuestionForm
from tips.workbench.common import (
    TipsAdmin,
    change_url,
    changeable_tip_or_404,
    render_tip_page,
    staff,
)


def ask_view(request: HttpRequest, object_id: str, *, tips_admin: TipsAdmin) -> HttpResponse:
    tip = changeable_tip_or_404(tips_admin, request, object_id)
    form = TipQuestionForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            triage.tip_ask(tip=tip, by=staff(request), body=form.cleaned_data["body"])
        except triage.TriageError:
            form.add_error(None, _("This tip is closed. Reopen it before asking a question."))
        else:
            tips_admin.message_user(
                request,
                _("The question was saved. The tipster sees it when they check their receipt."),
                messages.SUCCESS,
            )
            return HttpResponseRedirect(change_url(tips_admin, tip))
    return render_tip_page(
        tips_admin,
        request,
        tip,
        "admin/tips/tip/ask.html",
        title=_("Ask the tipster of %(tip)s") % {"tip": tip},
        form=form,
    )
