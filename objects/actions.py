"""Bulk actions of the object list."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from objects.backoffice.common import ObjectAdmin, owned_case_ids_of, render_page
from objects.models import ObjectState, TracedObject
from objects.services import TransitionError, object_retire
from traceobject.backoffice import staff_user


@admin.action(description=gettext_lazy("Retire the selected objects"), permissions=["retire"])
def retire_objects(
    model_admin: ObjectAdmin, request: HttpRequest, queryset: QuerySet[TracedObject]
) -> HttpResponse | None:
    """With a confirmation page first; each object is retired on its own (one refused
    object does not stop the others) and the skipped ones are listed with their reason."""
    if request.POST.get("post") != "yes":
        return render_page(
            model_admin,
            request,
            "admin/objects/tracedobject/retire_confirmation.html",
            title=_("Retire objects"),
            queryset=queryset,
            owned_case_ids=owned_case_ids_of(request),
            action_checkbox_name=helpers.ACTION_CHECKBOX_NAME,
        )
    retired, skipped = [], []
    for obj in queryset:
        reason = retire_one(request, obj)
        if reason:
            skipped.append(f"{obj.code}: {reason}")
        else:
            retired.append(obj.code)
    if retired:
        messages.success(
            request,
            ngettext(
                "Retired %(count)d object: %(codes)s.",
                "Retired %(count)d objects: %(codes)s.",
                len(retired),
            )
            % {"count": len(retired), "codes": ", ".join(retired)},
        )
    if skipped:
        messages.warning(
            request,
            _("Skipped %(count)d: %(reasons)s")
            % {"count": len(skipped), "reasons": "; ".join(skipped)},
        )
    return None


def retire_one(request: HttpRequest, obj: TracedObject) -> str | None:
    """Retire one object; the reason it was skipped, or None."""
    if obj.state == ObjectState.RETIRED:
        return _("already retired")
    try:
        object_retire(obj=obj, by=staff_user(request))
    except (PermissionDenied, TransitionError) as exc:
        return str(exc)
    return None
