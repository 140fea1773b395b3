"""Upload an object (the admin's add page): object_submit creates the row, never
ModelForm.save()."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _

from objects.backoffice.common import ObjectAdmin, change_url
from objects.imaging import ImageRejected
from objects.models import TracedObject
from objects.services import object_submit
from traceobject.backoffice import staff_user


def upload_view(
    request: HttpRequest, *, model_admin: ObjectAdmin, form_url: str = ""
) -> HttpResponse:
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    fieldsets = model_admin.get_fieldsets(request)
    UploadForm = model_admin.get_form(
        request, None, change=False, fields=flatten_fieldsets(fieldsets)
    )
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid() and (obj := submit_upload(request, form)):
            return uploaded(request, obj)
    else:
        form = UploadForm(initial=model_admin.get_changeform_initial_data(request))
    admin_form = helpers.AdminForm(form, list(fieldsets), {}, model_admin=model_admin)  # type: ignore[arg-type]
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Upload an object"),
        "adminform": admin_form,
        "object_id": None,
        "original": None,
        "is_popup": False,
        "to_field": None,
        "media": model_admin.media + admin_form.media,
        "inline_admin_formsets": [],
        "errors": helpers.AdminErrorList(form, []),
        "preserved_filters": model_admin.get_preserved_filters(request),
    }
    return model_admin.render_change_form(request, context, add=True, form_url=form_url)


def submit_upload(request: HttpRequest, form: ModelForm) -> TracedObject | None:
    try:
        with transaction.atomic():
            return object_submit(
                case=form.cleaned_data["case"],
                uploaded_by=staff_user(request),
                upload=form.cleaned_data["image"],
                details=form.details(),  # type: ignore[attr-defined]
            )
    except ImageRejected as exc:
        form.add_error("image", _("The file was refused: %(reason)s.") % {"reason": exc})
        return None


def uploaded(request: HttpRequest, obj: TracedObject) -> HttpResponse:
    messages.success(
        request,
        _(
            "%(code)s was uploaded. It is being processed in the background; this page "
            "shows the result once it is done."
        )
        % {"code": obj.code},
    )
    return HttpResponseRedirect(change_url(obj))
