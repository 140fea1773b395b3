"""The back office's home page: what waits for each of the user's roles, as counts that link
to their list, all counted in one query no further than COUNT_CAP (docs/architecture.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import FailedTask
from moderation.models import Forward
from objects.models import TracedObject
from tips.activity import Saturation, saturated_objects
from tips.models import Tip, TipStatus
from tips.selectors import without_floods
from tips.triage import OPEN_STATUSES
from traceobject.pagination import COUNT_CAP, capped_counts

FAILED_TASKS_DAYS = 7  # the administrators' count: tasks that failed for good this week


@dataclass(frozen=True)
class HomeCount:
    label: str
    count: int
    url: str
    capped: bool = False  # more than `count`: the list says how many exactly


@dataclass(frozen=True)
class HomeSection:
    key: str  # the section's id on the page
    title: str
    counts: list[HomeCount]


@dataclass(frozen=True)
class Waiting:
    """One count before it is counted: its label, its rows, and the list showing them."""

    label: str
    rows: QuerySet
    url: str


def _link(name: str, **filters: Any) -> str:
    return reverse(f"admin:{name}") + ("?" + urlencode(filters) if filters else "")


def _queue(label: str, tips: QuerySet, **filters: Any) -> Waiting:
    """Tips as the queue lists them (without held or rejected floods), linked to the queue
    with `filters`."""
    return Waiting(
        label,
        without_floods(tips),
        _link("tips_tip_changelist", **filters),
    )


def analyst_waiting(user: Any) -> list[Waiting]:
    new = Tip.objects.filter(status=TipStatus.NEW)
    return [
        _queue(_("New tips"), new, status__exact=TipStatus.NEW),
        _queue(
            _("Urgent reports not yet taken"),
            new.filter(urgent=True),
            status__exact=TipStatus.NEW,
            urgent__exact=1,
        ),
        _queue(
            _("Needs information: the tipster answered"),
            Tip.objects.filter(status=TipStatus.IN_REVIEW, answered_at__isnull=False),
            status__exact=TipStatus.IN_REVIEW,
            answered="yes",
        ),
        _queue(
            _("Open tips assigned to me"),
            Tip.objects.filter(assigned_to=user, status__in=OPEN_STATUSES),
            assigned="me",
            status__in=",".join(OPEN_STATUSES),
        ),
    ]


def investigator_waiting(user: Any) -> list[Waiting]:
    return [
        Waiting(
            _("Uploads awaiting my approval"),
            TracedObject.objects.awaiting_approval_by(user),
            _link("objects_tracedobject_changelist", approval="mine"),
        ),
        Waiting(
            _("Tips forwarded to me, not acknowledged yet"),
            Forward.objects.filter(to=user, acknowledged_at__isnull=True),
            _link("moderation_forward_changelist", acknowledged="no"),
        ),
    ]


def administrator_waiting() -> list[Waiting]:
    now = timezone.now()
    since = (now - timedelta(days=FAILED_TASKS_DAYS)).replace(microsecond=0)
    return [
        Waiting(
            _("Active staff accounts"),
            get_user_model().objects.filter(is_staff=True, is_active=True),
            _link("auth_user_changelist", is_staff__exact=1, is_active__exact=1),
        ),
        Waiting(
            _("Logins locked out now"),
            # A lockout lasts AXES_COOLOFF_TIME from the last failed attempt.
            AccessAttempt.objects.filter(
                failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
                attempt_time__gte=now - settings.AXES_COOLOFF_TIME,
            ),
            _link("axes_accessattempt_changelist", locked_out="yes"),
        ),
        Waiting(
            _("Tasks failed in the last %(days)d days") % {"days": FAILED_TASKS_DAYS},
            FailedTask.objects.filter(failed_at__gte=since),
            _link("audit_failedtask_changelist", failed_at__gte=since.isoformat()),
        ),
    ]


def home_sections(user: Any) -> list[HomeSection]:
    """The sections `user`'s roles see (by the permissions that define each role), every
    count of every section counted in one query."""
    wanted: list[tuple[str, str, list[Waiting]]] = []
    if user.has_perm("tips.change_tip"):
        wanted.append(("home-analyst", _("Analysts"), analyst_waiting(user)))
    if user.has_perm("objects.publish_tracedobject"):
        wanted.append(("home-investigator", _("Investigators"), investigator_waiting(user)))
    if user.has_perm("auth.change_user"):
        wanted.append(("home-administrator", _("Administrators"), administrator_waiting()))
    counted = iter(
        capped_counts([item.rows for _key, _title, items in wanted for item in items], COUNT_CAP)
    )
    return [
        HomeSection(
            key,
            title,
            [
                HomeCount(item.label, min(count, COUNT_CAP), item.url, capped=count > COUNT_CAP)
                for item in items
                for count in [next(counted)]
            ],
        )
        for key, title, items in wanted
    ]


def home_saturated(user: Any) -> list[Saturation]:
    """For investigators: published objects with no new independent group in
    TIP_SATURATED_DAYS, each with a suggestion to retire or re-feature it (tips/activity.py)."""
    if not user.has_perm("objects.publish_tracedobject"):
        return []
    return saturated_objects()
