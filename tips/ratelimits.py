"""Budgets on public POSTs, by network, by object and globally (rules in settings); how
they act when exceeded: docs/tips.md."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.http import HttpRequest

from traceobject.clients import network_key, wide_network_key
from traceobject.windows import rate_parse, timeout_until, unix_now, window_of

NETWORK_KINDS = frozenset({"network", "wide"})


@dataclass(frozen=True)
class LimitHit:
    rule: str
    retry_after_seconds: int
    kind: str = "network"  # "network", "wide", "object", "global" or "receipt"
    count: int = 0  # receipts: the wrong ones so far

    @property
    def retry_after_minutes(self) -> int:
        return max(1, math.ceil(self.retry_after_seconds / 60))


Rule = tuple[str, str, str]


@dataclass(frozen=True)
class _Usage:
    rule: str
    kind: str
    count: int  # taken so far in this window, this request included when counting
    limit: int
    end: int


def _cache() -> BaseCache:
    return caches[settings.RATELIMIT_USE_CACHE]


def _usages(
    request: HttpRequest, rules: list[Rule], *, scope: str, increment: bool
) -> list[_Usage]:
    now = unix_now()
    values: dict[str, str | None] = {"global": "all", "object": f"object:{scope}"}
    cache = _cache()
    found = []
    for name, kind, rate in rules:
        if kind not in values:
            values[kind] = network_key(request) if kind == "network" else wide_network_key(request)
        value = values[kind]
        if value is None:  # an IPv4 client has no "wide" network
            continue
        limit, period = rate_parse(rate)
        window, end = window_of(period, now)
        key = f"{name}:{window}:{value}"
        if increment:
            cache.add(key, 0, timeout_until(end, now))
            try:
                count = cache.incr(key)
            except ValueError:  # expired between the two calls: a new window
                cache.add(key, 1, timeout_until(end, now))
                count = 1
        else:
            count = cache.get(key) or 0
        found.append(_Usage(rule=name, kind=kind, count=count, limit=limit, end=end))
    return found


def _first_hit(usages: list[_Usage], *, counted: bool) -> LimitHit | None:
    now = unix_now()
    for usage in usages:
        # Counted, this request is one of `count`; only looking, it would be one more.
        if usage.count > usage.limit if counted else usage.count >= usage.limit:
            seconds = max(1, math.ceil(usage.end - now))
            return LimitHit(rule=usage.rule, retry_after_seconds=seconds, kind=usage.kind)
    return None


def network_limits_hit(request: HttpRequest, rules: list[Rule]) -> LimitHit | None:
    """Would one more taken request exceed a per-network rule? Counts nothing."""
    network = [rule for rule in rules if rule[1] in NETWORK_KINDS]
    return _first_hit(_usages(request, network, scope="", increment=False), counted=False)


def shared_limits_hit(
    request: HttpRequest, rules: list[Rule], *, scope: str = ""
) -> LimitHit | None:
    """Would one more taken request exceed a per-object or global rule? Counts nothing."""
    shared = [rule for rule in rules if rule[1] not in NETWORK_KINDS]
    return _first_hit(_usages(request, shared, scope=scope, increment=False), counted=False)


def limits_count(request: HttpRequest, rules: list[Rule], *, scope: str = "") -> None:
    """Count a taken request against every rule, the exceeded ones too (the day's budget
    keeps counting during a burst, and the load keeps raising the proof of work)."""
    _usages(request, rules, scope=scope, increment=True)


def global_breakers() -> dict[str, bool]:
    """Each global rule (a breaker shared by everyone) and whether it is used up now, for
    /metrics: only looked at, never counted."""
    rules = [
        rule
        for rule in [*settings.TIP_RATE_LIMITS, *settings.REPORT_RATE_LIMITS]
        if rule[1] == "global"
    ]
    usages = _usages(HttpRequest(), rules, scope="", increment=False)
    return {usage.rule: usage.count >= usage.limit for usage in usages}


def proof_of_work_factor(request: HttpRequest, rules: list[Rule], *, scope: str = "") -> int:
    """How many times harder than ALTCHA_MAX_NUMBER a new challenge is: 1 below half of
    every shared budget, then ×4 for each doubling of the load (half the budget: ×4, all
    of it: ×16, twice: ×64 …), at most ALTCHA_LOAD_MAX_FACTOR."""
    shared = [rule for rule in rules if rule[1] not in NETWORK_KINDS]
    usages = _usages(request, shared, scope=scope, increment=False)
    load = max((u.count / u.limit if u.limit else math.inf for u in usages), default=0.0)
    if load < 0.5:
        return 1
    level = 1 + int(math.log2(load / 0.5)) if math.isfinite(load) else 30
    return min(4**level, settings.ALTCHA_LOAD_MAX_FACTOR)


# --- Wrong receipts: a growing wait, never a lock -------------------------------------------
# The first RECEIPT_WRONG_FREE wrong receipts of a network in a UTC day cost nothing; after
# each further one the network waits RECEIPT_WRONG_DELAY_SECONDS, doubled each time, at most
# RECEIPT_WRONG_DELAY_MAX_SECONDS. A right receipt is always shown once the wait is over.
# The wait ends on a whole minute, so its key's TTL tells no second either.


def _receipt_keys(request: HttpRequest) -> tuple[str, str, int, float]:
    now = unix_now()
    day, end = window_of(86_400, now)
    value = network_key(request)
    return f"receipt-wrong:{day}:{value}", f"receipt-wait:{day}:{value}", end, now


def receipt_wait(request: HttpRequest) -> LimitHit | None:
    """The network's wait after wrong receipts, if it is not over yet. Counts nothing."""
    count_key, wait_key, _end, now = _receipt_keys(request)
    cache = _cache()
    until = cache.get(wait_key)
    if until is None or until <= now:
        return None
    return LimitHit(
        rule="receipt-wrong",
        retry_after_seconds=max(1, math.ceil(until - now)),
        kind="receipt",
        count=cache.get(count_key) or 0,
    )


def receipt_wrong(request: HttpRequest) -> None:
    """Count a wrong receipt; past the free ones, start the network's next wait."""
    count_key, wait_key, end, now = _receipt_keys(request)
    cache = _cache()
    cache.add(count_key, 0, timeout_until(end, now))
    count = cache.incr(count_key)
    over = count - settings.RECEIPT_WRONG_FREE
    if over <= 0:
        return
    delay = min(
        settings.RECEIPT_WRONG_DELAY_SECONDS * 2 ** min(over - 1, 30),
        settings.RECEIPT_WRONG_DELAY_MAX_SECONDS,
    )
    until = math.ceil((now + delay) / 60) * 60
    cache.set(wait_key, until, timeout_until(until, now))
