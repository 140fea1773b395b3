"""Mark a published object identified, with its outcome and public line."""

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
from objects.forms import IdentifyForm
from objects.services import (
    TransitionError,
    check_can_identify,
    check_identifiable,
    object_mark_identified,
)
from traceobject.backoffice import staff_user


def identify_view(
    request: HttpRequest, object_id: str, *, model_admin: ObjectAdmin
) -> HttpResponse:
    obj = visible_object_or_404(model_admin, request, object_id)
    user = staff_user(request)
    try:
        check_can_identify(obj=obj, by=user)
        if request.method != "POST":
            check_identifiable(obj=obj)
    except PermissionDenied as exc:
        return refused(model_admin, request, obj, exc)
    except TransitionError as exc:
        messages.warning(request, str(exc))
        return HttpResponseRedirect(change_url(obj))
    form = IdentifyForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            object_mark_identified(
                obj=obj,
                by=user,
                outcome=form.cleaned_data["outcome"],
                public_line=form.cleaned_data["public_line"],
            )
        except PermissionDenied as exc:
            return refused(model_admin, request, obj, exc)
        except TransitionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.info(request, _("%(code)s is marked identified.") % {"code": obj.code})
            return HttpResponseRedirect(change_url(obj))
    return render_action(
        model_admin,
        request,
        obj,
        form,
        title=_("Mark %(code)s identified") % {"code": obj.code},
        intro=_("The outcome and its one line are shown on the object's public page."),
        submit_label=_("Mark identified"),
    )
