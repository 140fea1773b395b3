"""What the workbench pages share: the tip they act on, the URLs they send the analyst
back to (within the queue they came from), and the admin's frame around their page."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import update_wrapper, wraps
from typing import Any, TypeAlias, cast

from django.contrib.admin import ModelAdmin
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import unquote
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from tips.models import Tip
from tips.permissions import FORWARD_PAGE
from traceobject.backoffice import backoffice_render

TipsAdmin: TypeAlias = "ModelAdmin[Tip]"
Page: TypeAlias = Callable[..., HttpResponse]


def on(tips_admin: TipsAdmin, view: Page) -> Page:
    """`view(request, *args, tips_admin=…)` as a view of the admin's URLs."""

    def bound(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return view(request, *args, tips_admin=tips_admin, **kwargs)

    return update_wrapper(bound, view)


def staff(request: HttpRequest) -> User:
    """The staff member asking: admin_view lets no one else reach a workbench page."""
    return cast(User, request.user)


def post_only(view: Page) -> Page:
    """A link, a prefetch or a crawler changes nothing: anything but a POST is answered 405."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return view(request, *args, **kwargs)

    return wrapped


def tip_or_404(tips_admin: TipsAdmin, request: HttpRequest, object_id: str) -> Tip:
    tip = tips_admin.get_object(request, unquote(object_id))
    if tip is None:
        raise Http404(_("No such tip."))
    return tip


def changeable_tip_or_404(tips_admin: TipsAdmin, request: HttpRequest, object_id: str) -> Tip:
    tip = tip_or_404(tips_admin, request, object_id)
    if not tips_admin.has_change_permission(request, tip):
        raise PermissionDenied
    return tip


def change_url(tips_admin: TipsAdmin, tip: Tip, request: HttpRequest | None = None) -> str:
    """The tip's page; given the request, still within the queue the analyst came from
    (its preserved filters), so j/k after a triage button keep walking that queue."""
    url = reverse("admin:tips_tip_change", args=[tip.pk])
    if request is None:
        return url
    return preserved(tips_admin, request, url)


def preserved(tips_admin: TipsAdmin, request: HttpRequest, url: str) -> str:
    """`url` with the queue's filters the analyst came with."""
    context: dict[str, Any] = {
        "preserved_filters": tips_admin.get_preserved_filters(request),
        "opts": tips_admin.opts,
    }
    return add_preserved_filters(context, url)


def changelist_url() -> str:
    return reverse("admin:tips_tip_changelist")


def forward_create_url(tip_ids: Iterable[int]) -> str:
    """The forwarding page (moderation's, registered in tips.permissions) for these tips."""
    return reverse(FORWARD_PAGE.url_name) + "?tips=" + ",".join(str(pk) for pk in tip_ids)


def render(
    tips_admin: TipsAdmin, request: HttpRequest, template: str, **context: Any
) -> TemplateResponse:
    """A page in the admin's frame, as the tips' ModelAdmin draws its own."""
    return backoffice_render(
        request, tips_admin.admin_site, template, {"opts": tips_admin.opts, **context}
    )


def render_tip_page(
    tips_admin: TipsAdmin, request: HttpRequest, tip: Tip, template: str, **context: Any
) -> TemplateResponse:
    return render(
        tips_admin,
        request,
        template,
        original=tip,
        change_url=change_url(tips_admin, tip),
        **context,
    )
