"""The tipster's contact details, decrypted on a POST by whoever may work the tip and
answered with a page no browser or proxy may keep (tips.triage.tip_contact_reveal audits
every attempt and refuses anyone else)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from tips import triage
from tips.models import Tip
from tips.permissions import may_reveal_contact
from tips.workbench.common import TipsAdmin, post_only, render_tip_page, staff, tip_or_404


def reveal_contact_view(
    request: HttpRequest, object_id: str, *, tips_admin: TipsAdmin
) -> HttpResponse:
    tip = tip_or_404(tips_admin, request, object_id)
    if not may_reveal_contact(request.user):
        raise PermissionDenied
    return reveal_contact(request, tip=tip, tips_admin=tips_admin)


@post_only  # a link, a prefetch or a crawler never opens them
@never_cache  # the admin does this too; here it must never be missed
def reveal_contact(request: HttpRequest, *, tip: Tip, tips_admin: TipsAdmin) -> HttpResponse:
    reveal = triage.tip_contact_reveal(tip=tip, by=staff(request))
    return render_tip_page(
        tips_admin,
        request,
        tip,
        "admin/tips/tip/reveal_contact.html",
        title=_("Contact details of %(tip)s") % {"tip": tip},
        contact=reveal.contact,
        problem=reveal.problem,
    )
