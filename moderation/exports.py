"""The tips forwarded for a case or an object as CSV (traceobject/csvexport.py), written to
the audit log. Contact details are never exported."""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import log_action
from moderation.models import Forward
from objects.models import Case, TracedObject
from traceobject.csvexport import Export, cell, csv_lines, filename_part

__all__ = ["FORWARDED_TIPS_HEADER", "Export", "cell", "forwarded_tips_export"]

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


# --- Forwarded tips -------------------------------------------------------------------------


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


def _forward_rows(forwards: QuerySet[Forward]) -> Iterator[list[object]]:
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
