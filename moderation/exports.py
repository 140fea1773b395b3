"""CSV exports from the back office: the tips forwarded for a case or an object, and the
audit log. Both are streamed row by row and written to the audit log.

A cell a spreadsheet would read as a formula (=, +, -, @, or a tab or carriage return
first) is prefixed with a quote, so a tipster or analyst cannot plant one. Contact details
are never exported.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEntry
from audit.services import log_action
from moderation.models import Forward
from objects.models import Case, TracedObject

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A spreadsheet set to a ";" list separator (most of Europe) splits "a;=CMD()" into two
# cells, the second a formula: a formula start after a separator is neutralised as well.
FORMULA_AFTER_SEPARATOR = re.compile(r"([;,]\s*)(?=[=+\-@\t\r])")

FORWARDED_TIPS_HEADER = [
    "tip id",
    "received at",
    "object code",
    "status",
    "forwarded at",
    "forwarded by",
    "forwarded to",
    "summary",
    "acknowledged at",
    "outcome",
    "outcome at",
]

AUDIT_HEADER = ["at", "action", "username", "target type", "target id", "target", "data"]


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    text = FORMULA_AFTER_SEPARATOR.sub(r"\1'", str(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file-like object whose write returns the line, for csv.writer into a stream."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([cell(value) for value in row])


def filename_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")[:64] or "export"


# --- Forwarded tips -------------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    filename: str
    row_count: int
    lines: Iterator[str]


def check_can_export_forwarded(*, by: User, case: Case) -> None:
    """Superusers, analysts (who may change tips) and the case's owners."""
    if by.is_superuser or by.has_perm("tips.change_tip"):
        return
    if not case.owners.filter(pk=by.pk).exists():
        raise PermissionDenied(_("Only the owners of this case and analysts can export its tips."))


def forwarded_tips_export(
    *,
    by: User,
    case: Case | None = None,
    traced_object: TracedObject | None = None,
) -> Export:
    """One row per forward of the tips of a case, or of one object, with its provenance."""
    if (case is None) == (traced_object is None):
        raise ValueError("export either a case or an object")
    target: Case | TracedObject
    if case is not None:
        owner_case = case
        target, name, scope = case, case.reference, {"case": case.reference}
        forwards = Forward.objects.filter(tip__traced_object__case=case)
    else:
        assert traced_object is not None  # the check above; this tells mypy
        owner_case = traced_object.case
        target, name, scope = traced_object, traced_object.code, {"object": traced_object.code}
        forwards = Forward.objects.filter(tip__traced_object=traced_object)
    check_can_export_forwarded(by=by, case=owner_case)
    forwards = forwards.select_related("tip__traced_object", "by", "to").order_by(
        "tip_id", "created_at", "id"
    )
    row_count = forwards.count()
    log_action("tips.exported", user=by, target=target, data={**scope, "rows": row_count})
    filename = f"forwarded-{filename_part(name)}-{timezone.localdate():%Y-%m-%d}.csv"
    return Export(filename, row_count, csv_lines(FORWARDED_TIPS_HEADER, _forward_rows(forwards)))


def _forward_rows(forwards: QuerySet[Forward]) -> Iterator[list]:
    for forward in forwards.iterator(chunk_size=500):
        tip = forward.tip
        yield [
            tip.pk,
            tip.received_at,
            tip.traced_object.code if tip.traced_object else "",
            tip.status,
            forward.created_at,
            forward.by.get_username(),
            forward.to.get_username(),
            forward.summary,
            forward.acknowledged_at,
            forward.outcome,
            forward.outcome_at,
        ]


# --- Audit log ------------------------------------------------------------------------------


def check_can_export_audit(*, by: User) -> None:
    if not by.has_perm("audit.export_auditentry"):
        raise PermissionDenied(_("You do not have the permission to export the audit log."))


def audit_export(*, by: User, entries: QuerySet[AuditEntry], filters: dict) -> Export:
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
