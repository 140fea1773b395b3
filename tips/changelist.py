"""The tip queue's ChangeList, shared by the queue and the case owner's inbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest

# A sort on one of these columns breaks ties in the same direction, so that one index
# (tip_group_strength, received_at's) serves it both ways.
TIE_BREAKS = {"group_size": ["received_at", "id"], "received_at": ["id"]}


class QueueChangeList(ChangeList):
    """The admin's list, made to stay fast at a million tips: ?o= on a column that is not in
    sortable_by is ignored (Django only hides its link), and a sorted column breaks ties in its
    own direction (TIE_BREAKS; a second sorted column is dropped: no index serves a pair).
    CappedPaginator makes the last page honest past the count's cap."""

    def get_ordering_field(self, field_name: Callable[..., Any] | str) -> Any:
        if self.sortable_by is not None and field_name not in self.sortable_by:
            return None
        return super().get_ordering_field(field_name)

    def get_ordering(self, request: HttpRequest, queryset: QuerySet[Any]) -> list[Any]:
        ordering = super().get_ordering(request, queryset)
        first = ordering[0]
        if not self.params.get("o") or first not in [*TIE_BREAKS, *[f"-{f}" for f in TIE_BREAKS]]:
            return ordering
        descending = first.startswith("-")
        ties = TIE_BREAKS[first.removeprefix("-")]
        return [first, *[("-" if descending else "") + field for field in ties]]
