"""A paginator for back-office lists of a million rows: it counts at most a cap of rows, and
its last page is honest, the oldest rows of the list, not the rows just past the cap."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import QuerySet
from django.utils.functional import cached_property

COUNT_CAP = 10_000  # rows a list counts at most: beyond that it says "more than 10,000"


def _counted(rows: QuerySet, cap: int) -> QuerySet:
    """The rows a capped count reads: their keys, unordered, cap + 1 at most."""
    return rows.order_by().values_list("pk", flat=True)[: cap + 1]


def capped_counts(querysets: list[QuerySet], cap: int) -> list[int]:
    """How many rows each queryset has, counting no further than cap + 1, in one query:
    each count is a sliced subquery that stops early (a COUNT(*) over a million tips would
    read them all), and a page showing several counts pays one round trip, not one each."""
    if not querysets:
        return []
    parts: list[str] = []
    params: list[Any] = []
    for number, rows in enumerate(querysets):
        sql, sliced_params = _counted(rows, cap).query.sql_with_params()
        # Django compiled `sql`; every value in it is a parameter.
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{number})")  # noqa: S608
        params.extend(sliced_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        return [int(count) for count in cursor.fetchone()]


class CappedPaginator(Paginator):
    """Counts at most `cap` rows, through a sliced subquery (a COUNT(*) over a million rows
    on every page view would be the slowest thing on the page). Past the cap the pages are
    the first `cap` rows, then a gap, then the last page: the list's ordering reversed, its
    first rows put back in order. Each page is one bounded query, the last as cheap as the
    first (the same index read the other way)."""

    cap = COUNT_CAP

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if not isinstance(rows, QuerySet):
            return len(rows)
        return _counted(rows, self.cap).count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    @property
    def cap_text(self) -> str:
        return f"{self.cap:,}"

    def page(self, number: int | str) -> Page:
        number = self.validate_number(number)
        if self.capped and number == self.num_pages and isinstance(self.object_list, QuerySet):
            oldest = list(self.object_list.reverse()[: self.per_page])
            return Page(oldest[::-1], number, self)
        return super().page(number)

    def get_elided_page_range(  # type: ignore[override]  # a list, not an iterator
        self, number: int | float | str = 1, *, on_each_side: int = 3, on_ends: int = 2
    ) -> list[Any]:
        """The admin's page links, with "…" always before a capped list's last page: it
        does not follow the page before it."""
        pages: list[Any] = list(
            super().get_elided_page_range(number, on_each_side=on_each_side, on_ends=on_ends)
        )
        if self.capped and pages[-2] != self.ELLIPSIS:
            pages.insert(-1, self.ELLIPSIS)
        return pages
