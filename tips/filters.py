"""The tip queue's filters (TipAdmin.list_filter): the ones an analyst works with all day.
None counts per option or reads DISTINCT over all tips."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tips.models import FloodState, RelayState, Tip
from tips.relay_models import handed_over, handed_over_to
from tips.selectors import flood_group_ids, objects_with_tips, without_floods

if TYPE_CHECKING:
    from django.contrib.admin.filters import _ListFilterChoices
    from django_stubs_ext import StrOrPromise


class ObjectFilter(admin.SimpleListFilter):
    """Objects that have tips, by code (an EXISTS per object, on the tip's object index)."""

    title = gettext_lazy("object")
    parameter_name = "object"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(pk), code) for pk, code in objects_with_tips()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Tip]) -> QuerySet[Tip]:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(traced_object_id=int(value))
        return queryset


class AssignedFilter(admin.SimpleListFilter):
    title = gettext_lazy("assigned")
    parameter_name = "assigned"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Iterable[tuple[str, StrOrPromise]]:
        return [("me", gettext_lazy("To me")), ("none", gettext_lazy("Unassigned"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Tip]) -> QuerySet[Tip]:
        if self.value() == "me":
            return queryset.filter(assigned_to_id=request.user.pk)
        if self.value() == "none":
            return queryset.filter(assigned_to__isnull=True)
        return queryset


class AnsweredFilter(admin.SimpleListFilter):
    """Tips whose tipster answered a question (tips/triage.py sets answered_at); with
    "in review" it is the analysts' "needs information, answered" (a partial index)."""

    title = gettext_lazy("tipster answered")
    parameter_name = "answered"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Iterable[tuple[str, StrOrPromise]]:
        return [("yes", gettext_lazy("Answered a question"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Tip]) -> QuerySet[Tip]:
        if self.value() == "yes":
            return queryset.filter(answered_at__isnull=False)
        return queryset


class LanguageFilter(admin.SimpleListFilter):
    """The site's languages (a tip records the page's language): no DISTINCT over all tips."""

    title = gettext_lazy("language")
    parameter_name = "language"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Iterable[tuple[str, StrOrPromise]]:
        return [(code, _(name)) for code, name in settings.LANGUAGES]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Tip]) -> QuerySet[Tip]:
        if self.value():
            return queryset.filter(language=self.value())
        return queryset


class AgeFilter(admin.SimpleListFilter):
    title = gettext_lazy("age")
    parameter_name = "age"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Iterable[tuple[str, StrOrPromise]]:
        return [
            ("day", gettext_lazy("Less than a day")),
            ("week", gettext_lazy("1 to 7 days")),
            ("older", gettext_lazy("More than 7 days")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Tip]) -> QuerySet[Tip]:
        now = timezone.now()
        day_ago, week_ago = now - timedelta(days=1), now - timedelta(days=7)
        if self.value() == "day":
            return queryset.filter(received_at__gt=day_ago)
        if self.value() == "week":
            return queryset.filter(received_at__gt=week_ago, received_at__lte=day_ago)
        if self.value() == "older":
            return queryset.filter(received_at__lte=week_ago)
        return queryset


class LeftOutFilter(admin.SimpleListFilter):
    """A filter whose default (no parameter) leaves some tips out: its first choice says
    so (`unfiltered`), then its lookups."""

    parameter_name: str
    unfiltered: StrOrPromise = ""

    def choices(self, changelist: ChangeList) -> Iterator[_ListFilterChoices]:
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": self.unfiltered,
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class FloodFilter(LeftOutFilter):
    """The queue leaves out held and rejected floods unless asked: a flood is one decision
    (the actions "Release their flood" and "Reject their flood"), not 3,000 rows."""

    title = gettext_lazy("floods")
    parameter_name = "flood"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Iterable[tuple[str, StrOrPromise]]:
        return [
            ("held", gettext_lazy("Held floods only")),
            ("all", gettext_lazy("Everything, floods included")),
        ]

    unfiltered = gettext_lazy("Without held or rejected floods")

    def queryset(self, request: HttpRequest, queryset: QuerySet[Tip]) -> QuerySet[Tip]:
        # A subquery on the few flood groups (a hashed set), not a join: the capped count
        # then reads the tips' own index instead of looking up 10,001 groups.
        if self.value() == "held":
            return queryset.filter(group_id__in=flood_group_ids([FloodState.HELD]))
        if self.value() == "all":
            return queryset
        return without_floods(queryset)


def with_relay(queryset: QuerySet[Tip]) -> QuerySet[Tip]:
    """The owner's name and the relay's state, for the tips handed over to their owner:
    two subqueries in the page's own query, none per row."""
    return queryset.annotate(
        relay_owner=handed_over_to("partner__name"), relay_state=handed_over_to("state")
    )


class RelayedFilter(LeftOutFilter):
    """The queue leaves out the tips relayed to the partner portal that owns their object
    (as take-next does): its analysts triage them and their status here follows theirs.
    A relay the owner refused hands nothing over: that tip is in the queue as any other."""

    title = gettext_lazy("relayed to partners")
    parameter_name = "relayed"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Iterable[tuple[str, StrOrPromise]]:
        return [
            ("yes", gettext_lazy("Relayed to partners")),
            ("all", gettext_lazy("Everything, relayed tips included")),
        ]

    unfiltered = gettext_lazy("Not relayed to partners")

    def queryset(self, request: HttpRequest, queryset: QuerySet[Tip]) -> QuerySet[Tip]:
        if self.value() == "yes":
            return with_relay(queryset.filter(handed_over()))
        if self.value() == "all":
            return with_relay(queryset)
        return queryset.exclude(handed_over())


def relay_column_shown(request: HttpRequest) -> bool:
    """The "relayed to" column is shown where relayed tips are listed."""
    return request.GET.get(RelayedFilter.parameter_name) in {"yes", "all"}


@admin.display(description=gettext_lazy("relayed to"))
def relayed_to(tip: Tip) -> str:
    """The owner's name and how its relay stands, where RelayedFilter listed the tip."""
    name, state = getattr(tip, "relay_owner", None), getattr(tip, "relay_state", None)
    if name is None or state is None:
        return "—"
    return f"{name}: {RelayState(state).label}"
