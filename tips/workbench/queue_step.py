"""The j and k keys on a tip's page: to the tip before or after it in the queue the analyst
came from (its status filter, in the admin's preserved filters); back to that queue at its
end."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _

from tips.selectors import tip_queue_neighbour
from tips.workbench.common import TipsAdmin, changelist_url, preserved, tip_or_404


def queue_step_view(
    request: HttpRequest, object_id: str, direction: str, *, tips_admin: TipsAdmin
) -> HttpResponse:
    tip = tip_or_404(tips_admin, request, object_id)
    if direction not in ("prev", "next"):
        raise Http404(_("No such direction."))
    filters = QueryDict(
        QueryDict(tips_admin.get_preserved_filters(request)).get("_changelist_filters", "")
    )
    pk = tip_queue_neighbour(
        tip, status=filters.get("status__exact", ""), forward=direction == "next"
    )
    if pk is None:
        tips_admin.message_user(request, _("No more tips in this queue."), messages.INFO)
        return HttpResponseRedirect(preserved(tips_admin, request, changelist_url()))
    url = reverse("admin:tips_tip_change", args=[pk])
    return HttpResponseRedirect(preserved(tips_admin, request, url))
