"""The recipient acknowledges a forwarded tip (POST only)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from moderation.forwarding import forward_acknowledge
from moderation.pages.common import ForwardAdmin, forward_or_404, forward_url
from traceobject.backoffice import staff_user


@require_POST
def acknowledge_view(
    request: HttpRequest, object_id: str, *, model_admin: ForwardAdmin
) -> HttpResponse:
    forward = forward_or_404(model_admin, request, object_id)
    forward_acknowledge(forward=forward, by=staff_user(request))
    messages.info(request, _("You acknowledged tip #%(tip)s.") % {"tip": forward.tip_id})
    return HttpResponseRedirect(forward_url(forward))
