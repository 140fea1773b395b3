"""The audit log as CSV (traceobject/csvexport.py), itself written to the audit log."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEntry
from audit.services import log_action
from traceobject.csvexport import Export, csv_lines

AUDIT_HEADER = ["at", "action", "username", "target type", "target id", "target", "data"]


def check_can_export_audit(*, by: User) -> None:
    if not by.has_perm("audit.export_auditentry"):
        raise PermissionDenied(_("You do not have the permission to export the audit log."))


def audit_export(*, by: User, entries: QuerySet[AuditEntry], filters: dict[str, Any]) -> Export:
    check_can_export_audit(by=by)
    row_count = entries.count()
    exported = log_action("audit.exported", user=by, data={"rows": row_count, "filters": filters})
    entries = entries.filter(pk__lt=exported.pk)  # the log as it was, without this export
    rows = (
        [
            entry.at,
            entry.action,
            entry.username,
            entry.target_type,
            entry.target_id,
            entry.target_repr,
            json.dumps(entry.data, sort_keys=True),
        ]
        for entry in entries.iterator(chunk_size=1000)
    )
    filename = f"audit-log-{timezone.localdate():%Y-%m-%d}.csv"
    return Export(filename, row_count, csv_lines(AUDIT_HEADER, rows))
