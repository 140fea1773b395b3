"""The forwarded tips of a case (`?case=id`) or an object (`?object=id`), as CSV."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from moderation import exports
from moderation.pages.common import ForwardAdmin
from objects.models import Case, TracedObject
from traceobject.backoffice import staff_user
from traceobject.csvexport import csv_response


def forward_export_view(
    request: HttpRequest, *, model_admin: ForwardAdmin
) -> StreamingHttpResponse:
    case_id, object_id = request.GET.get("case", ""), request.GET.get("object", "")
    target: dict[str, Any]
    if case_id.isdigit():
        target = {"case": get_object_or_404(Case, pk=case_id)}
    elif object_id.isdigit():
        target = {"traced_object": get_object_or_404(TracedObject, pk=object_id)}
    else:
        raise Http404(_("Export a case (?case=id) or an object (?object=id)."))
    return csv_response(exports.forwarded_tips_export(by=staff_user(request), **target))
