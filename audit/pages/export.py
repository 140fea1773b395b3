"""The audit log as the list shows it (same filters and search), as CSV."""

from __future__ import annotations

from django.contrib.admin import ModelAdmin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext as _

from audit.exports import audit_export
from traceobject.backoffice import staff_user
from traceobject.csvexport import csv_response


def audit_export_view(request: HttpRequest, *, model_admin: ModelAdmin) -> StreamingHttpResponse:
    if not (
        model_admin.has_view_permission(request)
        and request.user.has_perm("audit.export_auditentry")
    ):
        raise PermissionDenied
    try:
        changelist = model_admin.get_changelist_instance(request)
    except IncorrectLookupParameters as exc:
        raise Http404(_("Unknown filter.")) from exc
    entries = changelist.get_queryset(request)
    export = audit_export(
        by=staff_user(request), entries=entries, filters=dict(request.GET.items())
    )
    return csv_response(export)
