"""What every back-office page of ours shares, whichever app it belongs to: it is drawn in
the admin's frame (header, sidebar, breadcrumbs), and a POST-only action answers 405 to
anything else. Only Django is imported here, so every app's admin module may use it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.admin import AdminSite
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template.response import TemplateResponse


def backoffice_render(
    request: HttpRequest, admin_site: AdminSite, template: str, context: dict[str, Any], **kwargs
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


def capped_counts(querysets: list[QuerySet], cap: int) -> list[int]:
    """How many rows each queryset has, counting no further than cap + 1, in one query:
    each count is a sliced subquery that stops early (a COUNT(*) over a million tips would
    read them all), and a page showing several counts pays one round trip, not one each."""
    if not querysets:
        return []
    parts: list[str] = []
    params: list[Any] = []
    for number, rows in enumerate(querysets):
        sliced = rows.order_by().values_list("pk", flat=True)[: cap + 1]
        sql, sliced_params = sliced.query.sql_with_params()
        # Django compiled `sql`; every value in it is a parameter.
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{number})")  # noqa: S608
        params.extend(sliced_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        return [int(count) for count in cursor.fetchone()]


def capped_count(rows: QuerySet, cap: int) -> int:
    """capped_counts for one queryset, as Django spells it: SELECT COUNT(*) … LIMIT."""
    return rows.order_by().values_list("pk", flat=True)[: cap + 1].count()


def post_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """require_POST for a ModelAdmin method: a link, a prefetch or a crawler changes nothing."""

    @wraps(view)
    def wrapped(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return view(self, request, *args, **kwargs)

    return wrapped
