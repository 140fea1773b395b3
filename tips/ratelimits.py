"""Rate limits on public POSTs, by network, by object and globally (rules in settings).

The client is known only as the keyed pseudonym of its network (traceobject.clients): the
raw address never reaches the cache, the database or a log.

Rules come in two kinds, counted at different moments (see tips/views.py for the order):
per-network rules count every POST before anything else, so a flood only uses up its own
network's budget; shared rules (per object, global) count only what passed the cheap checks
(form shape and a fresh proof of work), so junk from one client cannot close the site to
everyone else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from traceobject.clients import network_key


@dataclass(frozen=True)
class LimitHit:
    rule: str
    retry_after_seconds: int

    @property
    def retry_after_minutes(self) -> int:
        return max(1, math.ceil(self.retry_after_seconds / 60))


Rule = tuple[str, str, str]


def network_limits_hit(request: HttpRequest, rules: list[Rule]) -> LimitHit | None:
    """Count this POST against the per-network rules; the shared ones are left alone."""
    return limits_hit(request, [rule for rule in rules if rule[1] == "network"])


def shared_limits_hit(
    request: HttpRequest, rules: list[Rule], *, scope: str = "", increment: bool = False
) -> LimitHit | None:
    """The per-object and global rules: look first, count only a request that is taken."""
    shared = [rule for rule in rules if rule[1] != "network"]
    return limits_hit(request, shared, scope=scope, increment=increment)


def limits_hit(
    request: HttpRequest,
    rules: list[Rule],
    *,
    scope: str = "",
    increment: bool = True,
) -> LimitHit | None:
    """Count this request against every rule; return the first limit it exceeds, if any.

    Every rule is counted even when an earlier one is already exceeded, so the day's budget
    keeps counting during a burst.
    """
    values = {"network": network_key(request), "global": "all", "object": f"object:{scope}"}
    hit = None
    for name, counted, rate in rules:
        value = values[counted]
        usage = get_usage(
            request,
            group=name,
            key=lambda group, request, value=value: value,
            rate=rate,
            increment=increment,
        )
        # Counting, this request is one of `count`; only looking, one more would be.
        exceeded = usage and (
            usage["should_limit"] if increment else usage["count"] >= usage["limit"]
        )
        if exceeded and hit is None:
            hit = LimitHit(rule=name, retry_after_seconds=max(usage["time_left"], 1))
    return hit


def global_breakers() -> dict[str, bool]:
    """Each global rule (a breaker shared by everyone) and whether it is open now, for
    /metrics: only looked at, never counted."""
    found = {}
    for name, counted, rate in [*settings.TIP_RATE_LIMITS, *settings.REPORT_RATE_LIMITS]:
        if counted != "global":
            continue
        usage = get_usage(
            HttpRequest(), group=name, key=lambda group, request: "all", rate=rate, increment=False
        )
        found[name] = bool(usage and usage["count"] >= usage["limit"])
    return found
