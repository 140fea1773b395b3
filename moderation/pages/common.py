"""What the forward pages share: the forward as the user may see it, and its URL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.admin import ModelAdmin
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from moderation.models import Forward
from traceobject.backoffice import backoffice_render

if TYPE_CHECKING:
    ForwardAdmin = ModelAdmin[Forward]
else:  # ModelAdmin is generic for the type checker only
    ForwardAdmin = ModelAdmin


def forward_or_404(model_admin: ForwardAdmin, request: HttpRequest, object_id: str) -> Forward:
    forward = model_admin.get_object(request, unquote(object_id))
    if forward is None or not model_admin.has_view_permission(request, forward):
        raise Http404(_("No such forward."))
    return forward


def forward_url(forward: Forward) -> str:
    return reverse("admin:moderation_forward_change", args=[forward.pk])


def render_page(
    model_admin: ForwardAdmin, request: HttpRequest, template: str, **context: Any
) -> TemplateResponse:
    return backoffice_render(
        request, model_admin.admin_site, template, {"opts": model_admin.opts, **context}
    )
