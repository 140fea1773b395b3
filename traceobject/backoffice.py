"""What every back-office page of ours shares, whichever app it belongs to: it is drawn in
the admin's frame (header, sidebar, breadcrumbs), and a POST-only action answers 405 to
anything else. Only Django is imported here, so every app's admin module may use it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib.admin import AdminSite
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template.response import TemplateResponse


def backoffice_render(
    request: HttpRequest,
    admin_site: AdminSite,
    template: str,
    context: dict[str, Any],
    **kwargs: Any,
) -> TemplateResponse:
    """Render `template` as a page of `admin_site`, with the context its base template needs."""
    request.current_app = admin_site.name
    return TemplateResponse(
        request, template, {**admin_site.each_context(request), **context}, **kwargs
    )


class BackOfficePages:
    """Mixed into a ModelAdmin that has pages of its own beyond Django's list and form."""

    admin_site: AdminSite
    opts: Any

    def render_page(
        self, request: HttpRequest, template: str, *, status: int = 200, **context: Any
    ) -> TemplateResponse:
        return backoffice_render(
            request, self.admin_site, template, {"opts": self.opts, **context}, status=status
        )


def staff_user(request: HttpRequest) -> User:
    """The user of a back-office request: admin_view let only logged-in staff through."""
    return cast(User, request.user)


def post_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """require_POST for a ModelAdmin method: a link, a prefetch or a crawler changes nothing."""

    @wraps(view)
    def wrapped(self: Any, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return view(self, request, *args, **kwargs)

    return wrapped


class SortableOnlyChangeList(ChangeList):
    """A ChangeList that ignores ?o= on a column not in sortable_by (Django only hides its
    link): a hand-written sort must not scan a table no index serves in that order."""

    def get_ordering_field(self, field_name: Callable[..., Any] | str) -> Any:
        if self.sortable_by is not None and field_name not in self.sortable_by:
            return None
        return super().get_ordering_field(field_name)
