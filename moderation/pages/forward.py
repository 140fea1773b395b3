"""The forward's page (the admin's read-only change page): what the tipster wrote, the object
beside it, and the recipient's buttons. Opening it is a view of the tip, audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from moderation import exports
from moderation.forms import ForwardOutcomeForm
from moderation.models import Forward, ForwardOutcome
from objects.models import ObjectState
from objects.services import check_can_identify
from objects.staff_images import OBJECT_IMAGE_SIDE, object_preview
from tips import triage
from traceobject.backoffice import staff_user


def forward_page_context(request: HttpRequest, forward: Forward) -> dict[str, Any]:
    user = staff_user(request)
    if request.method == "GET":
        triage.tip_view_logged(tip=forward.tip, by=user, forward_id=forward.pk)
    return {
        "is_recipient": forward.to_id == user.pk,
        "outcome_form": ForwardOutcomeForm(
            initial={"outcome": forward.outcome, "note": forward.outcome_note}
        ),
        "can_identify": may_identify(request, forward),
        "can_export": may_export(request, forward),
        # The object beside the tip, as on the tip's page, for whoever may see it.
        "beside": object_preview(forward.tip.traced_object, OBJECT_IMAGE_SIDE),
    }


def may_identify(request: HttpRequest, forward: Forward) -> bool:
    obj = forward.tip.traced_object
    if forward.outcome != ForwardOutcome.IDENTIFICATION or obj is None:
        return False
    if obj.state != ObjectState.PUBLISHED:
        return False
    try:
        check_can_identify(obj=obj, by=staff_user(request))
    except PermissionDenied:
        return False
    return True


def may_export(request: HttpRequest, forward: Forward) -> bool:
    obj = forward.tip.traced_object
    if obj is None:
        return False
    try:
        exports.check_can_export_forwarded(by=staff_user(request), case=obj.case)
    except PermissionDenied:
        return False
    return True
