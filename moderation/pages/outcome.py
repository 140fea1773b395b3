"""The recipient records (or corrects) what a forwarded tip was worth (POST only)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from moderation.forms import ForwardOutcomeForm
from moderation.forwarding import forward_record_outcome
from moderation.pages.common import ForwardAdmin, forward_or_404, forward_url
from traceobject.backoffice import staff_user


@require_POST
def outcome_view(
    request: HttpRequest, object_id: str, *, model_admin: ForwardAdmin
) -> HttpResponse:
    forward = forward_or_404(model_admin, request, object_id)
    form = ForwardOutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an outcome."))
        return HttpResponseRedirect(forward_url(forward))
    forward_record_outcome(
        forward=forward,
        by=staff_user(request),
        outcome=form.cleaned_data["outcome"],
        note=form.cleaned_data["note"],
    )
    messages.info(
        request,
        _("The outcome of tip #%(tip)s is recorded: %(outcome)s.")
        % {"tip": forward.tip_id, "outcome": forward.get_outcome_display()},
    )
    return HttpResponseRedirect(forward_url(forward))
