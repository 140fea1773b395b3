"""What the object pages share: finding the object as the user may see it, its URLs, the
refusal page, and the near-duplicates list as HTML."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib.admin import ModelAdmin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from objects.models import TracedObject
from objects.selectors import near_duplicates, owned_case_ids
from objects.services import TransitionError
from objects.staff_images import display_image_html
from traceobject.backoffice import backoffice_render, staff_user

if TYPE_CHECKING:
    ObjectAdmin = ModelAdmin[TracedObject]
else:  # ModelAdmin is generic for the type checker only
    ObjectAdmin = ModelAdmin


def owned_case_ids_of(request: HttpRequest) -> set[int] | None:
    """objects.selectors.owned_case_ids, asked once per request (columns, fieldsets, the
    near-duplicates list all need it)."""
    if not hasattr(request, "owned_case_ids"):
        request.owned_case_ids = owned_case_ids(user=staff_user(request))  # type: ignore[attr-defined]
    return request.owned_case_ids  # type: ignore[attr-defined]


def may(check: Callable[..., None], **kwargs: Any) -> bool:
    """Whether a service's `check_can_*` lets this through, for showing its button."""
    try:
        check(**kwargs)
    except (PermissionDenied, TransitionError):
        return False
    return True


def change_url(obj: TracedObject) -> str:
    return reverse("admin:objects_tracedobject_change", args=[obj.pk])


def visible_object_or_404(
    model_admin: ObjectAdmin, request: HttpRequest, object_id: str
) -> TracedObject:
    obj = model_admin.get_object(request, unquote(object_id))
    if obj is None:
        raise Http404(_("No such object."))
    if not model_admin.has_view_permission(request, obj):
        raise PermissionDenied
    return obj


def render_page(
    model_admin: ObjectAdmin,
    request: HttpRequest,
    template: str,
    *,
    status: int = 200,
    **context: Any,
) -> TemplateResponse:
    return backoffice_render(
        request,
        model_admin.admin_site,
        template,
        {"opts": model_admin.opts, **context},
        status=status,
    )


def refused(
    model_admin: ObjectAdmin, request: HttpRequest, obj: TracedObject, reason: Exception
) -> TemplateResponse:
    return render_page(
        model_admin,
        request,
        "admin/objects/tracedobject/refused.html",
        status=403,
        original=obj,
        title=_("Not allowed"),
        reason=str(reason),
        change_url=change_url(obj),
    )


def render_action(
    model_admin: ObjectAdmin,
    request: HttpRequest,
    obj: TracedObject,
    form: Form,
    *,
    title: str,
    intro: str,
    submit_label: str,
) -> TemplateResponse:
    return render_page(
        model_admin,
        request,
        "admin/objects/tracedobject/action_form.html",
        original=obj,
        title=title,
        intro=intro,
        form=form,
        submit_label=submit_label,
        change_url=change_url(obj),
        display_image=display_image_html(obj),
    )


def near_duplicate_lines(request: HttpRequest, obj: TracedObject) -> list[dict[str, SafeString]]:
    """Each resemblance as one line of safe HTML, showing only what the user may see: an
    object they may not open is "a similar object in another case" (its case's owners were
    mailed, objects.intake.resemblance_notify); a case reference only for a case they own."""
    lines = []
    for found in near_duplicates(
        obj=obj, user=staff_user(request), owned=owned_case_ids_of(request)
    ):
        other, distance = found.other, found.distance
        if not found.visible:
            line = format_html(
                _("a similar object exists in another case (distance {distance})"),
                distance=distance,
            )
        else:
            code = format_html('<a href="{}">{}</a>', change_url(other), other.code)
            if found.case_visible:
                line = format_html(
                    _("looks like {code}, case {case} (distance {distance})"),
                    code=code,
                    case=other.case.reference,
                    distance=distance,
                )
            else:
                line = format_html(
                    _("looks like {code}, in another case (distance {distance})"),
                    code=code,
                    distance=distance,
                )
        lines.append({"line": line})
    return lines
