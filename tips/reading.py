"""Reading the queue leaves a trace: each page of the tip list an analyst sees (which
filters, which search, how many tips, whose 140-character previews) writes one audit entry,
never one per tip shown. The same person reloading the same page within the same minute
writes no second entry: the log grows with what was read, not with reloads."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from audit.models import AuditEntry
from audit.services import log_action
from traceobject.clock import minute_now

QUEUE_VIEWED = "tip.queue_viewed"
QUEUE_SEARCHED = "tip.queue_searched"
SEARCH_PARAM = "q"  # the admin's search box
QUERY_CHARS = 200  # of a search, in the log


def queue_read_logged(*, request: HttpRequest, response: HttpResponse) -> AuditEntry | None:
    """The audit entry for the queue page `response` shows, or None when it shows no list
    (an action's redirect, an error) or this page was logged in this minute already."""
    changelist = (getattr(response, "context_data", None) or {}).get("cl")
    staff_id = request.user.pk
    if changelist is None or response.status_code != 200 or staff_id is None:
        return None
    rows = list(changelist.result_list)
    query = request.GET.get(SEARCH_PARAM, "").strip()[:QUERY_CHARS]
    filters = {
        key: value[:QUERY_CHARS]
        for key, value in sorted(request.GET.items())
        if key != SEARCH_PARAM
    }
    action = QUEUE_SEARCHED if query else QUEUE_VIEWED
    data: dict[str, Any] = {
        "filters": filters,
        "query": query,
        "shown": len(rows),
        "matching": changelist.result_count,
        "previews": [tip.pk for tip in rows],
    }
    if AuditEntry.objects.filter(
        user_id=staff_id,
        action=action,
        at__gte=minute_now(),
        data__filters=filters,
        data__query=query,
    ).exists():
        return None
    return log_action(action, user=request.user, data=data)
