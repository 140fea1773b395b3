"""Approve and publish an object: the second investigator's four-eyes page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _

from objects.backoffice.common import (
    ObjectAdmin,
    change_url,
    refused,
    render_action,
    visible_object_or_404,
)
from objects.forms import ApprovalForm
from objects.services import TransitionError, check_can_approve, object_approve
from traceobject.backoffice import staff_user


def approve_view(request: HttpRequest, object_id: str, *, model_admin: ObjectAdmin) -> HttpResponse:
    obj = visible_object_or_404(model_admin, request, object_id)
    user = staff_user(request)
    state_error = None
    try:
        check_can_approve(obj=obj, by=user)
    except PermissionDenied as exc:
        return refused(model_admin, request, obj, exc)
    except TransitionError as exc:
        if request.method != "POST":
            messages.warning(request, str(exc))
            return HttpResponseRedirect(change_url(obj))
        state_error = str(exc)  # e.g. a second click: already published
    form = ApprovalForm(request.POST if request.method == "POST" else None, obj=obj)
    if state_error:
        form.add_error(None, state_error)
    elif form.has_error("reviewed_version"):
        # Reload the page so the approver reviews the object as it is now.
        messages.warning(request, str(form.errors["reviewed_version"][0]))
        return HttpResponseRedirect(request.path)
    elif form.is_valid():
        try:
            object_approve(
                obj=obj,
                by=user,
                checklist=form.checklist(),
                expected_updated_at=obj.updated_at,
            )
        except PermissionDenied as exc:
            return refused(model_admin, request, obj, exc)
        except TransitionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.info(request, _("%(code)s is now public.") % {"code": obj.code})
            return HttpResponseRedirect(change_url(obj))
    return render_action(
        model_admin,
        request,
        obj,
        form,
        title=_("Approve and publish %(code)s") % {"code": obj.code},
        intro=_(
            "Look at the image and the text below. Publish only if you can confirm "
            "every item: once public, anyone can see this object."
        ),
        submit_label=_("Approve and publish"),
    )
